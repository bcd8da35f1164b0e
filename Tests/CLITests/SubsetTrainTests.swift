import Curvature
import Foundation
import XCTest

/// `curvature train --train-samples N --robust-samples M`: seeded class-stratified subsets,
/// recorded in the model's metadata.
final class SubsetTrainTests: ExecutableTestCase {
    private func run(_ arguments: [String]) throws -> (status: Int32, stderr: String) { try status(arguments) }

    private func split(_ split: Split) throws -> LabeledImages {
        setenv(DataDirectory.environmentVariable, Self.repository.appendingPathComponent("Data").path, 1)
        defer { unsetenv(DataDirectory.environmentVariable) }
        return try loadDataset(DatasetName.mnist5k, split: split)
    }

    func testTrainSamplesAndRobustSamplesAreStratifiedAndRecorded() throws {
        let arch = directory.appendingPathComponent("mlp.json")
        try Data(#"{"input":[1,28,28],"layers":[{"type":"flatten"},{"type":"linear","in":784,"out":8},{"type":"softplus","beta":2},{"type":"linear","in":8,"out":10}]}"#.utf8).write(to: arch)
        let result = try run(["train", "--data", "mnist5k", "--arch", arch.path, "--train-samples", "200", "--robust-samples", "30",
                              "--epsilon", "0.1", "--epochs", "1", "--batch-size", "50", "--seed", "7", "--threads", "1", "--out", "m.safetensors"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let metadata = try SafetensorsFile.read(from: directory.appendingPathComponent("m.safetensors")).metadata

        let train = try split(.train), test = try split(.test)
        let trainSubset = try train.stratifiedSubset(count: 200, seed: 7)
        XCTAssertEqual(train.images(of: trainSubset).classCounts(), [Int](repeating: 20, count: 10))
        XCTAssertEqual(metadata["train_subset"], "stratified seed=7 n=200 of=4000")
        XCTAssertEqual(metadata["train_subset_sha256"], SHA256.hex(Data(trainSubset.indexListText.utf8)))
        XCTAssertNotEqual(metadata["train_subset_sha256"], SHA256.hex(Data(Array(0..<200).map(String.init).joined(separator: ",").utf8)),
                          "not the first 200 images")

        let robustSubset = try test.stratifiedSubset(count: 30, seed: 7)
        XCTAssertEqual(test.images(of: robustSubset).classCounts(), [Int](repeating: 3, count: 10))
        XCTAssertEqual(metadata["robust_subset"], "stratified seed=7 n=30 of=1000")
        XCTAssertEqual(metadata["robust_subset_sha256"], SHA256.hex(Data(robustSubset.indexListText.utf8)))

        // Nothing to sample: recorded as such.
        let plain = try run(["train", "--data", "mnist5k", "--arch", arch.path, "--train-samples", "4000", "--robust-samples", "0",
                             "--epochs", "1", "--batch-size", "500", "--seed", "7", "--threads", "1", "--out", "all.safetensors"])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        let all = try SafetensorsFile.read(from: directory.appendingPathComponent("all.safetensors")).metadata
        XCTAssertEqual(all["train_subset"], "stratified seed=7 n=4000 of=4000")
        XCTAssertEqual(all["train_subset_sha256"], SHA256.hex(Data(Array(0..<4000).map(String.init).joined(separator: ",").utf8)))
        XCTAssertEqual(all["robust_subset"], "none")
    }
}
