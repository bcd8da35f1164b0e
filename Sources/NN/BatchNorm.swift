import Autodiff
import Tensors

/// Batch normalisation over the channel axis of [N, C] (`nn.BatchNorm1d`) or [N, C, H, W]
/// (`nn.BatchNorm2d`) inputs. Training mode normalises with the batch's statistics and updates
/// the running ones (unbiased variance, momentum 0.1, as PyTorch); evaluation mode uses the
/// running statistics as constants.
public final class BatchNorm: Layer {
    public let weight: Parameter
    public let bias: Parameter
    public let runningMean: Parameter
    public let runningVariance: Parameter
    /// PyTorch's `num_batches_tracked`, kept so state dicts round-trip.
    public private(set) var batchesTracked: Int = 0
    public let epsilon: Double
    public let momentum: Double
    public let spatial: Bool
    public var isTraining = false

    public init(features: Int, spatial: Bool, epsilon: Double = 1e-5, momentum: Double = 0.1, dtype: DType = .float32) {
        weight = Parameter(Tensor(repeating: 1, shape: [features], dtype: dtype))
        bias = Parameter(Tensor(zeros: [features], dtype: dtype))
        runningMean = Parameter(Tensor(zeros: [features], dtype: dtype), trainable: false)
        runningVariance = Parameter(Tensor(repeating: 1, shape: [features], dtype: dtype), trainable: false)
        self.epsilon = epsilon
        self.momentum = momentum
        self.spatial = spatial
    }

    public func callAsFunction(_ input: Variable) -> Variable {
        if isTraining { updateRunningStatistics(input.value) }
        return batchNorm(input, weight: weight.variable, bias: bias.variable, runningMean: runningMean.value,
                         runningVariance: runningVariance.value, training: isTraining, epsilon: epsilon)
    }

    private func updateRunningStatistics(_ x: Tensor) {
        let axes = x.shape.count == 4 ? [0, 2, 3] : [0]  // from the input: an ONNX graph does not say which it is
        let n = Double(x.count / x.shape[1])
        let mean = x.sum(alongAxes: axes, keepingDimensions: true) * (1 / n)
        let centred = x - mean
        let unbiased = (centred * centred).sum(alongAxes: axes) * (1 / Swift.max(n - 1, 1))
        runningMean.value = runningMean.value * (1 - momentum) + mean.reshaped([x.shape[1]]) * momentum
        runningVariance.value = runningVariance.value * (1 - momentum) + unbiased * momentum
        batchesTracked += 1
    }

    public var namedParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight), ("bias", bias), ("running_mean", runningMean), ("running_var", runningVariance)]
    }

    public var spec: LayerSpec {
        var s = LayerSpec(type: spatial ? "batchnorm2d" : "batchnorm1d")
        (s.features, s.eps, s.momentum) = (weight.shape[0], epsilon, momentum)
        return s
    }
}
