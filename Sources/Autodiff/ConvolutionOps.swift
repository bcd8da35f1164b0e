import Tensors

/// PyTorch's conv2d on NCHW input with [out, in, kh, kw] weight and optional [out] bias.
///
/// Convolution is bilinear, so its two adjoints (`conv2dInputAdjoint`, `conv2dWeightAdjoint`)
/// and the convolution itself are each other's derivatives: three primitives close the family
/// under differentiation to any order.
public func conv2d(_ x: Variable, weight: Variable, bias: Variable? = nil, stride: Int = 1, padding: Int = 0) -> Variable {
    let geometry = ConvolutionGeometry(input: x.shape, weight: weight.shape, stride: stride, padding: padding)
    let output = Variable.recordDeferred("conv2d", shape: geometry.outputShape, dtype: x.dtype, inputs: [x, weight], compute: {
        Tensor.conv2d(x.value, weight.value, stride: stride, padding: padding)
    }) { g, _, needs in
        [needs[0] ? conv2dInputAdjoint(g, weight: weight, inputShape: x.shape, stride: stride, padding: padding) : nil,
         needs[1] ? conv2dWeightAdjoint(x, outputGradient: g, weightShape: weight.shape, stride: stride, padding: padding) : nil]
    }
    guard let bias else { return output }
    precondition(bias.shape == [weight.shape[0]], "conv2d: bias \(Shape.describe(bias.shape)) should be [\(weight.shape[0])]")
    return output + reshape(bias, [1, weight.shape[0], 1, 1])
}

/// ∂L/∂input of conv2d given ∂L/∂output `g` (a transposed convolution); bilinear in (g, weight).
public func conv2dInputAdjoint(_ g: Variable, weight: Variable, inputShape: [Int], stride: Int, padding: Int) -> Variable {
    return Variable.recordDeferred("conv2d_input_adjoint", shape: inputShape, dtype: g.dtype, inputs: [g, weight], compute: {
        Tensor.conv2dInputAdjoint(g.value, weight.value, inputShape: inputShape, stride: stride, padding: padding)
    }) { h, _, needs in
        [needs[0] ? conv2d(h, weight: weight, stride: stride, padding: padding) : nil,
         needs[1] ? conv2dWeightAdjoint(h, outputGradient: g, weightShape: weight.shape, stride: stride, padding: padding) : nil]
    }
}

/// ∂L/∂weight of conv2d given the input and ∂L/∂output `g`; bilinear in (input, g).
public func conv2dWeightAdjoint(_ x: Variable, outputGradient g: Variable, weightShape: [Int], stride: Int, padding: Int) -> Variable {
    return Variable.recordDeferred("conv2d_weight_adjoint", shape: weightShape, dtype: x.dtype, inputs: [x, g], compute: {
        Tensor.conv2dWeightAdjoint(x.value, g.value, weightShape: weightShape, stride: stride, padding: padding)
    }) { h, _, needs in
        [needs[0] ? conv2dInputAdjoint(g, weight: h, inputShape: x.shape, stride: stride, padding: padding) : nil,
         needs[1] ? conv2d(x, weight: h, stride: stride, padding: padding) : nil]
    }
}
