import Datasets
import Foundation
import NN
import Robustness
import Tensors
import XCTest

/// `train` gives identical weights on any number of threads: the sums over a batch's samples
/// (weight gradients) are cut into groups fixed by the batch, never by the threads.
final class TrainingDeterminismTests: XCTestCase {
    override func tearDown() { Parallel.threadCount = 2 }

    func testWeightsDoNotDependOnTheThreadCount() throws {
        let json = #"{"input":[1,12,12],"layers":[{"type":"conv2d","in":1,"out":4,"kernel":3,"padding":1},{"type":"relu"},{"type":"maxpool2d","kernel":2},{"type":"conv2d","in":4,"out":6,"kernel":3,"padding":1},{"type":"relu"},{"type":"flatten"},{"type":"linear","in":216,"out":10}]}"#
        let count = 40
        let pixels = Tensor(randomShape: [count * 144], .uniform(low: 0, high: 1), dtype: .float32, seed: 11).floats
        let data = try LabeledImages(images: pixels, labels: (0..<count).map { Int32($0 % 10) }, channels: 1, height: 12, width: 12, classCount: 10)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("train-determinism-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var weights: [[String: [Double]]] = []
        let initial = Dictionary(uniqueKeysWithValues: try Sequential(try Architecture(json: Data(json.utf8)), seed: 5).namedParameters.map {
            ($0.name, $0.parameter.value.scalars)
        })
        for (run, threads) in [1, 2, 3].enumerated() {
            Parallel.threadCount = threads
            for mode in [TrainingMode.standard, .cure] {
                let model = try Sequential(try Architecture(json: Data(json.utf8)), seed: 5)
                var configuration = TrainingConfiguration()
                (configuration.mode, configuration.epochs, configuration.batchSize, configuration.seed) = (mode, 2, 16, 3)
                configuration.robustEvaluationSamples = 0
                let trainer = Trainer(model: model, configuration: configuration)
                try trainer.run(train: data, test: data, checkpoint: folder.appendingPathComponent("\(run)-\(mode).ckpt"),
                                logFile: folder.appendingPathComponent("\(run)-\(mode).log.csv"))
                let named = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ("\(mode) \($0.name)", $0.parameter.value.scalars) })
                // Training moved every parameter (identical weights would agree trivially).
                for parameter in model.namedParameters {
                    let moved = zip(parameter.parameter.value.scalars, initial[parameter.name] ?? []).map { Swift.abs($0 - $1) }
                    XCTAssertEqual(moved.count, initial[parameter.name]?.count, parameter.name)
                    XCTAssertGreaterThan(moved.max() ?? 0, 1e-4, "\(mode) training left \(parameter.name) where it started")
                    XCTAssertTrue(moved.allSatisfy(\.isFinite), "\(mode) \(parameter.name)")
                }
                if run == 0 { weights.append(named) } else {
                    let reference = weights[mode == .standard ? 0 : 1]
                    for (name, values) in named { XCTAssertEqual(values, reference[name], "\(name) on \(threads) threads") }
                }
            }
        }
    }
}
