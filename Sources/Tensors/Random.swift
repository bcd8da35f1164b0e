import RealModule

/// xoshiro256** seeded through SplitMix64: fast, and the same stream on every platform.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var s = seed
        func splitMix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    public mutating func next() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotate(state.3, 45)
        return result
    }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Standard normal by Box–Muller.
    public mutating func nextNormal() -> Double {
        let u = 1 - nextUnit()  // (0, 1]: log stays finite
        let v = nextUnit()
        return (-2 * Double.log(u)).squareRoot() * Double.cos(2 * .pi * v)
    }
}

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
            case let .uniform(low, high): return low + (high - low) * generator.nextUnit()
            case let .normal(mean, sd): return mean + sd * generator.nextNormal()
            case .rademacher: return generator.next() & 1 == 0 ? -1 : 1
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
