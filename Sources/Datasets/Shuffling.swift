import Randomness
/// A permutation of `0..<count` fixed by `seed` and `epoch`.
///
/// Each epoch gets its own, unrelated order from the same seed, so a training run is
/// reproducible from one number. Fisher–Yates with ``SplitMix64``; the result depends on nothing
/// but the arguments.
/// - Parameters:
///   - count: how many indices.
///   - seed: the run's seed.
///   - epoch: the pass over the data (0, 1, 2…).
public func shuffledIndices(count: Int, seed: UInt64, epoch: Int = 0) -> [Int] {
    precondition(count >= 0, "count must not be negative")
    // Mixing the epoch before combining keeps neighbouring epochs from sharing a stream
    // (SplitMix64 states that differ by a multiple of its increment yield shifted copies).
    var generator = SplitMix64(seed: SplitMix64.mix(seed ^ SplitMix64.mix(UInt64(bitPattern: Int64(epoch)) &+ 1)))
    var indices = Array(0 ..< count)
    var last = count - 1
    while last > 0 {
        indices.swapAt(last, generator.nextInt(below: last + 1))
        last -= 1
    }
    return indices
}
