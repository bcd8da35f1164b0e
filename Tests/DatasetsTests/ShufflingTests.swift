import Datasets
import XCTest

final class ShufflingTests: XCTestCase {
    func testShuffleIsAFixedPermutationPerSeedAndEpoch() {
        let order = shuffledIndices(count: 10, seed: 42)
        XCTAssertEqual(order, [6, 5, 2, 0, 4, 7, 8, 9, 3, 1])  // pinned: must never change across Swift versions
        XCTAssertEqual(order.sorted(), Array(0 ..< 10))
        XCTAssertEqual(shuffledIndices(count: 10, seed: 42, epoch: 0), order)
        XCTAssertNotEqual(shuffledIndices(count: 10, seed: 42, epoch: 1), order)
        XCTAssertNotEqual(shuffledIndices(count: 10, seed: 43), order)
        let large = shuffledIndices(count: 1000, seed: 7, epoch: 3)
        XCTAssertEqual(Set(large).count, 1000)
        XCTAssertLessThan(zip(large, 0 ..< 1000).filter { $0 == $1 }.count, 10)  // few fixed points
        XCTAssertEqual(shuffledIndices(count: 0, seed: 1), [])
        XCTAssertEqual(shuffledIndices(count: 1, seed: 1), [0])
    }

    func testBatchRanges() {
        XCTAssertEqual(Array(BatchRanges(count: 10, batchSize: 3)), [0 ..< 3, 3 ..< 6, 6 ..< 9, 9 ..< 10])
        XCTAssertEqual(Array(BatchRanges(count: 10, batchSize: 3, dropLast: true)), [0 ..< 3, 3 ..< 6, 6 ..< 9])
        XCTAssertEqual(Array(BatchRanges(count: 6, batchSize: 3, dropLast: true)), [0 ..< 3, 3 ..< 6])
        XCTAssertEqual(BatchRanges(count: 10, batchSize: 3).batchCount, 4)
        XCTAssertEqual(Array(BatchRanges(count: 0, batchSize: 3)), [])
    }

    func testBatchRangesCoverARangeAlignedAtItsStartAndSplitIntoShards() {
        let ranges = BatchRanges(covering: 10 ..< 21, batchSize: 4)
        XCTAssertEqual(Array(ranges), [10 ..< 14, 14 ..< 18, 18 ..< 21])
        XCTAssertEqual(ranges.batchCount, 3)
        XCTAssertEqual(ranges.batches(of: .whole), Array(ranges))
        let shards = (1 ... 2).map { ranges.batches(of: Shard("\($0)/2")!) }
        XCTAssertEqual(shards, [[10 ..< 14], [14 ..< 18, 18 ..< 21]])
        // Every sample lands in the same batch however the run is split.
        for n in 1 ... 5 {
            XCTAssertEqual((1 ... n).flatMap { ranges.batches(of: Shard("\($0)/\(n)")!) }, Array(ranges), "\(n) shards")
        }
        XCTAssertEqual(Shard("3/8")?.index, 2)
        XCTAssertEqual(Shard("3/8")?.description, "3/8")
        for bad in ["0/2", "3/2", "1/0", "1", "a/b", "1/2/3", "-1/2", ""] { XCTAssertNil(Shard(bad), bad) }
    }
}
