import Autodiff
import Tensors

/// The basic residual block of ResNet-18/34:
///
///     out = act(bn2(conv2(act(bn1(conv1(x))))) + shortcut(x))
///
/// conv1 is 3×3 with the block's stride and padding 1, conv2 3×3 with stride 1 and padding 1,
/// both without bias. The shortcut is the identity when stride is 1 and channels agree, else a
/// 1×1 convolution with the stride (no bias) followed by batch-norm. State-dict names follow
/// torchvision: `conv1.weight`, `bn1.*`, `conv2.weight`, `bn2.*`, `shortcut.0.weight`, `shortcut.1.*`.
/// The activation is ReLU unless the spec says `"activation": "softplus"` (with `beta`).
public final class ResidualBlock: Layer {
    public let conv1: Conv2d, bn1: BatchNorm, conv2: Conv2d, bn2: BatchNorm
    public let projection: (conv: Conv2d, norm: BatchNorm)?
    public let activation: Activation

    public init(inputs: Int, outputs: Int, stride: Int = 1, activation: Activation.Kind = .relu,
                factory: inout ParameterFactory) {
        conv1 = Conv2d(inputs: inputs, outputs: outputs, kernel: 3, stride: stride, padding: 1, bias: false, factory: &factory)
        bn1 = BatchNorm(features: outputs, spatial: true, dtype: factory.dtype)
        conv2 = Conv2d(inputs: outputs, outputs: outputs, kernel: 3, stride: 1, padding: 1, bias: false, factory: &factory)
        bn2 = BatchNorm(features: outputs, spatial: true, dtype: factory.dtype)
        if stride != 1 || inputs != outputs {
            projection = (Conv2d(inputs: inputs, outputs: outputs, kernel: 1, stride: stride, bias: false, factory: &factory),
                          BatchNorm(features: outputs, spatial: true, dtype: factory.dtype))
        } else {
            projection = nil
        }
        self.activation = Activation(activation)
    }

    public func callAsFunction(_ input: Variable) -> Variable {
        let main = normalisedConvolution(conv2, bn2, activation(normalisedConvolution(conv1, bn1, input)))
        let shortcut = projection.map { normalisedConvolution($0.conv, $0.norm, input) } ?? input
        return activation(main + shortcut)
    }

    public var isTraining: Bool {
        get { bn1.isTraining }
        set {
            for norm in [bn1, bn2] + (projection.map { [$0.norm] } ?? []) { norm.isTraining = newValue }
        }
    }

    public var namedParameters: [(name: String, parameter: Parameter)] {
        var all: [(name: String, parameter: Parameter)] = []
        let parts: [(String, Layer)] = [("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2)]
            + (projection.map { [("shortcut.0", $0.conv), ("shortcut.1", $0.norm)] } ?? [])
        for (prefix, layer) in parts {
            all += layer.namedParameters.map { (name: "\(prefix).\($0.name)", parameter: $0.parameter) }
        }
        return all
    }

    public var spec: LayerSpec {
        var s = LayerSpec(type: "residual")
        (s.in, s.out, s.stride) = (conv1.weight.shape[1], conv1.weight.shape[0], conv1.stride)
        if case let .softplus(beta, threshold) = activation.kind {
            (s.activation, s.beta, s.threshold) = ("softplus", beta, threshold)
        }
        return s
    }
}
