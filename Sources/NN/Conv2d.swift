import Autodiff
import Tensors

/// 2-D cross-correlation with W [out, in, k, k], as `nn.Conv2d`.
public final class Conv2d: Layer {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: Int
    public let padding: Int

    public init(inputs: Int, outputs: Int, kernel: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true,
                factory: inout ParameterFactory) {
        let fanIn = inputs * kernel * kernel
        weight = factory.weight([outputs, inputs, kernel, kernel], fanIn: fanIn, fanOut: outputs * kernel * kernel)
        self.bias = bias ? factory.bias(outputs, fanIn: fanIn) : nil
        self.stride = stride
        self.padding = padding
    }

    public func callAsFunction(_ input: Variable) -> Variable {
        conv2d(input, weight: weight.variable, bias: bias?.variable, stride: stride, padding: padding)
    }

    public var namedParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public var spec: LayerSpec {
        var s = LayerSpec(type: "conv2d")
        (s.in, s.out, s.kernel) = (weight.shape[1], weight.shape[0], weight.shape[2])
        (s.stride, s.padding, s.bias) = (stride, padding, bias != nil)
        return s
    }
}
