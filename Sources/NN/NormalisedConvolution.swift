import Autodiff
import Tensors

/// `norm(conv(x))` with the normalisation in evaluation mode folded into the convolution:
/// conv(x, W)·a + b = conv(x, W·a) + b per output channel, a = γ/√(var + ε), b = β − mean·a
/// (+ the convolution's bias times a). The two broadcast passes over the activations, and their
/// copies in every derivative, become one bias add; the weights are scaled once per call, which is
/// cheaper than one pass over a batch's activations. Rounding moves by an ulp, the function not
/// at all; gradients still reach every parameter. Training mode normalises as before.
func normalisedConvolution(_ conv: Conv2d, _ norm: BatchNorm, _ x: Variable) -> Variable {
    guard !norm.isTraining else { return norm(conv(x)) }
    let channels = conv.weight.shape[0]
    precondition(norm.weight.shape == [channels], "normalisedConvolution: \(channels) channels, normalisation over \(Shape.describe(norm.weight.shape))")
    let inverseDeviation = norm.runningVariance.value.scalars.map { 1 / ($0 + norm.epsilon).squareRoot() }
    let scale = norm.weight.variable * Variable(Tensor(shape: [channels], scalars: inverseDeviation, dtype: x.dtype))
    var shift = norm.bias.variable - Variable(norm.runningMean.value) * scale
    if let bias = conv.bias { shift = shift + bias.variable * scale }
    let weight = conv.weight.variable * reshape(scale, [channels, 1, 1, 1])
    return conv2d(x, weight: weight, bias: shift, stride: conv.stride, padding: conv.padding)
}
