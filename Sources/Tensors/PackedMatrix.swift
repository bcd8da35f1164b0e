import CKernels

/// A constant Float32 matrix B (K × N) packed once into the panels the `PackedGEMM` kernels read:
/// 16 columns a panel, each panel K rows of 16 contiguous floats (packed_sgemm.c). A layer's
/// weights are constant across every forward, tangent and adjoint product of a run, so it packs
/// them at first use, once per orientation its products need, and shares the result across threads
/// (the buffer is never written after `init`).
public final class PackedMatrix: @unchecked Sendable {
    /// Rows of B: the products' inner dimension.
    public let k: Int
    /// Columns of B: the products' columns.
    public let n: Int
    let panels: UnsafeMutablePointer<Float>

    /// Packs B from `b`: with `transposed` false B is stored row-major, B[i][j] at b[i·ldb + j];
    /// with `transposed` true b holds Bᵀ (N × K, as a linear layer's [out, in] weight for the
    /// forward product x·Wᵀ), B[i][j] at b[j·ldb + i].
    public init(_ b: UnsafePointer<Float>, k: Int, n: Int, ldb: Int, transposed: Bool) {
        precondition(k >= 0 && n >= 0, "PackedMatrix: extents must be ≥ 0, got K = \(k), N = \(n)")
        let extent = transposed ? k : n
        precondition(ldb >= Swift.max(extent, 1), "PackedMatrix: ldb \(ldb) is less than the row length \(extent)")
        self.k = k
        self.n = n
        let count = Swift.max(Int(curvature_sgemm_packed_count(k, n)), 1)
        // Aligned to a cache line, so that no vector load of a panel straddles two.
        panels = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.size, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
        curvature_sgemm_pack(b, ldb, transposed ? 1 : 0, k, n, panels)
    }

    /// B from a 2-D Float32 tensor: the tensor itself ([K, N]), or with `transposed` its transpose
    /// (the tensor is [N, K]).
    public convenience init(_ b: Tensor, transposed: Bool = false) {
        precondition(b.rank == 2 && b.dtype == .float32, "PackedMatrix: needs a 2-D float32 tensor, got \(b.dtype) \(Shape.describe(b.shape))")
        let (k, n) = transposed ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        self.init(b.storage.pointer.assumingMemoryBound(to: Float.self), k: k, n: n, ldb: b.shape[1], transposed: transposed)
    }

    /// Panels of 16 columns, the last one zero-padded.
    var panelCount: Int { (n + Int(CURVATURE_SGEMM_PANEL_WIDTH) - 1) / Int(CURVATURE_SGEMM_PANEL_WIDTH) }

    deinit { UnsafeMutableRawPointer(panels).deallocate() }
}
