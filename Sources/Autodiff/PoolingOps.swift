import Tensors

/// Max-pooling. The chosen positions are constants of the derivative (as in PyTorch), so the
/// op is a gather and its derivative a scatter.
public func maxPool2d(_ x: Variable, kernel: Int, stride: Int? = nil) -> Variable {
    let (values, indices) = Tensor.maxPool2d(x.value, kernel: kernel, stride: stride ?? kernel)
    return Variable.record("maxpool2d", values, inputs: [x]) { g, _, _ in
        // Each window lies in its sample's channel plane: the scatter fills planes in parallel.
        [scatterAdd(g, flatIndices: indices, shape: x.shape, planes: Swift.max(1, x.shape[0] * x.shape[1]))]
    }
}

/// Average pooling; linear, so its derivative is its adjoint and the adjoint's is itself.
public func avgPool2d(_ x: Variable, kernel: Int, stride: Int? = nil) -> Variable {
    let s = stride ?? kernel
    let geometry = PoolingGeometry(input: x.shape, kernel: kernel, stride: s)
    return Variable.recordDeferred("avgpool2d", shape: geometry.outputShape, dtype: x.dtype, inputs: [x],
                                   compute: { Tensor.avgPool2d(x.value, kernel: kernel, stride: s) }) { g, _, _ in
        [avgPool2dAdjoint(g, inputShape: x.shape, kernel: kernel, stride: s)]
    }
}

/// Spreads each output gradient evenly over its pooling window.
public func avgPool2dAdjoint(_ g: Variable, inputShape: [Int], kernel: Int, stride: Int) -> Variable {
    return Variable.recordDeferred("avgpool2d_adjoint", shape: inputShape, dtype: g.dtype, inputs: [g], compute: {
        Tensor.avgPool2dAdjoint(g.value, inputShape: inputShape, kernel: kernel, stride: stride)
    }) { h, _, _ in
        [avgPool2d(h, kernel: kernel, stride: stride)]
    }
}
