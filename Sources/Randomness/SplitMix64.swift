/// SplitMix64 (Steele, Lea and Flood, 2014): a tiny, fast, seedable generator.
///
/// Our own rather than the standard library's so that shuffles depend only on the seed, never
/// on the Swift version or platform. Passes BigCrush; not for cryptography.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The generator's whole state; it advances by the golden-ratio increment per value.
    public private(set) var state: UInt64

    /// A generator whose first value is `mix(seed + 0x9E3779B97F4A7C15)`.
    public init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// A uniformly distributed integer in `0..<bound`.
    ///
    /// Lemire's multiply-and-reject method: unbiased, and written here (not taken from the
    /// standard library's `next(upperBound:)`) so its results are fixed forever.
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold { product = next().multipliedFullWidth(by: range) }
        }
        return Int(product.high)
    }

    /// SplitMix64's output function: a bijective mixer of 64-bit values.
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
