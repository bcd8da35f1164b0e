import Tensors

/// PyTorch's conv2d with `groups` on NCHW input, weight [out, in/groups, kh, kw] and optional
/// [out] bias (groups = in is depthwise), at the grouped form's cost.
///
/// Like `conv2d` it is bilinear: it and its two adjoints are each other's derivatives, so the
/// three close under differentiation to any order.
public func groupedConv2d(
    _ x: Variable, weight: Variable, bias: Variable? = nil, groups: Int, stride: Int = 1, padding: Int = 0
) -> Variable {
    let geometry = GroupedConvolutionGeometry(input: x.shape, weight: weight.shape, groups: groups, stride: stride, padding: padding)
    let output = Variable.recordDeferred("grouped_conv2d", shape: geometry.outputShape, dtype: x.dtype, inputs: [x, weight], compute: {
        Tensor.groupedConv2d(x.value, weight.value, groups: groups, stride: stride, padding: padding)
    }) { g, _, needs in
        [needs[0] ? groupedConv2dInputAdjoint(g, weight: weight, inputShape: x.shape, groups: groups, stride: stride, padding: padding) : nil,
         needs[1] ? groupedConv2dWeightAdjoint(x, outputGradient: g, weightShape: weight.shape, groups: groups, stride: stride, padding: padding) : nil]
    }
    guard let bias else { return output }
    precondition(bias.shape == [weight.shape[0]], "grouped conv2d: bias \(Shape.describe(bias.shape)) should be [\(weight.shape[0])]")
    return output + reshape(bias, [1, weight.shape[0], 1, 1])
}

/// ∂L/∂input of groupedConv2d given ∂L/∂output `g`; bilinear in (g, weight).
public func groupedConv2dInputAdjoint(
    _ g: Variable, weight: Variable, inputShape: [Int], groups: Int, stride: Int, padding: Int
) -> Variable {
    return Variable.recordDeferred("grouped_conv2d_input_adjoint", shape: inputShape, dtype: g.dtype, inputs: [g, weight], compute: {
        Tensor.groupedConv2dInputAdjoint(g.value, weight.value, inputShape: inputShape, groups: groups, stride: stride, padding: padding)
    }) { h, _, needs in
        [needs[0] ? groupedConv2d(h, weight: weight, groups: groups, stride: stride, padding: padding) : nil,
         needs[1] ? groupedConv2dWeightAdjoint(h, outputGradient: g, weightShape: weight.shape, groups: groups, stride: stride, padding: padding) : nil]
    }
}

/// ∂L/∂weight of groupedConv2d given the input and ∂L/∂output `g`; bilinear in (input, g).
public func groupedConv2dWeightAdjoint(
    _ x: Variable, outputGradient g: Variable, weightShape: [Int], groups: Int, stride: Int, padding: Int
) -> Variable {
    return Variable.recordDeferred("grouped_conv2d_weight_adjoint", shape: weightShape, dtype: x.dtype, inputs: [x, g], compute: {
        Tensor.groupedConv2dWeightAdjoint(x.value, g.value, weightShape: weightShape, groups: groups, stride: stride, padding: padding)
    }) { h, _, needs in
        [needs[0] ? groupedConv2dInputAdjoint(g, weight: h, inputShape: x.shape, groups: groups, stride: stride, padding: padding) : nil,
         needs[1] ? groupedConv2d(x, weight: h, groups: groups, stride: stride, padding: padding) : nil]
    }
}
