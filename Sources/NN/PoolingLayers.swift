import Autodiff
import Tensors

/// Max or average pooling (`nn.MaxPool2d(kernel, stride)`, `nn.AvgPool2d(kernel, stride)`),
/// stride defaulting to the kernel.
public final class Pool2d: Layer {
    /// What a window is reduced to; the raw value is the architecture JSON's layer type.
    public enum Kind: String, Sendable {
        case max = "maxpool2d"
        case average = "avgpool2d"
    }

    public let kind: Kind
    public let kernel: Int
    public let stride: Int

    public init(_ kind: Kind, kernel: Int, stride: Int? = nil) {
        self.kind = kind
        self.kernel = kernel
        self.stride = stride ?? kernel
    }

    public func callAsFunction(_ input: Variable) -> Variable {
        switch kind {
        case .max: return maxPool2d(input, kernel: kernel, stride: stride)
        case .average: return avgPool2d(input, kernel: kernel, stride: stride)
        }
    }

    public var spec: LayerSpec {
        var s = LayerSpec(type: kind.rawValue)
        (s.kernel, s.stride) = (kernel, stride)
        return s
    }
}

/// [N, …] → [N, product of the rest], as `nn.Flatten()`.
public final class Flatten: Layer {
    public init() {}
    public func callAsFunction(_ input: Variable) -> Variable { flatten(input) }
    public var spec: LayerSpec { LayerSpec(type: "flatten") }
}
