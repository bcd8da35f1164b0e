/// The batches of one epoch over a ``LabeledImages``, in a given order.
///
/// ```swift
/// for batch in data.batches(size: 64, seed: 7, epoch: epoch) { train(on: batch) }
/// ```
public struct Batches: Sequence, IteratorProtocol, Sendable {
    /// The data being batched.
    public let data: LabeledImages
    /// The order images are visited in: a permutation (or any selection) of `0..<data.count`.
    public let order: [Int]
    private var ranges: BatchRanges

    /// Batches of `size` images visiting `data` in `order`.
    ///
    /// - Throws: ``DatasetError/invalidArgument(context:found:expected:)`` when `size` is not
    ///   positive or `order` holds an index outside `0..<data.count`.
    public init(data: LabeledImages, order: [Int], size: Int, dropLast: Bool = false) throws {
        guard size > 0 else {
            throw DatasetError.invalidArgument(context: "batches", found: "size \(size)", expected: "at least 1")
        }
        if let bad = order.first(where: { $0 < 0 || $0 >= data.count }) {
            throw DatasetError.invalidArgument(context: "batches", found: "index \(bad)", expected: "0..<\(data.count)")
        }
        self.data = data
        self.order = order
        self.ranges = BatchRanges(count: order.count, batchSize: size, dropLast: dropLast)
    }

    public var underestimatedCount: Int { ranges.batchCount }

    public mutating func next() -> LabeledImages? {
        ranges.next().map { data.gather(order[$0]) }
    }
}

extension LabeledImages {
    /// The batches of epoch `epoch`, in the order ``shuffledIndices(count:seed:epoch:)`` gives.
    ///
    /// - Precondition: `size > 0`.
    public func batches(size: Int, seed: UInt64, epoch: Int = 0, dropLast: Bool = false) -> Batches {
        precondition(size > 0, "batch size must be positive")
        // The order is a permutation of 0..<count and size is positive, so this cannot throw.
        return try! Batches(data: self, order: shuffledIndices(count: count, seed: seed, epoch: epoch), size: size, dropLast: dropLast)
    }
}
