import Autodiff
import Foundation
@testable import ONNX
import Tensors
import TestSupport
import XCTest

/// Issue 29's fixtures against PyTorch: attention (written out, and nn.MultiheadAttention, which
/// is folded per batch size), LayerNorm in both exported forms, ConvNeXt, MLP-Mixer, a Swish wide
/// ResNet and the opset-17 operator zoo.
extension ONNXModelTests {
    func testTinyViTWithBothAttentionsMatchesPyTorchAtOpsets13And17() throws {
        try checkLogits("vit_tiny.onnx", fixture: "vit_tiny")
        try checkFloat64Derivatives("vit_tiny")
        try checkLogits("vit_tiny17.onnx", fixture: "vit_tiny17")
        try checkFloat64Derivatives("vit_tiny17")
        let notes = try model("vit_tiny.onnx").notes
        XCTAssertTrue(notes.contains { $0.contains("(Transpose): perm [1, 0, 2] moves the batch axis; the graph is folded again for each batch size it meets") }, "\(notes)")
        // inspect: the blocks, and the products of two computed tensors among the rows.
        let summary = try model("vit_batched.onnx").summary
        XCTAssertTrue(summary.notes.contains { $0.hasPrefix("transformer: 2 block(s) with attention") && $0.contains("/blocks/blocks.0 (output [17, 16], ")
                                               && $0.contains("attention /blocks/blocks.1/attn)") }, "\(summary.notes)")
        XCTAssertEqual(summary.rows.filter { $0.kind == "MatMul, two computed tensors" }.count, 4)
        XCTAssertNil(try model("convnext_block.onnx").transformerBlocks)
    }

    func testWrittenOutAttentionKeepsTheBatchAndMatchesPyTorch() throws {
        try checkLogits("vit_batched.onnx", fixture: "vit_batched")
        try checkFloat64Derivatives("vit_batched")
        let network = try model("vit_batched.onnx")
        XCTAssertFalse(network.foldedPerBatchSize, "\(network.notes)")
        XCTAssertFalse(network.isPiecewiseLinear)
    }

    func testConvNeXtMixerAndSwishWideResNetMatchPyTorch() throws {
        for name in ["convnext_block", "mixer_block", "wrn_swish"] {
            try checkLogits("\(name).onnx", fixture: name)
            try checkFloat64Derivatives(name)
            XCTAssertFalse(try model("\(name).onnx").foldedPerBatchSize, name)
        }
    }

    func testOpset17OperatorZooMatchesPyTorch() throws {
        try checkLogits("ops_zoo17.onnx", fixture: "ops_zoo17")
        try checkFloat64Derivatives("ops_zoo17")
        XCTAssertFalse(try model("ops_zoo17.onnx").foldedPerBatchSize, "a token expanded or tiled over the batch keeps it on axis 0")
    }

    /// A sample's logits do not depend on the batch it is in, in either mode.
    func testLogitsOfASampleAreTheSameAloneAndInABatch() throws {
        for name in ["vit_tiny", "vit_batched"] {
            let f = try fixture(name)
            let network = try model("\(name).onnx", dtype: .float64)
            let x = images(f, .float64)
            let together = GradientMode.withoutGradients { network(Variable(x)).value.scalars }
            for i in 0..<f.labels.count {
                let alone = GradientMode.withoutGradients { network(Variable(x.slice(rows: i..<(i + 1)))).value.scalars }
                assertMaxError(alone, Array(together[(i * f.classes)..<((i + 1) * f.classes)]), within: 1e-13, "\(name) sample \(i)")
            }
        }
    }

    func testEveryUnsupportedNodeIsListedAtOnceByOperator() throws {
        XCTAssertThrowsError(try model("unsupported_many.onnx")) { error in
            let message = String(describing: error)
            XCTAssertTrue(message.hasPrefix("unsupported_many.onnx: 4 nodes use 3 operators Curvature does not support: "
                                            + "Sin ×2 (first node '/Sin'), Cos ×1 (node '/Cos'), Einsum ×1 (node '/Einsum'); supported: Abs, "), message)
        }
    }
}
