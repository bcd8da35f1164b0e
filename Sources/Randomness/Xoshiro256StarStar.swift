import RealModule

/// A small, fast, seedable random number generator: xoshiro256** seeded through SplitMix64.
///
/// The project's one generator: every random choice (weight initialisation, dropout masks, attack
/// starts, Lanczos start vectors, probes) comes from one of these, so a run is reproducible from
/// its seed on every platform and Swift version. Each sample of a batch can draw from its own
/// `stream`, so sample `b`'s draws do not depend on how many other samples share the batch.
///
/// With `stream` 0 the state is the first four outputs of SplitMix64 started at `seed`, which is
/// the seeding the xoshiro authors recommend, so the sequence matches their reference code.
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// Creates a generator.
    ///
    /// - Parameter seed: The seed; equal seeds give equal sequences.
    /// - Parameter stream: Selects an independent sequence for the same seed (for example the
    ///   sample's index in its split).
    public init(seed: UInt64, stream: UInt64 = 0) {
        // The SplitMix64 finaliser maps 0 to 0, so stream 0 is plain SplitMix64 seeding.
        var seeding = SplitMix64(seed: seed ^ SplitMix64.mix(stream))
        s0 = seeding.next()
        s1 = seeding.next()
        s2 = seeding.next()
        s3 = seeding.next()
    }

    /// The next 64 random bits (xoshiro256**).
    ///
    /// - Returns: A uniformly distributed `UInt64`.
    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    /// A uniform value in `[0, 1)` with 53 random bits.
    ///
    /// - Returns: `k · 2⁻⁵³` for a uniform integer `k` in `[0, 2⁵³)`.
    public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A standard normal value (Box–Muller; the second value of each pair is discarded so that
    /// every call consumes exactly two words and the generator carries no hidden cache).
    ///
    /// - Returns: A sample of N(0, 1).
    public mutating func normal() -> Double {
        let u1 = 1 - uniform()  // in (0, 1], so the logarithm is finite
        let u2 = uniform()
        return (-2 * Double.log(u1)).squareRoot() * Double.cos(2 * Double.pi * u2)
    }

    /// A Rademacher value, +1 or −1 with equal probability, from the top (best) bit.
    ///
    /// - Returns: `1.0` or `-1.0`.
    public mutating func rademacher() -> Double {
        next() >> 63 == 0 ? 1 : -1
    }

    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }
}

/// The name the rest of the project uses for a stream-0 generator.
public typealias SeededGenerator = Xoshiro256StarStar
