import Autodiff
import Tensors

/// x·Wᵀ + b with W [out, in], as `nn.Linear`.
public final class Linear: Layer {
    public let weight: Parameter
    public let bias: Parameter?

    public init(inputs: Int, outputs: Int, bias: Bool = true, factory: inout ParameterFactory) {
        weight = factory.weight([outputs, inputs], fanIn: inputs, fanOut: outputs)
        self.bias = bias ? factory.bias(outputs, fanIn: inputs) : nil
    }

    public func callAsFunction(_ input: Variable) -> Variable {
        linear(input, weight: weight.variable, bias: bias?.variable)
    }

    public var namedParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public var spec: LayerSpec {
        var s = LayerSpec(type: "linear")
        (s.in, s.out, s.bias) = (weight.shape[1], weight.shape[0], bias != nil)
        return s
    }
}
