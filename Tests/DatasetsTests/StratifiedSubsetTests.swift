import Datasets
import Foundation
import XCTest

/// The seeded, class-stratified subsets behind `train --train-samples` and `--robust-samples`.
final class StratifiedSubsetTests: TemporaryDirectoryTestCase {
    private func perClass(_ data: LabeledImages, _ subset: StratifiedSubset) -> [Int] {
        var counts = [Int](repeating: 0, count: data.classCount)
        for index in subset.indices { counts[Int(data.labels[index])] += 1 }
        return counts
    }

    func testMNIST5kTrainingSubsetIsBalancedAndSeeded() throws {
        setenv(DataDirectory.environmentVariable, NamedDatasetsTests.packageData, 1)
        defer { unsetenv(DataDirectory.environmentVariable) }
        let train = try loadDataset(DatasetName.mnist5k, split: .train)
        XCTAssertEqual(Array(train.labels.prefix(2000)).max(), 4, "the first 2000 images are digits 0–4 only")

        let subset = try train.stratifiedSubset(count: 2000, seed: 1)
        XCTAssertEqual(subset.count, 2000)
        XCTAssertEqual(perClass(train, subset), [Int](repeating: 200, count: 10))
        XCTAssertEqual(subset.indices, subset.indices.sorted())
        XCTAssertEqual(Set(subset.indices).count, 2000, "no repeats")
        XCTAssertEqual(subset.rule, "stratified seed=1 n=2000 of=4000")

        let picked = train.images(of: subset)
        XCTAssertEqual(picked.classCounts(), [Int](repeating: 200, count: 10))
        XCTAssertEqual(picked.labels, subset.indices.map { train.labels[$0] })
        XCTAssertEqual(Array(picked.image(7)), Array(train.image(subset.indices[7])))

        XCTAssertEqual(try train.stratifiedSubset(count: 2000, seed: 1), subset, "same seed, same subset")
        let other = try train.stratifiedSubset(count: 2000, seed: 2)
        XCTAssertNotEqual(other.indices, subset.indices, "another seed, another subset")
        XCTAssertEqual(perClass(train, other), [Int](repeating: 200, count: 10))
    }

    func testUnevenClassesGetLargestRemainders() throws {
        // Classes of 5, 3 and 2 images; 4 of 10: exact shares 2, 1.2 and 0.8, so class 2's larger
        // remainder takes the one image left over.
        let labels: [Int32] = [0, 1, 0, 2, 0, 1, 0, 2, 1, 0]
        let data = try LabeledImages(images: labels.map(Float.init), labels: labels, channels: 1, height: 1, width: 1, classCount: 3)
        for seed: UInt64 in 0..<20 {
            let subset = try data.stratifiedSubset(count: 4, seed: seed)
            XCTAssertEqual(perClass(data, subset), [2, 1, 1], "seed \(seed)")
            XCTAssertEqual(subset.indices, subset.indices.sorted())
        }
        // Equal remainders go to the lower class: 3 of [5, 5] → 1.5 each → class 0 gets 2.
        let two = try LabeledImages(images: [Float](repeating: 0, count: 10), labels: [0, 0, 0, 0, 0, 1, 1, 1, 1, 1],
                                    channels: 1, height: 1, width: 1, classCount: 2)
        XCTAssertEqual(perClass(two, try two.stratifiedSubset(count: 3, seed: 5)), [2, 1])
        // All, none, too many.
        XCTAssertEqual(try data.stratifiedSubset(count: 10, seed: 3).indices, Array(0..<10))
        XCTAssertEqual(try data.stratifiedSubset(count: 0, seed: 3).indices, [])
        assertDatasetError(try data.stratifiedSubset(count: 11, seed: 3)) { error in
            guard case .invalidArgument = error else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(try data.stratifiedSubset(count: 4, seed: 9).indexListText,
                       try data.stratifiedSubset(count: 4, seed: 9).indices.map(String.init).joined(separator: ","))
    }

    func testEveryImageOfAClassIsReachable() throws {
        // Over many seeds the choice within a class is not stuck on a few images.
        let labels = [Int32](repeating: 0, count: 6) + [Int32](repeating: 1, count: 6)
        let data = try LabeledImages(images: [Float](repeating: 0, count: 12), labels: labels, channels: 1, height: 1, width: 1, classCount: 2)
        var seen = Set<Int>()
        for seed: UInt64 in 0..<50 { seen.formUnion(try data.stratifiedSubset(count: 2, seed: seed).indices) }
        XCTAssertEqual(seen, Set(0..<12))
    }
}
