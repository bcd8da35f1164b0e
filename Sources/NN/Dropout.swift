import Autodiff
import Randomness
import Tensors

/// Zeroes each element with probability p in training mode and scales the rest by 1/(1−p);
/// the identity in evaluation mode. The masks come from the layer's own seeded generator.
public final class Dropout: Layer {
    public let probability: Double
    public var isTraining = false
    private var generator: SeededGenerator

    public init(probability: Double, seed: UInt64 = 0) {
        precondition(probability >= 0 && probability < 1, "dropout: p = \(probability) must be in [0, 1)")
        self.probability = probability
        generator = SeededGenerator(seed: seed)
    }

    public func callAsFunction(_ input: Variable) -> Variable {
        guard isTraining, probability > 0 else { return input }
        let keep = 1 - probability
        let uniform = Tensor(randomShape: input.shape, .uniform(low: 0, high: 1), dtype: input.dtype, generator: &generator)
        let mask = uniform.map(.greaterThan(probability)).map(.affine(scale: 1 / keep, shift: 0))
        return multiply(input, constant: mask)
    }

    public var spec: LayerSpec {
        var s = LayerSpec(type: "dropout")
        s.p = probability
        return s
    }
}
