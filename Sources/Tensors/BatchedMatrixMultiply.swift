extension Tensor {
    /// op(a[i])·op(b[i]) for every i of the leading axes, which both operands share exactly (the
    /// caller broadcasts): [..., M, K] × [..., K, N] → [..., M, N]. Each product is one `gemm` of
    /// one shape, so an element is computed alike whichever thread or position it falls to.
    public static func batchedMatmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        let (batch, m, k, n) = batchedMatmulExtents(a.shape, a.dtype, b.shape, b.dtype, transposeA: transposeA, transposeB: transposeB)
        let c = Tensor(zeros: Array(a.shape.dropLast(2)) + [m, n], dtype: a.dtype)
        if batch == 0 || m == 0 || n == 0 || k == 0 { return c }
        let size = a.dtype.byteSize
        let (aStride, bStride, cStride) = (a.shape[a.rank - 2] * a.shape[a.rank - 1], b.shape[b.rank - 2] * b.shape[b.rank - 1], m * n)
        let (ap, bp, cp) = (UnsafeRawPointer(a.storage.pointer), UnsafeRawPointer(b.storage.pointer), c.storage.pointer)
        func product(_ i: Int) {
            gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 1,
                 a: ap + i * aStride * size, lda: a.shape[a.rank - 1], b: bp + i * bStride * size, ldb: b.shape[b.rank - 1],
                 beta: 0, c: cp + i * cStride * size, ldc: n, dtype: a.dtype)
        }
        if Parallel.threadCount == 1 || batch == 1 || batch * m * n * k < 1 << 17 {
            for i in 0..<batch { product(i) }
        } else {
            Parallel.forEachBlock(of: batch, size: 1) { product($0.lowerBound) }
        }
        return c
    }

    /// The number of products and M, K, N of `batchedMatmul` for operands of these shapes, which
    /// must have rank ≥ 2, one dtype, the same leading axes and agree in K.
    public static func batchedMatmulExtents(
        _ a: [Int], _ aType: DType, _ b: [Int], _ bType: DType, transposeA: Bool, transposeB: Bool
    ) -> (batch: Int, m: Int, k: Int, n: Int) {
        precondition(a.count >= 2 && a.count == b.count && a.dropLast(2) == b.dropLast(2),
                     "batchedMatmul: operands \(Shape.describe(a)) and \(Shape.describe(b)) should share their leading axes")
        let (m, k, n) = matmulExtents(Array(a.suffix(2)), aType, Array(b.suffix(2)), bType, transposeA: transposeA, transposeB: transposeB)
        return (a.dropLast(2).reduce(1, *), m, k, n)
    }
}
