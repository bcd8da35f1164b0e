/// Consecutive ranges `0..<b, b..<2b, …` covering `0..<count`: the batches of one epoch, as
/// positions into an index order such as ``shuffledIndices(count:seed:epoch:)``.
///
/// The last range is shorter when `batchSize` does not divide `count`, unless `dropLast` is set.
public struct BatchRanges: Sequence, IteratorProtocol, Sendable {
    /// How many positions are covered.
    public let count: Int
    /// The length of every range but possibly the last.
    public let batchSize: Int
    /// Whether a final, short range is left out.
    public let dropLast: Bool
    private var start = 0

    public init(count: Int, batchSize: Int, dropLast: Bool = false) {
        precondition(count >= 0 && batchSize > 0, "need count >= 0 and batchSize > 0")
        self.count = count
        self.batchSize = batchSize
        self.dropLast = dropLast
    }

    /// How many ranges the sequence yields.
    public var batchCount: Int { dropLast ? count / batchSize : (count + batchSize - 1) / batchSize }

    public var underestimatedCount: Int { batchCount }

    public mutating func next() -> Range<Int>? {
        let end = Swift.min(start + batchSize, count)
        guard end > start, !(dropLast && end - start < batchSize) else { return nil }
        defer { start = end }
        return start ..< end
    }
}
