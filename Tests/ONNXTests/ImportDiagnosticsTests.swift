import Autodiff
import Foundation
@testable import ONNX
import Tensors
import TestSupport
import XCTest

/// What a refusal says: the node, the input as ONNX counts it (from 0), and for an operator
/// supported only in some forms, which form was met and which are supported. The graphs are
/// built here, node by node, as an exporter would write them.
final class ImportDiagnosticsTests: XCTestCase {
    /// One [N, 4] float input "input", the nodes, and `output` as the graph's output.
    func load(_ nodes: [Onnx_NodeProto], output: String, initializers: [Onnx_TensorProto] = [], opset version: Int64 = 13,
              dtype: DType = .float32) throws -> ONNXModel {
        var model = Onnx_ModelProto()
        var opset = Onnx_OperatorSetIdProto()
        opset.version = version
        model.opsetImport = [opset]
        func value(_ name: String, _ dims: [Int64?]) -> Onnx_ValueInfoProto {
            var info = Onnx_ValueInfoProto()
            info.name = name
            var tensor = Onnx_TypeProto.Tensor()
            tensor.elemType = 1
            tensor.shape.dim = dims.map { size in
                var dim = Onnx_TensorShapeProto.Dimension()
                if let size { dim.dimValue = size } else { dim.dimParam = "batch" }
                return dim
            }
            info.type.tensorType = tensor
            return info
        }
        model.graph.input = [value("input", [nil, 4])]
        model.graph.output = [value(output, [nil, 4])]
        model.graph.node = nodes
        model.graph.initializer = initializers
        return try ONNXModel(data: try model.serializedData(), source: "graph.onnx", dtype: dtype)
    }

    func node(_ op: String, _ inputs: [String], _ output: String) -> Onnx_NodeProto {
        var node = Onnx_NodeProto()
        (node.opType, node.input, node.output, node.name) = (op, inputs, [output], "/\(output)")
        return node
    }

    func integers(_ name: String, _ values: [Int64]) -> Onnx_TensorProto {
        var tensor = Onnx_TensorProto()
        (tensor.name, tensor.dataType, tensor.dims, tensor.int64Data) = (name, 7, [Int64(values.count)], values)
        return tensor
    }

