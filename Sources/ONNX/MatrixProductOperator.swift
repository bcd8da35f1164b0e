import Autodiff
import Tensors

extension Operators {
    /// MatMul with NumPy's semantics for operands of rank 2 or more: one product per index of the
    /// leading axes, which broadcast (attention's Q·Kᵀ and softmax·V, both computed). A constant
    /// matrix on the right of anything is one GEMM over all rows.
    static func matrixProduct(_ c: NodeContext) throws -> [GraphValue] {
        let (a, aBatched) = try c.float(0), (b, bBatched) = try c.float(1)
        guard a.shape.count >= 2, b.shape.count >= 2 else {
            throw c.fail("operands \(Shape.describe(a.shape)) × \(Shape.describe(b.shape)): Curvature supports MatMul of rank-2-or-more operands only, not vectors")
        }
        let (m, k) = (a.shape[a.shape.count - 2], a.shape[a.shape.count - 1])
        let (inner, n) = (b.shape[b.shape.count - 2], b.shape[b.shape.count - 1])
        guard k == inner else { throw c.fail("operands \(Shape.describe(a.shape)) × \(Shape.describe(b.shape)) differ in their inner dimension") }
        let batched = aBatched || bBatched
        let outputShape: [Int]
        if !bBatched && b.shape.count == 2 {
            outputShape = Array(a.shape.dropLast()) + [n]
            try c.checkSize(outputShape, batched: aBatched, "the output")
            try c.charge(ONNXLimits.saturatingProduct(perSample(c, a.shape.dropLast(), aBatched), b.count))
            return [.float(reshape(matmul(reshape(a, [a.count / Swift.max(k, 1), k]), b), outputShape), batched: aBatched)]
        }
        let leadA = Array(a.shape.dropLast(2)), leadB = Array(b.shape.dropLast(2))
        // The batch must be a leading axis of its operand, not a row or column of the matrices.
        for (lead, isBatched) in [(leadA, aBatched), (leadB, bBatched)] where c.batchOnAxis0(isBatched) {
            try c.keepBatch(!lead.isEmpty, "the batch is a matrix axis of a product of two computed tensors")
        }
        let lead = try checkBroadcast(c, leadA, aBatched, leadB, bBatched)
        outputShape = lead + [m, n]
        try c.checkSize(outputShape, batched: batched, "the output")
        try c.charge(ONNXLimits.saturatingProduct(perSample(c, lead[...], batched), m, k, n))
        let ones = { (count: Int) in [Int](repeating: 1, count: count) }
        let left = broadcast(reshape(a, ones(lead.count - leadA.count) + a.shape), to: lead + [m, k])
        let right = broadcast(reshape(b, ones(lead.count - leadB.count) + b.shape), to: lead + [k, n])
        return [.float(batchedMatmul(left, right), batched: batched)]
    }

    /// The product of `axes` for one sample (axis 0 left out when it is the batch).
    private static func perSample(_ c: NodeContext, _ axes: ArraySlice<Int>, _ batched: Bool) -> Int {
        (c.batchOnAxis0(batched) ? axes.dropFirst() : axes).reduce(1, *)
    }
}
