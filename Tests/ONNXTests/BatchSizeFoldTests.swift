import Autodiff
import Foundation
@testable import ONNX
import Tensors
import XCTest

/// nn.MultiheadAttention moves the batch off axis 0 ([T, N·heads, d]), so vit_tiny is folded per
/// batch size and each batch runs whole: every sample must keep the bits it has alone.
extension ONNXModelTests {
    func testMultiheadAttentionBatchesGiveEachSampleItsBitsAlone() throws {
        let network = try model("vit_tiny.onnx")
        XCTAssertTrue(network.foldedPerBatchSize)
        let shape = network.inputShape, size = shape.reduce(1, *), pool = 7
        let images = Tensor(randomShape: [pool] + shape, .uniform(low: 0, high: 1), dtype: .float32, seed: 29).scalars
        let directions = Tensor(randomShape: [pool] + shape, .normal(mean: 0, standardDeviation: 1), dtype: .float32, seed: 30).scalars
        let labels = (0..<pool).map { ($0 * 3) % network.outputCount }
        /// Each sample's logits, loss, input gradient and input-HVP, from one batch of `samples`.
        func results(_ samples: [Int]) -> [[[Double]]] {
            func batch(_ values: [Double]) -> Tensor {
                Tensor(shape: [samples.count] + shape, scalars: samples.flatMap { values[($0 * size)..<(($0 + 1) * size)] }, dtype: .float32)
            }
            let (x, v, y) = (batch(images), batch(directions), samples.map { labels[$0] })
            let (logits, losses) = GradientMode.withoutGradients {
                let logits = network(Variable(x))
                return (logits.value, crossEntropy(logits: logits, labels: y, reduction: .none).value)
            }
            let hvp = hessianVectorProduct(of: { crossEntropy(logits: network($0), labels: y, reduction: .sum) }, at: x, along: v)
            func row(_ t: Tensor, _ i: Int) -> [Double] { t.count == samples.count ? [t[flat: i]] : t.slice(rows: i..<(i + 1)).scalars }
            return samples.indices.map { i in [row(logits, i), row(losses, i), row(hvp.gradient, i), row(hvp.product, i)] }
        }
        let previous = Parallel.threadCount
        defer { Parallel.threadCount = previous }
        Parallel.threadCount = 1
        let alone = (0..<pool).map { results([$0])[0] }
        for threads in [1, 2] {
            Parallel.threadCount = threads
            for samples in [[4, 0, 6], [3, 6, 0, 5, 1, 2, 4]] {
                for (position, result) in results(samples).enumerated() {
                    for (part, name) in ["logits", "loss", "input gradient", "input-HVP"].enumerated() {
                        XCTAssertEqual(result[part].map(\.bitPattern), alone[samples[position]][part].map(\.bitPattern),
                                       "sample \(samples[position]) at \(position) of \(samples.count), \(threads) threads: \(name)")
                    }
                }
            }
        }
        for batchSize in [3, 7] { XCTAssertNotNil(network.foldedGraph(forBatch: batchSize), "batch of \(batchSize) runs whole") }
        // The fixtures' three samples, as the parity tests run them, are one batch too.
        for (file, dtype) in [("vit_tiny-f64.onnx", DType.float64), ("vit_tiny17.onnx", .float32), ("vit_tiny17-f64.onnx", .float64)] {
            XCTAssertNotNil(try model(file, dtype: dtype).foldedGraph(forBatch: 3), file)
        }
    }
}

/// Where a batch size's fold would mix samples, that size runs one sample at a time.
extension ImportDiagnosticsTests {
    func testAFoldThatMixesSamplesFallsBackToOneSampleAtATime() throws {
        func transpose(_ input: String, _ output: String) -> Onnx_NodeProto {
            var transpose = node("Transpose", [input], output)
            var perm = Onnx_AttributeProto()
            (perm.name, perm.type, perm.ints) = ("perm", .ints, [1, 0])
            transpose.attribute = [perm]
            return transpose
        }
        let x = Tensor(shape: [3, 4], scalars: (0..<12).map { Double($0 % 5) - 2 }, dtype: .float64)
        // [4, N]: Relu keeps samples apart, Softmax over the last axis mixes them.
        let apart = try load([transpose("input", "t"), node("Relu", ["t"], "r"), transpose("r", "y")], output: "y", dtype: .float64)
        XCTAssertTrue(apart.foldedPerBatchSize)
        XCTAssertNotNil(apart.foldedGraph(forBatch: 3))
        XCTAssertEqual(GradientMode.withoutGradients { apart(Variable(x)).value.scalars }, x.scalars.map { Swift.max($0, 0) })
        let mixing = try load([transpose("input", "t"), node("Softmax", ["t"], "s"), transpose("s", "y")], output: "y", dtype: .float64)
        XCTAssertNil(mixing.foldedGraph(forBatch: 3))
        XCTAssertEqual(GradientMode.withoutGradients { mixing(Variable(x)).value.scalars }, [Double](repeating: 1, count: 12),
                       "a softmax over one sample")
    }
}
