import CBLAS

extension Tensor {
    /// op(a)·op(b) for 2-D tensors through cblas, where op transposes when asked.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        let (m, k, n) = matmulExtents(a.shape, a.dtype, b.shape, b.dtype, transposeA: transposeA, transposeB: transposeB)
        // Float32 A·op(B): our packed kernels, B packed at its first product (a weight, once a run);
        // each element one FMA chain in k order, so no tiles or padding are needed for determinism.
        if a.dtype == .float32 && !transposeA && PackedGEMM.replacesBLAS {
            let packed = b.storage.form(.packed(k: k, n: n, transposed: transposeB)) { PackedMatrix(b, transposed: transposeB) }
            return matmul(a, packed)
        }
        let c = Tensor(uninitialized: [m, n], dtype: a.dtype)
        parallelGemm(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 1,
            a: a.storage.pointer, lda: a.shape[1], b: b.storage.pointer, ldb: b.shape[1],
            beta: 0, c: c.storage.pointer, ldc: n, dtype: a.dtype)
        return c
    }

    /// M, K and N of op(a)·op(b) for operands of these shapes and dtypes, which must be 2-D, of one
    /// dtype and agree in K: the result is [M, N]. Shared with the recorded op, which needs the
    /// shape before the product.
    public static func matmulExtents(
        _ a: [Int], _ aType: DType, _ b: [Int], _ bType: DType, transposeA: Bool, transposeB: Bool
    ) -> (m: Int, k: Int, n: Int) {
        precondition(a.count == 2 && b.count == 2, "matmul: needs 2-D operands, got \(Shape.describe(a)) and \(Shape.describe(b))")
        precondition(aType == bType, "matmul: dtypes \(aType) and \(bType) differ")
        let (m, k) = transposeA ? (a[1], a[0]) : (a[0], a[1])
        let (k2, n) = transposeB ? (b[1], b[0]) : (b[0], b[1])
        precondition(
            k == k2,
            "matmul: \(Shape.describe(a))\(transposeA ? "ᵀ" : "") × \(Shape.describe(b))\(transposeB ? "ᵀ" : ""): inner dimensions \(k) and \(k2) differ")
        return (m, k, n)
    }

    /// `gemm` cut into tiles whose shapes depend only on N and K, never on M or the thread count:
    /// the rows of C (samples, in the linear layers' forward and input-gradient products; in their
    /// weight gradients the samples are K, summed) in tiles of `gemmRowTile(n:k:)` rows, the last
    /// one zero-padded to full height, and its columns in `gemmColumnTile(n:)` slices. A sample's
    /// row then meets the same calls whichever tile it falls in, and is computed the same way as
    /// long as OpenBLAS rounds an element the same way wherever it sits in a call of one shape
    /// (true of every kernel set BLASKernels chooses; `scripts/blas-invariance.py`). Where every
    /// call computes a row alike whatever its M (`rowsComputedAlikeInAnyCall`: wide layers), the
    /// rows are cut in tiles of up to 512 and nothing is padded beyond `gemm`'s 16. Threads take
    /// the tiles from a shared counter.
    static func parallelGemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double,
        a: UnsafeRawPointer, lda: Int, b: UnsafeRawPointer, ldb: Int,
        beta: Double, c: UnsafeMutableRawPointer, ldc: Int, dtype: DType
    ) {
        if m == 0 || n == 0 { return }
        let size = dtype.byteSize
        let columnTile = gemmColumnTile(n: n)
        let anyRows = rowsComputedAlikeInAnyCall(n: n, columnTile: columnTile, k: k)
        let rowTile = anyRows ? Swift.min(m, 512) : gemmRowTile(n: n, k: k)
        let rowTiles = (m + rowTile - 1) / rowTile, columnTiles = (n + columnTile - 1) / columnTile
        func tile(_ index: Int) {
            let rows = (index / columnTiles * rowTile)..<Swift.min((index / columnTiles + 1) * rowTile, m)
            let columns = (index % columnTiles * columnTile)..<Swift.min((index % columnTiles + 1) * columnTile, n)
            let bTile = b + (transposeB ? columns.lowerBound * ldb : columns.lowerBound) * size
            let cTile = c + (rows.lowerBound * ldc + columns.lowerBound) * size
            if rows.count == rowTile || anyRows {
                gemm(transposeA: transposeA, transposeB: transposeB, m: rows.count, n: columns.count, k: k, alpha: alpha,
                     a: a + (transposeA ? rows.lowerBound : rows.lowerBound * lda) * size, lda: lda,
                     b: bTile, ldb: ldb, beta: beta, c: cTile, ldc: ldc, dtype: dtype)
                return
            }
            switch dtype {
            case .float32:
                paddedRowTile(Float.self, transposeA, transposeB, rows, columns.count, rowTile, k, alpha, a, lda, bTile, ldb, beta, cTile, ldc)
            case .float64:
                paddedRowTile(Double.self, transposeA, transposeB, rows, columns.count, rowTile, k, alpha, a, lda, bTile, ldb, beta, cTile, ldc)
            }
        }
        let tiles = rowTiles * columnTiles
        if Parallel.threadCount == 1 || tiles == 1 || m * n * Swift.max(k, 1) < 1 << 17 {
            for index in 0..<tiles { tile(index) }
        } else {
            Parallel.forEachBlock(of: tiles, size: 1) { tile($0.lowerBound) }
        }
    }

    /// The last, short row tile as a full one: its rows of op(A) and of C copied into zero-padded
    /// operands laid out as the originals (same transposition, same β), so BLAS sees the call it
    /// sees for every other tile of this GEMM; then the real rows of C copied back.
    private static func paddedRowTile<T: KernelScalar>(
        _: T.Type, _ transposeA: Bool, _ transposeB: Bool, _ rows: Range<Int>, _ columns: Int, _ rowTile: Int, _ k: Int,
        _ alpha: Double, _ a: UnsafeRawPointer, _ lda: Int, _ b: UnsafeRawPointer, _ ldb: Int,
        _ beta: Double, _ c: UnsafeMutableRawPointer, _ ldc: Int
    ) {
        let ap = a.assumingMemoryBound(to: T.self), cp = c.assumingMemoryBound(to: T.self)
        let aPadded = UnsafeMutablePointer<T>.allocate(capacity: rowTile * Swift.max(k, 1))
        let cPadded = UnsafeMutablePointer<T>.allocate(capacity: rowTile * columns)
        defer { aPadded.deallocate(); cPadded.deallocate() }
        aPadded.initialize(repeating: 0, count: rowTile * Swift.max(k, 1))
        cPadded.initialize(repeating: 0, count: rowTile * columns)
        for (i, row) in rows.enumerated() {
            if transposeA {
                for p in 0..<k { aPadded[p * rowTile + i] = ap[p * lda + row] }
            } else {
                (aPadded + i * k).update(from: ap + row * lda, count: k)
            }
            if beta != 0 { (cPadded + i * columns).update(from: cp + i * ldc, count: columns) }
        }
        gemm(transposeA: transposeA, transposeB: transposeB, m: rowTile, n: columns, k: k, alpha: alpha,
             a: aPadded, lda: transposeA ? rowTile : k, b: b, ldb: ldb, beta: beta, c: cPadded, ldc: columns, dtype: T.dtype)
        for i in 0..<rows.count { (cp + i * ldc).update(from: cPadded + i * columns, count: columns) }
    }

    /// Whether every BLAS call of a GEMM cut into `columnTile`-wide slices of its N columns computes
    /// a row of C the same way whatever the call's number of rows, so that `parallelGemm` needs
    /// no fixed row tiles (and no padding of a small batch to one). OpenBLAS's AVX-512 kernel sets
    /// hand a call with M·N·K ≤ 10⁶ to their "small matrix" kernels, which round a row by the
    /// call's M; larger calls take the blocked kernels, whose K blocking depends on K alone and
    /// whose rows do not depend on M (`scripts/blas-invariance.py --big-calls`; 0.3.21's
    /// `sgemm_small_kernel_permit_skylakex`). `gemm` never makes a call of fewer than 16 rows, so
    /// slices whose widths are multiples of 16 with 16·width·K > 10⁶ always take the blocked
    /// kernels. The other kernel sets BLASKernels chooses are invariant at any (Sandybridge) or
    /// multiple-of-16 (Prescott, Nehalem) extents anyway.
    static func rowsComputedAlikeInAnyCall(n: Int, columnTile: Int, k: Int) -> Bool {
        // Called for every convolution group: no array, just the two widths.
        func blocked(_ width: Int) -> Bool { width % gemmQuantum == 0 && gemmQuantum * width * k > smallKernelLimit }
        return blocked(columnTile) && blocked(n - (n - 1) / columnTile * columnTile)
    }

    /// Rows of C per tile of `parallelGemm` where a row's result could depend on the call's M:
    /// enough that packing op(B) once per tile costs little beside the tile's arithmetic (measured
    /// with the AVX-512 kernels on a 784→512 layer: 64-row tiles cost 16 % more than one 128-row
    /// call, 32-row tiles 58 %). The price is paid by small batches: one sample is padded to a
    /// whole tile of at least 64 rows (wide layers escape it: `rowsComputedAlikeInAnyCall`).
    /// Narrow layers with a long K (a 10-class head on 512 features) stop at the fewest rows for
    /// which every call of the tile — each at least `gemmQuantum` columns wide — still takes the
    /// blocked kernels (M·N·K > 10⁶): those compute a row alike for any M, so the result is the
    /// same as with the taller tile, and a batch of 128 is no longer padded to 512 rows.
    static func gemmRowTile(n: Int, k: Int) -> Int {
        let q = gemmQuantum
        let rows = (1 << 22) / Swift.max(n * Swift.max(k, 1), 1)
        let forPacking = Swift.min(Swift.max((rows + q - 1) / q * q, 64), 512)
        let blocked = Swift.max((smallKernelLimit / (q * Swift.max(k, 1)) / q + 1) * q, 64)
        return Swift.min(forPacking, blocked)
    }

    /// Columns of C per tile of `parallelGemm`: wide layers in four slices, so that a batch of a
    /// few rows still gives every thread work.
    static func gemmColumnTile(n: Int) -> Int {
        n <= 256 ? n : Swift.max(128, ((n + 3) / 4 + gemmQuantum - 1) / gemmQuantum * gemmQuantum)
    }

    /// The Prescott and Nehalem kernels compute an element of C with the same arithmetic whatever
    /// the GEMM's M and N, as long as both are multiples of 16 (`scripts/blas-invariance.py`); `gemm`
    /// hands BLAS only such extents, padding tails with zeros. The AVX-512 sets need more — one call
    /// shape per layer — which `parallelGemm` and the convolutions' padded groups provide.
    public static let gemmQuantum = 16

    /// OpenBLAS's AVX-512 kernel sets hand a call with M·N·K at most this to their "small matrix"
    /// kernels, which round a row by the call's M; larger calls take the blocked kernels.
    static let smallKernelLimit = 1_000_000

    /// C ← α·op(A)·op(B) + β·C on raw row-major buffers of `dtype`, in the calling thread; with α = 1
    /// (as every kernel here uses) the tails beyond the largest multiples of `gemmQuantum` go
    /// through zero-padded copies, a function of the call's shape alone.
    static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double,
        a: UnsafeRawPointer, lda: Int, b: UnsafeRawPointer, ldb: Int,
        beta: Double, c: UnsafeMutableRawPointer, ldc: Int, dtype: DType
    ) {
        if m == 0 || n == 0 { return }
        let q = gemmQuantum
        let mMain = m / q * q, nMain = n / q * q
        guard alpha == 1, k > 0, mMain < m || nMain < n else {
            blas(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                 b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, dtype: dtype)
            return
        }
        switch dtype {
        case .float32:
            paddedGemm(Float.self, transposeA, transposeB, m, n, k, mMain, nMain, a, lda, b, ldb, beta, c, ldc)
        case .float64:
            paddedGemm(Double.self, transposeA, transposeB, m, n, k, mMain, nMain, a, lda, b, ldb, beta, c, ldc)
        }
    }

    /// The main block [0, mMain) × [0, nMain) straight from the operands; the tail rows of op(A) and
    /// tail columns of op(B) copied into `gemmQuantum`-wide zero-padded operands for the strips and
    /// the corner, whose products are added into C as BLAS would (β·C + product, with α = 1).
    private static func paddedGemm<T: KernelScalar>(
        _: T.Type, _ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, _ mMain: Int, _ nMain: Int,
        _ a: UnsafeRawPointer, _ lda: Int, _ b: UnsafeRawPointer, _ ldb: Int,
        _ beta: Double, _ c: UnsafeMutableRawPointer, _ ldc: Int
    ) {
        let q = gemmQuantum, dtype = T.dtype
        let ap = a.assumingMemoryBound(to: T.self), bp = b.assumingMemoryBound(to: T.self), cp = c.assumingMemoryBound(to: T.self)
        if mMain > 0 && nMain > 0 {
            blas(transposeA: transposeA, transposeB: transposeB, m: mMain, n: nMain, k: k, alpha: 1, a: a, lda: lda,
                 b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, dtype: dtype)
        }
        // op(A)'s rows mMain..<m as a [q, k] matrix, op(B)'s columns nMain..<n as a [k, q] matrix.
        let tailRows = m - mMain, tailColumns = n - nMain
        let aTail = UnsafeMutablePointer<T>.allocate(capacity: tailRows > 0 ? q * k : 0)
        let bTail = UnsafeMutablePointer<T>.allocate(capacity: tailColumns > 0 ? k * q : 0)
        let product = UnsafeMutablePointer<T>.allocate(capacity: q * Swift.max(mMain, nMain, q))
        defer { aTail.deallocate(); bTail.deallocate(); product.deallocate() }
        if tailRows > 0 {
            aTail.initialize(repeating: 0, count: q * k)
            for i in 0..<tailRows {
                for p in 0..<k { aTail[i * k + p] = transposeA ? ap[p * lda + mMain + i] : ap[(mMain + i) * lda + p] }
            }
        }
        if tailColumns > 0 {
            bTail.initialize(repeating: 0, count: k * q)
            for p in 0..<k {
                for j in 0..<tailColumns { bTail[p * q + j] = transposeB ? bp[(nMain + j) * ldb + p] : bp[p * ldb + nMain + j] }
            }
        }
        /// C[rows, columns] ← β·C + product (rows `stride` apart in `product`).
        func accumulate(rows: Range<Int>, columns: Range<Int>, stride: Int) {
            for (r, i) in rows.enumerated() {
                for (s, j) in columns.enumerated() {
                    let value = product[r * stride + s], old = cp[i * ldc + j]
                    cp[i * ldc + j] = beta == 0 ? value : (beta == 1 ? old + value : T(beta) * old + value)
                }
            }
        }
        if tailRows > 0 && nMain > 0 {
            blas(transposeA: false, transposeB: transposeB, m: q, n: nMain, k: k, alpha: 1, a: aTail, lda: k,
                 b: b, ldb: ldb, beta: 0, c: product, ldc: nMain, dtype: dtype)
            accumulate(rows: mMain..<m, columns: 0..<nMain, stride: nMain)
        }
        if tailColumns > 0 && mMain > 0 {
            blas(transposeA: transposeA, transposeB: false, m: mMain, n: q, k: k, alpha: 1, a: a, lda: lda,
                 b: bTail, ldb: q, beta: 0, c: product, ldc: q, dtype: dtype)
            accumulate(rows: 0..<mMain, columns: nMain..<n, stride: q)
        }
        if tailRows > 0 && tailColumns > 0 {
            blas(transposeA: false, transposeB: false, m: q, n: q, k: k, alpha: 1, a: aTail, lda: k,
                 b: bTail, ldb: q, beta: 0, c: product, ldc: q, dtype: dtype)
            accumulate(rows: mMain..<m, columns: nMain..<n, stride: q)
        }
    }

    /// One BLAS call.
    private static func blas(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double,
        a: UnsafeRawPointer, lda: Int, b: UnsafeRawPointer, ldb: Int,
        beta: Double, c: UnsafeMutableRawPointer, ldc: Int, dtype: DType
    ) {
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
