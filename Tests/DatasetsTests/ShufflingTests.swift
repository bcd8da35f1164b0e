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

    func testBatchesVisitEveryImageOnceInShuffledOrder() throws {
        let data = try LabeledImages(
            images: (0 ..< 7).map(Float.init), labels: (0 ..< 7).map { Int32($0 % 2) },
            channels: 1, height: 1, width: 1, classCount: 2)
        let batches = Array(data.batches(size: 3, seed: 5, epoch: 2))
        XCTAssertEqual(batches.map(\.count), [3, 3, 1])
        let visited = batches.flatMap(\.images).map(Int.init)
        XCTAssertEqual(visited, shuffledIndices(count: 7, seed: 5, epoch: 2))
        XCTAssertEqual(batches.flatMap(\.labels), visited.map { Int32($0 % 2) })
        XCTAssertEqual(Array(data.batches(size: 3, seed: 5, epoch: 2, dropLast: true)).count, 2)
        XCTAssertThrowsError(try Batches(data: data, order: [0, 7], size: 2))
    }
}
