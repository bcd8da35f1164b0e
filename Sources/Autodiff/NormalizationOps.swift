import Tensors

/// Batch normalisation over axis 1 of [N, C] or [N, C, H, W] inputs.
///
/// In evaluation mode the running statistics are constants; in training mode the batch's own
/// mean and biased variance are used and differentiated through (as in PyTorch).
public func batchNorm(
    _ x: Variable, weight: Variable?, bias: Variable?,
    runningMean: Tensor, runningVariance: Tensor, training: Bool, epsilon: Double = 1e-5
) -> Variable {
    precondition(x.shape.count == 2 || x.shape.count == 4, "batchNorm: input must be [N, C] or [N, C, H, W], got \(Shape.describe(x.shape))")
    let channels = x.shape[1]
    let statShape = x.shape.count == 2 ? [1, channels] : [1, channels, 1, 1]
    precondition(runningMean.shape == [channels] && runningVariance.shape == [channels],
                 "batchNorm: running statistics \(Shape.describe(runningMean.shape)), \(Shape.describe(runningVariance.shape)) should be [\(channels)]")
    let axes = x.shape.count == 2 ? [0] : [0, 2, 3]
    guard training else {
        // y = x·a + b per channel, a = weight/√(var + ε), b = bias − mean·a: PyTorch's own CPU
        // inference formula, and two broadcast operations on the activation instead of four.
        let inverseDeviation = runningVariance.scalars.map { 1 / ($0 + epsilon).squareRoot() }
        var scale = Variable(Tensor(shape: statShape, scalars: inverseDeviation, dtype: x.dtype))
        if let weight { scale = reshape(weight, statShape) * scale }
        var shift = -(Variable(runningMean.reshaped(statShape)) * scale)
        if let bias { shift = shift + reshape(bias, statShape) }
        return x * scale + shift
    }
    var y = standardised(x, alongAxes: axes, epsilon: epsilon)
    if let weight { y = y * reshape(weight, statShape) }
    if let bias { y = y + reshape(bias, statShape) }
    return y
}

/// Layer normalisation over the axes from `axis` on (PyTorch's `F.layer_norm`, ONNX's
/// LayerNormalization); `weight` and `bias` broadcast against those trailing axes.
public func layerNorm(_ x: Variable, fromAxis axis: Int, weight: Variable?, bias: Variable?, epsilon: Double = 1e-5) -> Variable {
    precondition(axis >= 0 && axis < x.shape.count, "layerNorm: axis \(axis) outside \(Shape.describe(x.shape))")
    var y = standardised(x, alongAxes: Array(axis..<x.shape.count), epsilon: epsilon)
    if let weight { y = y * weight }
    if let bias { y = y + bias }
    return y
}

/// (x − mean) / √(biased variance + ε) over `axes`, differentiated through the statistics.
private func standardised(_ x: Variable, alongAxes axes: [Int], epsilon: Double) -> Variable {
    let centred = x - broadcast(mean(x, alongAxes: axes, keepingDimensions: true), to: x.shape)
    let variance = mean(square(centred), alongAxes: axes, keepingDimensions: true)
    return centred / broadcast(sqrt(variance + epsilon), to: x.shape)
}
