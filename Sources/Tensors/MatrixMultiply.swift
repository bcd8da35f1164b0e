import CBLAS

extension Tensor {
    /// op(a)·op(b) for 2-D tensors through cblas, where op transposes when asked.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        precondition(a.rank == 2 && b.rank == 2,
                     "matmul: needs 2-D operands, got \(Shape.describe(a.shape)) and \(Shape.describe(b.shape))")
        precondition(a.dtype == b.dtype, "matmul: dtypes \(a.dtype) and \(b.dtype) differ")
        let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (k2, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        precondition(
            k == k2,
            "matmul: \(Shape.describe(a.shape))\(transposeA ? "ᵀ" : "") × \(Shape.describe(b.shape))\(transposeB ? "ᵀ" : ""): inner dimensions \(k) and \(k2) differ")
        let c = Tensor(uninitialized: [m, n], dtype: a.dtype)
        parallelGemm(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 1,
            a: a.storage.pointer, lda: a.shape[1], b: b.storage.pointer, ldb: b.shape[1],
            beta: 0, c: c.storage.pointer, ldc: n, dtype: a.dtype)
        return c
    }

    /// `gemm` split across `Parallel.threadCount` threads: by rows of C when it has enough, else by
    /// columns; each thread runs a single-threaded BLAS call on its block.
    static func parallelGemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double,
        a: UnsafeRawPointer, lda: Int, b: UnsafeRawPointer, ldb: Int,
        beta: Double, c: UnsafeMutableRawPointer, ldc: Int, dtype: DType
    ) {
        let size = dtype.byteSize
        let work = m * n * Swift.max(k, 1)
        if Parallel.threadCount == 1 || work < 1 << 17 {
            gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                 b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, dtype: dtype)
        } else if m >= n || m >= 8 * Parallel.threadCount {
            Parallel.forEachChunk(of: m, minimumChunk: 4) { _, rows in
                let aBlock = a + (transposeA ? rows.lowerBound : rows.lowerBound * lda) * size
                gemm(transposeA: transposeA, transposeB: transposeB, m: rows.count, n: n, k: k, alpha: alpha,
                     a: aBlock, lda: lda, b: b, ldb: ldb, beta: beta, c: c + rows.lowerBound * ldc * size, ldc: ldc, dtype: dtype)
            }
        } else {
            Parallel.forEachChunk(of: n, minimumChunk: 16) { _, columns in
                let bBlock = b + (transposeB ? columns.lowerBound * ldb : columns.lowerBound) * size
                gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: columns.count, k: k, alpha: alpha,
                     a: a, lda: lda, b: bBlock, ldb: ldb, beta: beta, c: c + columns.lowerBound * size, ldc: ldc, dtype: dtype)
            }
        }
    }

    /// C ← α·op(A)·op(B) + β·C on raw row-major buffers of `dtype`, in the calling thread.
    static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double,
        a: UnsafeRawPointer, lda: Int, b: UnsafeRawPointer, ldb: Int,
        beta: Double, c: UnsafeMutableRawPointer, ldc: Int, dtype: DType
    ) {
        if m == 0 || n == 0 { return }
        let ta = transposeA ? CblasTrans : CblasNoTrans, tb = transposeB ? CblasTrans : CblasNoTrans
        switch dtype {
        case .float32:
            cblas_sgemm(
                CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), Float(alpha),
                a.assumingMemoryBound(to: Float.self), Int32(lda), b.assumingMemoryBound(to: Float.self), Int32(ldb),
                Float(beta), c.assumingMemoryBound(to: Float.self), Int32(ldc))
        case .float64:
            cblas_dgemm(
                CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), alpha,
                a.assumingMemoryBound(to: Double.self), Int32(lda), b.assumingMemoryBound(to: Double.self), Int32(ldb),
                beta, c.assumingMemoryBound(to: Double.self), Int32(ldc))
        }
    }

    /// The transpose of a 2-D tensor.
    public func transposed() -> Tensor {
        precondition(rank == 2, "transpose: needs a 2-D tensor, got \(Shape.describe(shape))")
        let (rows, cols) = (shape[0], shape[1])
        var out = Tensor(uninitialized: [cols, rows], dtype: dtype)
        switch dtype {
        case .float32: Self.transpose(buffer(Float.self), out.mutableBuffer(Float.self), rows, cols)
        case .float64: Self.transpose(buffer(Double.self), out.mutableBuffer(Double.self), rows, cols)
        }
        return out
    }

    private static func transpose<T: KernelScalar>(
        _ x: UnsafeMutableBufferPointer<T>, _ y: UnsafeMutableBufferPointer<T>, _ rows: Int, _ cols: Int
    ) {
        // Blocked so both sides stay in cache.
        let block = 32
        for r0 in stride(from: 0, to: rows, by: block) {
            for c0 in stride(from: 0, to: cols, by: block) {
                for r in r0..<min(r0 + block, rows) {
                    for c in c0..<min(c0 + block, cols) { y[c * rows + r] = x[r * cols + c] }
                }
            }
        }
    }
}
