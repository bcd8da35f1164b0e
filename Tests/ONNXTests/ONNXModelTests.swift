import Autodiff
import Foundation
import NN
@testable import ONNX
import Tensors
import TestSupport
import XCTest

/// The importer against PyTorch's own numbers for the same files (made by
/// Fixtures/make_onnx_fixtures.py): logits in Float32, and in Float64 the loss, input gradient
/// and input-Hessian-vector product of the summed cross-entropy.
final class ONNXModelTests: XCTestCase {
    struct Fixture: Decodable {
        let input_shape: [Int]
        let classes: Int
        let images: [Double]
        let labels: [Int]
        let logits32: [Double]
        let onnx_f64: String?
        let direction: [Double]?
        let logits64: [Double]?
        let loss64: Double?
        let grad64: [Double]?
        let hvp64: [Double]?
    }

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    func fixture(_ name: String) throws -> Fixture {
        try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: Self.folder.appendingPathComponent("\(name).json")))
    }

    func model(_ file: String, dtype: DType = .float32) throws -> ONNXModel {
        try ONNXModel.load(from: Self.folder.appendingPathComponent(file), dtype: dtype)
    }

    /// max |a − b| / max |b| within `tolerance`: the fixtures' logits barely differ between samples,
    /// so an element-wise relative error would be dominated by near-zero entries.
    func assertClose(_ a: [Double], _ b: [Double], within tolerance: Double, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        assertMaxError(a, b, within: tolerance, by: .relativeToLargest(), what, file: file, line: line)
    }

    func images(_ f: Fixture, _ dtype: DType) -> Tensor {
        Tensor(shape: [f.labels.count] + f.input_shape, scalars: f.images, dtype: dtype)
    }

    func checkLogits(_ file: String, fixture name: String, tolerance: Double = 1e-5) throws {
        let f = try fixture(name)
        let network = try model(file)
        XCTAssertEqual(network.inputShape, f.input_shape, file)
        XCTAssertEqual(network.outputCount, f.classes, file)
        let logits = GradientMode.withoutGradients { network(Variable(images(f, .float32))).value }
        XCTAssertEqual(logits.shape, [f.labels.count, f.classes], file)
        assertClose(logits.scalars, f.logits32, within: tolerance, "\(file) logits")
    }

    func checkFloat64Derivatives(_ name: String) throws {
        let f = try fixture(name)
        let network = try model(f.onnx_f64!, dtype: .float64)
        let x = images(f, .float64)
        let v = Tensor(shape: x.shape, scalars: f.direction!, dtype: .float64)
        let loss = { (input: Variable) in crossEntropy(logits: network(input), labels: f.labels, reduction: .sum) }
        let logits = GradientMode.withoutGradients { network(Variable(x)).value }
        assertClose(logits.scalars, f.logits64!, within: 1e-12, "\(name) logits")
        let (value, gradient, product) = hessianVectorProduct(of: loss, at: x, along: v)
        XCTAssertEqual(value.item, f.loss64!, accuracy: 1e-12 * Swift.abs(f.loss64!), name)
        assertClose(gradient.scalars, f.grad64!, within: 1e-10, "\(name) input gradient")
        assertClose(product.scalars, f.hvp64!, within: 1e-10, "\(name) input-HVP")
    }

    func testCIFARResNetWithFoldedBatchNormMatchesPyTorch() throws {
        try checkLogits("resnet_cifar.onnx", fixture: "resnet_cifar")
        try checkFloat64Derivatives("resnet_cifar")
    }

    func testUnfoldedBatchNormalizationMatchesPyTorch() throws {
        try checkLogits("resnet_unfolded.onnx", fixture: "resnet_unfolded")
        try checkFloat64Derivatives("resnet_unfolded")
    }

    func testInputNormalisationAndSoftplusWithBetaMatchPyTorch() throws {
        try checkLogits("normalized_softplus.onnx", fixture: "normalized_softplus")
        try checkFloat64Derivatives("normalized_softplus")
        try checkLogits("opset17.onnx", fixture: "opset17")
    }

    func testOperatorZooMatchesPyTorchAndDropsTheLogSoftmax() throws {
        try checkLogits("ops_zoo.onnx", fixture: "ops_zoo")
        try checkFloat64Derivatives("ops_zoo")
        XCTAssertTrue(try model("ops_zoo.onnx").notes.contains { $0.contains("LogSoftmax") })
    }

    /// `inspect` shows each Conv's `group`, depthwise ones (a group per input channel) named so,
    /// and that grouped ones run as such.
    func testSummaryShowsConvolutionGroups() throws {
        let summary = try model("ops_zoo.onnx").summary
        let kinds = Dictionary(summary.rows.map { ($0.name, $0.kind) }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(kinds["/conv_dw/Conv"], "Conv, groups 6 (depthwise)")
        XCTAssertEqual(kinds["/conv_s2/Conv"], "Conv, groups 1")
        XCTAssertTrue(summary.notes.contains { $0.hasPrefix("1 grouped convolution(s) run group by group") }, "\(summary.notes)")
        XCTAssertFalse(try model("resnet_cifar.onnx").summary.notes.contains { $0.contains("grouped") })
    }

    func testSoftmaxHeadIsDroppedWithANote() throws {
        try checkLogits("softmax_head.onnx", fixture: "softmax_head")
        try checkFloat64Derivatives("softmax_head")
        XCTAssertTrue(try model("softmax_head.onnx").notes.contains { $0.contains("ends in Softmax") })
    }

    func testTypedFieldsAndFloat16WeightsLoad() throws {
        try checkLogits("resnet_cifar-typed.onnx", fixture: "resnet_cifar")
        try checkLogits("resnet_cifar-f16.onnx", fixture: "resnet_cifar-f16")
    }

    func testUnsupportedOperatorAndExternalDataAreRefusedByName() throws {
        XCTAssertThrowsError(try model("unsupported.onnx")) { error in
            let message = String(describing: error)
            XCTAssertTrue(message.contains("unsupported.onnx: node '/Sin' (Sin): operator Sin is not supported; supported: Abs, Add"), message)
        }
        XCTAssertThrowsError(try model("external_data.onnx")) { error in
            XCTAssertTrue(String(describing: error).contains("external file"), String(describing: error))
        }
        XCTAssertThrowsError(try ONNXModel(data: Data("not a model".utf8), source: "x.onnx")) { error in
            XCTAssertTrue(String(describing: error).hasPrefix("x.onnx: "), String(describing: error))
        }
    }
}