    func assertRefusal(_ body: @autoclosure () throws -> ONNXModel, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertEqual(String(describing: error), expected, file: file, line: line)
        }
    }

    func testAComparisonOfTheImageNamesTheFormsSupported() {
        assertRefusal(try load([node("Greater", ["input", "input"], "g"), node("Where", ["g", "input", "input"], "y")], output: "y"),
                      "graph.onnx: node '/g' (Greater): input 0 is computed from the image; Curvature folds Greater only on values known at load "
                      + "(Curvature supports Greater on integers known at load (shapes), folded)")
    }

    func testSliceBoundsFromTheImageAreNamedByTheirONNXIndex() {
        assertRefusal(try load([node("Slice", ["input", "input", "ends"], "y")], output: "y", initializers: [integers("ends", [2])]),
                      "graph.onnx: node '/y' (Slice): input 1 should be an integer tensor known at load (a shape, indices, axes or pads), "
                      + "found floating-point values computed from the image (Curvature supports Slice on any tensor, with starts, ends, axes and steps known at load)")
    }

    func testAGemmOfTwoComputedTensorsPointsToMatMul() {
        assertRefusal(try load([node("Gemm", ["input", "input"], "y")], output: "y"),
                      "graph.onnx: node '/y' (Gemm): input 1 is computed from the image; Curvature supports only a constant there"
                      + "; a product of two computed tensors is MatMul's (Curvature supports Gemm with constant B and C)")
    }

    /// A product of the image with itself is attention's form and runs (batched, no refusal).
    func testAMatMulOfTheImageWithItselfRuns() throws {
        var reshape = node("Reshape", ["input", "shape"], "r")
        reshape.name = "/r"
        let network = try load([reshape, node("MatMul", ["r", "r"], "m"), node("Reshape", ["m", "back"], "y")], output: "y",
                               initializers: [integers("shape", [-1, 2, 2]), integers("back", [-1, 4])])
        XCTAssertFalse(network.foldedPerBatchSize)
        XCTAssertFalse(network.isPiecewiseLinear, "a product of two computed tensors is not linear")
    }

    /// Opset 20's Gelu, exact and tanh, computes what the forms older opsets export compute (the
    /// Erf form of nn.GELU(), the Tanh form of approximate="tanh"), to the HVP, in Float64.
    func testOpset20GeluMatchesTheFormsOlderOpsetsExport() throws {
        func scalar(_ name: String, _ value: Double) -> Onnx_TensorProto {
            var tensor = Onnx_TensorProto()
            (tensor.name, tensor.dataType, tensor.doubleData) = (name, 11, [value])
            return tensor
        }
        let exact = node("Gelu", ["input"], "y")
        var tanhForm = node("Gelu", ["input"], "y")
        var approximate = Onnx_AttributeProto()
        (approximate.name, approximate.type, approximate.s) = ("approximate", .string, Data("tanh".utf8))
        tanhForm.attribute = [approximate]
        let constants = [scalar("half", 0.5), scalar("one", 1), scalar("root2", 2.0.squareRoot()), scalar("three", 3),
                         scalar("k", 0.044715), scalar("c", (2 / Double.pi).squareRoot())]
        // x·½·(1 + erf(x/√2)), as torch.onnx writes nn.GELU() before opset 20.
        let erfForm = [node("Div", ["input", "root2"], "a"), node("Erf", ["a"], "b"), node("Add", ["b", "one"], "d"),
                       node("Mul", ["input", "d"], "e"), node("Mul", ["e", "half"], "y")]
        // ½x·(1 + tanh(√(2/π)·(x + 0.044715x³))).
        let tanhNodes = [node("Pow", ["input", "three"], "p"), node("Mul", ["p", "k"], "q"), node("Add", ["input", "q"], "r"),
                         node("Mul", ["r", "c"], "s"), node("Tanh", ["s"], "t"), node("Add", ["t", "one"], "u"),
                         node("Mul", ["input", "u"], "w"), node("Mul", ["w", "half"], "y")]
        let x = Tensor(shape: [3, 4], scalars: (0..<12).map { Double($0) * 0.55 - 3.1 }, dtype: .float64)
        let v = Tensor(shape: [3, 4], scalars: (0..<12).map { Double(($0 * 7) % 5) - 2 }, dtype: .float64)
        for (gelu, older) in [(exact, erfForm), (tanhForm, tanhNodes)] {
            let new = try load([gelu], output: "y", opset: 20, dtype: .float64)
            let old = try load(older, output: "y", initializers: constants, dtype: .float64)
            let loss = { (network: ONNXModel) in { (input: Variable) in sum(square(network(input))) } }
            let (a, b) = (hessianVectorProduct(of: loss(new), at: x, along: v), hessianVectorProduct(of: loss(old), at: x, along: v))
            assertMaxError(a.gradient.scalars, b.gradient.scalars, within: 1e-12, by: .relativeToLargest(), "Gelu gradient")
            assertMaxError(a.product.scalars, b.product.scalars, within: 1e-12, by: .relativeToLargest(), "Gelu HVP")
        }
    }

    /// Slice with step −1 reverses (torch.flip's form), twice gives the input back; Split at opset
    /// 18 (num_outputs) and Concat rejoin it; each sample's rows stay its own in a batch.
    func testNegativeStepsAndOpset18SplitRejoinTheInput() throws {
        var split = node("Split", ["input"], "a")
        split.output = ["a", "b"]
        var outputs = Onnx_AttributeProto(), axis = Onnx_AttributeProto()
        (outputs.name, outputs.type, outputs.i) = ("num_outputs", .int, 2)
        (axis.name, axis.type, axis.i) = ("axis", .int, 1)
        split.attribute = [outputs, axis]
        var join = node("Concat", ["a", "b"], "y")
        join.attribute = [axis]
        let bounds = [integers("starts", [-1]), integers("ends", [Int64.min]), integers("axes", [1]), integers("steps", [-1])]
        let reverse = { (input: String, output: String) in self.node("Slice", [input, "starts", "ends", "axes", "steps"], output) }
        let x = Tensor(shape: [2, 4], scalars: [1, 2, 3, 4, 5, 6, 7, 8], dtype: .float64)
        let reversed = try load([reverse("input", "y")], output: "y", initializers: bounds, dtype: .float64)
        XCTAssertEqual(GradientMode.withoutGradients { reversed(Variable(x)).value.scalars }, [4, 3, 2, 1, 8, 7, 6, 5])
        let twice = try load([reverse("input", "r"), reverse("r", "y")], output: "y", initializers: bounds, dtype: .float64)
        XCTAssertEqual(GradientMode.withoutGradients { twice(Variable(x)).value.scalars }, x.scalars)
        let rejoined = try load([split, join], output: "y", opset: 18, dtype: .float64)
        XCTAssertEqual(GradientMode.withoutGradients { rejoined(Variable(x)).value.scalars }, x.scalars)
        XCTAssertFalse(reversed.foldedPerBatchSize || twice.foldedPerBatchSize || rejoined.foldedPerBatchSize)
    }
}
