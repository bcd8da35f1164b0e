import Autodiff
import Foundation
import NN
import Tensors
import TestSupport
import XCTest

/// A network made and evaluated by PyTorch (Fixtures/make_torch_fixture.py) loads unchanged and
/// gives PyTorch's logits, loss, input-gradient and input-HVP.
final class TorchCrossCheckTests: XCTestCase {
    private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    private struct Expected: Decodable {
        let x, v, logits, gradient, hvp: [Double]
        let labels: [Int]
        let loss: Double
    }

    func testPyTorchModelGivesPyTorchsDerivatives() throws {
        let architecture = try Architecture(contentsOf: fixtures.appendingPathComponent("torch_model.json"))
        let model = try Sequential.load(from: fixtures.appendingPathComponent("torch_model.safetensors"),
                                        architecture: architecture, dtype: .float64)
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: fixtures.appendingPathComponent("torch_expected.json")))
        let x = Tensor(shape: [2, 1, 8, 8], scalars: expected.x, dtype: .float64)
        let v = Tensor(shape: x.shape, scalars: expected.v, dtype: .float64)

        let logits = GradientMode.withoutGradients { model(Variable(x)).value }
        assertMaxError(logits.scalars, expected.logits, within: 1e-12, "logits")

        let loss: (Variable) -> Variable = { crossEntropy(logits: model($0), labels: expected.labels, reduction: .sum) }
        let result = hessianVectorProduct(of: loss, at: x, along: v)
        XCTAssertEqual(result.value.item, expected.loss, accuracy: 1e-12)
        assertMaxError(result.gradient.scalars, expected.gradient, within: 1e-12, "input gradient")
        assertMaxError(result.product.scalars, expected.hvp, within: 1e-10, "input-HVP")
        XCTAssertGreaterThan(result.product.map(.abs).sum().item, 1e-3, "the HVP is not trivially zero")
    }

    func testRunningStatisticsAndTrackedBatchesLoad() throws {
        let architecture = try Architecture(contentsOf: fixtures.appendingPathComponent("torch_model.json"))
        let file = try SafetensorsFile.read(from: fixtures.appendingPathComponent("torch_model.safetensors"))
        XCTAssertEqual(file.integers.map(\.name), ["1.num_batches_tracked"])
        XCTAssertNotNil(file["1.running_var"])
        let model = try Sequential(architecture, dtype: .float64)
        XCTAssertNoThrow(try model.loadState(file, source: "fixture"))
        XCTAssertEqual(model.namedParameters.map(\.name).count, file.tensors.count)
    }
}
