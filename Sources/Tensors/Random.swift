import Randomness

/// The distributions of the seeded fills.
public enum RandomDistribution: Sendable {
    case uniform(low: Double, high: Double)
    case normal(mean: Double, standardDeviation: Double)
    /// ±1 with equal probability.
    case rademacher
}

extension Tensor {
    /// A tensor of independent draws from `distribution`, reproducible from `generator`'s seed.
    public init(randomShape shape: [Int], _ distribution: RandomDistribution, dtype: DType = .float32,
                generator: inout SeededGenerator) {
        let values = (0..<Shape.count(shape)).map { _ -> Double in
            switch distribution {
            case let .uniform(low, high): return low + (high - low) * generator.uniform()
            case let .normal(mean, sd): return mean + sd * generator.normal()
            case .rademacher: return generator.rademacher()
            }
        }
        self.init(shape: shape, scalars: values, dtype: dtype)
    }

    /// A tensor of draws from `distribution` seeded by `seed`.
    public init(randomShape shape: [Int], _ distribution: RandomDistribution, dtype: DType = .float32, seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        self.init(randomShape: shape, distribution, dtype: dtype, generator: &generator)
    }
}
