import Autodiff
import Tensors

/// Max-pooling (`nn.MaxPool2d(kernel, stride)`), stride defaulting to the kernel.
public final class MaxPool2d: Layer {
    public let kernel: Int
    public let stride: Int

    public init(kernel: Int, stride: Int? = nil) {
        self.kernel = kernel
        self.stride = stride ?? kernel
    }

    public func callAsFunction(_ input: Variable) -> Variable { maxPool2d(input, kernel: kernel, stride: stride) }

    public var spec: LayerSpec {
        var s = LayerSpec(type: "maxpool2d")
        (s.kernel, s.stride) = (kernel, stride)
        return s
    }
}

/// Average pooling (`nn.AvgPool2d(kernel, stride)`), stride defaulting to the kernel.
public final class AvgPool2d: Layer {
    public let kernel: Int
    public let stride: Int

    public init(kernel: Int, stride: Int? = nil) {
        self.kernel = kernel
        self.stride = stride ?? kernel
    }

    public func callAsFunction(_ input: Variable) -> Variable { avgPool2d(input, kernel: kernel, stride: stride) }

    public var spec: LayerSpec {
        var s = LayerSpec(type: "avgpool2d")
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
