import Randomness

/// A seeded, class-stratified choice of `count` of a split's images.
///
/// Class `c`, holding `n_c` of the split's `total` images, gets `⌊count·n_c/total⌋` images; the
/// images left over go one each to the classes with the largest remainders `count·n_c mod total`
/// (ties to the lower class). Within a class the images are a uniformly random choice fixed by
/// `seed` and the class (a partial Fisher–Yates shuffle with ``SplitMix64``), so the subset
/// depends on nothing but the labels, `count` and `seed`. ``indices`` are in ascending order, so
/// a subset keeps the split's order.
public struct StratifiedSubset: Sendable, Equatable {
    /// The chosen indices into the split, ascending.
    public let indices: [Int]
    /// The seed that fixed the choice.
    public let seed: UInt64
    /// Images in the split the subset was drawn from.
    public let total: Int

    /// Draws `count` of the images labelled `labels` (each in `0..<classCount`).
    ///
    /// - Precondition: `0 <= count <= labels.count`.
    public init(labels: [Int32], classCount: Int, count: Int, seed: UInt64) {
        precondition(count >= 0 && count <= labels.count, "stratified subset: \(count) of \(labels.count) images")
        var members = [[Int]](repeating: [], count: classCount)
        for (index, label) in labels.enumerated() { members[Int(label)].append(index) }
        let total = labels.count
        // Exact integer arithmetic: count·n_c ≤ total² fits comfortably for any real split.
        var quota = members.map { count * $0.count / Swift.max(total, 1) }
        let remainders = members.map { total == 0 ? 0 : count * $0.count % total }
        let leftOver = count - quota.reduce(0, +)
        let order = remainders.indices.sorted { remainders[$0] != remainders[$1] ? remainders[$0] > remainders[$1] : $0 < $1 }
        for c in order.prefix(leftOver) { quota[c] += 1 }
        var chosen: [Int] = []
        chosen.reserveCapacity(count)
        for (c, var pool) in members.enumerated() where quota[c] > 0 {
            var generator = SplitMix64(seed: SplitMix64.mix(seed ^ SplitMix64.mix(0x5354_5241_5449_4659 &+ UInt64(c))))
            for i in 0..<quota[c] {
                pool.swapAt(i, i + generator.nextInt(below: pool.count - i))
            }
            chosen += pool[0..<quota[c]]
        }
        self.indices = chosen.sorted()
        self.seed = seed
        self.total = total
    }

    /// How many images the subset holds.
    public var count: Int { indices.count }

    /// The rule that made it, for run metadata: `stratified seed=S n=N of=TOTAL`.
    public var rule: String { "stratified seed=\(seed) n=\(count) of=\(total)" }

    /// The indices as the text a checksum is taken of: decimal, comma-separated, ascending
    /// (`"0,7,12"`), in UTF-8.
    public var indexListText: String { indices.map(String.init).joined(separator: ",") }
}

extension LabeledImages {
    /// A seeded, class-stratified choice of `count` images; see ``StratifiedSubset``.
    ///
    /// - Throws: ``DatasetError/invalidArgument(context:found:expected:)`` unless `0 <= count <= self.count`.
    public func stratifiedSubset(count: Int, seed: UInt64) throws -> StratifiedSubset {
        guard count >= 0, count <= self.count else {
            throw DatasetError.invalidArgument(context: "stratified subset", found: "count \(count)", expected: "0…\(self.count)")
        }
        return StratifiedSubset(labels: labels, classCount: classCount, count: count, seed: seed)
    }

    /// The images of `subset`, in its (ascending) order.
    public func images(of subset: StratifiedSubset) -> LabeledImages {
        precondition(subset.total == count, "stratified subset of \(subset.total) images applied to \(count)")
        return gather(subset.indices)
    }
}
