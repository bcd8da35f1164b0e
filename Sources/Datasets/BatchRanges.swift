/// Consecutive ranges `a..<a+b, a+b..<a+2b, …` covering a range of sample positions: the one way
/// the project cuts work into batches (an epoch's positions in a shuffled order, or a split's
/// samples for a per-sample job) and batches into shards.
///
/// Batches start at `range.lowerBound + k·batchSize` whatever the sharding, so each sample is
/// computed in the same batch however a run is split. The last range is shorter when `batchSize`
/// does not divide the count, unless `dropLast` is set.
public struct BatchRanges: Sequence, IteratorProtocol, Sendable, Equatable {
    /// The positions covered.
    public let range: Range<Int>
    /// The length of every range but possibly the last.
    public let batchSize: Int
    /// Whether a final, short range is left out.
    public let dropLast: Bool
    private var start: Int

    /// Batches covering `range`.
    public init(covering range: Range<Int>, batchSize: Int, dropLast: Bool = false) {
        precondition(batchSize > 0, "need batchSize > 0")
        self.range = range
        self.batchSize = batchSize
        self.dropLast = dropLast
        start = range.lowerBound
    }

    /// Batches covering `0..<count`.
    public init(count: Int, batchSize: Int, dropLast: Bool = false) {
        precondition(count >= 0, "need count >= 0")
        self.init(covering: 0..<count, batchSize: batchSize, dropLast: dropLast)
    }

    /// How many positions are covered.
    public var count: Int { range.count }

    /// How many ranges the sequence yields.
    public var batchCount: Int { dropLast ? count / batchSize : (count + batchSize - 1) / batchSize }

    public var underestimatedCount: Int { batchCount }

    public mutating func next() -> Range<Int>? {
        let end = Swift.min(start + batchSize, range.upperBound)
        guard end > start, !(dropLast && end - start < batchSize) else { return nil }
        defer { start = end }
        return start ..< end
    }

    /// The batches of `shard`: whole batches, the shard's contiguous share of them.
    public func batches(of shard: Shard) -> [Range<Int>] {
        let all = Array(self)
        return Array(all[(all.count * shard.index / shard.count) ..< (all.count * (shard.index + 1) / shard.count)])
    }
}

/// Part `index + 1` of `count` contiguous parts of a job, written `i/n` (1-based) on the command line.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    /// From 0.
    public let index: Int
    public let count: Int

    /// The whole job as one part.
    public static let whole = Shard(uncheckedIndex: 0, count: 1)

    private init(uncheckedIndex index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Parses `i/n` with `1 ≤ i ≤ n`; nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 1, i <= n else { return nil }
        self.init(uncheckedIndex: i - 1, count: n)
    }

    /// `i/n`, 1-based.
    public var description: String { "\(index + 1)/\(count)" }
}
