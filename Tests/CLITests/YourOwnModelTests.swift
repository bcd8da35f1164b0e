import Curvature
import Foundation
import XCTest

/// Bringing a network from elsewhere: an ONNX file wherever a model is read, `inspect`, and
/// `train --init` fine-tuning written back in the file's own format.
final class YourOwnModelTests: ExecutableTestCase {
    var onnx: String { Self.repository.appendingPathComponent("Tests/ONNXTests/Fixtures/mnist_bn.onnx").path }

    func testONNXModelRunsInEveryCommandAndFineTunesBackToONNX() throws {
        let data = ["--data", "mnist5k", "--samples", "6"]
        for arguments in [
            ["eval", "--model", onnx] + data + ["--attack", "pgd-linf", "--epsilon", "8/255", "--out", "e.csv"],
            ["spectrum", "--model", onnx] + data + ["--k", "3", "--out", "s.csv"],
            ["trace", "--model", onnx] + data + ["--probes", "4", "--out", "t.csv"],
            ["attack", "--model", onnx] + data + ["--method", "fgsm", "--epsilon", "0.1", "--out", "a.csv"],
        ] {
            let result = try status(arguments)
            XCTAssertEqual(result.status, 0, "\(arguments): \(result.stderr)")
        }
        let spectrum = try String(contentsOf: directory.appendingPathComponent("s.csv"), encoding: .utf8)
        XCTAssertEqual(spectrum.split(separator: "\n").count, 1 + 6 * 3)

        let inspect = try launch(["inspect", onnx])
        let summary = text(inspect.stdout)
        XCTAssertEqual(inspect.process.terminationStatus, 0)
        for expected in ["input: [1, 28, 28] → 10 classes", "/bn/BatchNormalization", "[4, 14, 14]", "Gauss–Newton only"] {
            XCTAssertTrue(summary.contains(expected), "expected '\(expected)' in\n\(summary)")
        }

        let train = try status(["train", "--data", "mnist5k", "--init", onnx, "--epochs", "1", "--train-samples", "200",
                                "--robust-samples", "0", "--out", "tuned.onnx"])
        XCTAssertEqual(train.status, 0, train.stderr)
        let before = try ONNXModel.load(from: URL(fileURLWithPath: onnx))
        let after = try ONNXModel.load(from: directory.appendingPathComponent("tuned.onnx"))
        XCTAssertEqual(after.structureFingerprint, before.structureFingerprint, "the same graph, new weights")
        let changed = zip(before.namedParameters, after.namedParameters).filter { $0.0.parameter.value.scalars != $0.1.parameter.value.scalars }.map(\.0.name)
        XCTAssertTrue(changed.contains("conv.weight") && changed.contains("bn.running_mean"), "\(changed)")
    }

    func testMisusesOfInitAndONNXAreRefusedByName() throws {
        let unsupported = Self.repository.appendingPathComponent("Tests/ONNXTests/Fixtures/unsupported.onnx").path
        let cifarShaped = Self.repository.appendingPathComponent("Tests/ONNXTests/Fixtures/resnet_cifar.onnx").path
        let cases: [(arguments: [String], status: Int32, message: String)] = [
            (["train", "--data", "mnist5k", "--init", onnx, "--out", "m.safetensors"], 2, "--out m.safetensors: a network from \(onnx) is written as .onnx; name --out FILE.onnx"),
            (["train", "--data", "mnist5k", "--init", onnx, "--arch", "cnn-small", "--out", "m.onnx"], 2, "--arch cnn-small has no effect with an ONNX --init"),
            (["train", "--data", "mnist5k", "--out", "m.safetensors"], 2, "give --arch (a fresh network) or --init (a trained one)"),
            (["eval", "--model", onnx, "--arch", "cnn-small", "--data", "mnist5k", "--out", "e.csv"], 1, "mnist_bn.onnx: an ONNX file carries its own graph; drop --arch"),
            (["eval", "--model", unsupported, "--data", "mnist5k", "--out", "e.csv"], 1, "unsupported.onnx: node '/Sin' (Sin): operator Sin is not supported"),
            (["eval", "--model", cifarShaped, "--data", "mnist5k", "--out", "e.csv"], 1, "the model expects inputs [3, 32, 32] but mnist5k has images [1, 28, 28]"),
        ]
        for (arguments, status, message) in cases { try assertRefused(arguments, status: status, message: message) }
    }
}