/// Writing a graph back: the same structure, the current weights in each initializer's own type.
final class ONNXWriteBackTests: XCTestCase {
    func testSavedGraphReloadsWithTheNewWeightsAndTheSameLogits() throws {
        let folder = ONNXModelTests.folder
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("onnx-save-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for file in ["mnist_bn.onnx", "resnet_cifar-f16.onnx", "resnet_cifar-f64.onnx", "ops_zoo.onnx"] {
            let dtype: DType = file.contains("f64") ? .float64 : .float32
            let model = try ONNXModel.load(from: folder.appendingPathComponent(file), dtype: dtype)
            let first = model.namedParameters.first { $0.parameter.isTrainable }!.parameter
            // A value every element type holds exactly, so the reload must give it back bit for bit.
            first.value = Tensor(repeating: 0.25, shape: first.shape, dtype: dtype)
            let url = directory.appendingPathComponent(file)
            try model.save(to: url, metadata: ["curvature_test": "1"])
            let reloaded = try ONNXModel.load(from: url, dtype: dtype)
            XCTAssertEqual(reloaded.structureFingerprint, model.structureFingerprint, file)
            XCTAssertEqual(reloaded.namedParameters.map(\.name), model.namedParameters.map(\.name), file)
            for (a, b) in zip(model.namedParameters, reloaded.namedParameters) where !file.contains("f16") {
                XCTAssertEqual(a.parameter.value.scalars, b.parameter.value.scalars, "\(file) \(a.name)")
            }
            let x = Tensor(repeating: 0.5, shape: [2] + model.inputShape, dtype: dtype)
            let y0 = GradientMode.withoutGradients { model(Variable(x)).value }
            let y1 = GradientMode.withoutGradients { reloaded(Variable(x)).value }
            if file.contains("f16") {
                assertMaxError(y1.scalars, y0.scalars, within: 1e-5, file)
            } else {
                XCTAssertEqual(y0.scalars, y1.scalars, file)
            }
        }
    }

    func testHalfPrecisionConversionRoundTrips() {
        for bits: UInt16 in [0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x3C00, 0xBC00, 0x7BFF, 0x7C00, 0xFC00, 0x3555, 0x1234] {
            XCTAssertEqual(doubleToHalf(halfToDouble(bits)), bits, String(bits, radix: 16))
        }
        XCTAssertEqual(halfToDouble(0x3C00), 1)
        XCTAssertEqual(halfToDouble(0x0001), 0x1p-24)
        XCTAssertEqual(doubleToHalf(1 + 0x1p-11), 0x3C00, "ties round to even")
        XCTAssertEqual(doubleToHalf(1 + 3 * 0x1p-11), 0x3C02)
        XCTAssertTrue(halfToDouble(0x7E00).isNaN)
    }
}
