import CKernels
import Foundation

/// C = A·B with B a `PackedMatrix`: Float32, deterministic by construction. Every element of C is
/// one chain of fused multiply-adds in k order, the same in every kernel (`GEMMKernel`), so a row
/// of C has the same bits whatever the number of rows, the row's place among them, the threads or
/// the CPU's vector width — without the fixed tiles and padding `parallelGemm` needs for OpenBLAS.
/// A single row is computed in place. A is read where it lies; nothing of it is copied.
public enum PackedGEMM {
    /// C ← A·B for A row-major [m, b.k] (rows `lda` floats apart) and C row-major [m, b.n] (rows
    /// `ldc` apart), C overwritten; in parallel over blocks of rows and of columns.
    public static func multiply(
        _ a: UnsafePointer<Float>, rows m: Int, lda: Int, by b: PackedMatrix,
        into c: UnsafeMutablePointer<Float>, ldc: Int, kernel: GEMMKernel = .selected
    ) {
        precondition(m >= 0, "PackedGEMM: rows must be ≥ 0, got \(m)")
        precondition(lda >= b.k, "PackedGEMM: lda \(lda) is less than K = \(b.k)")
        precondition(ldc >= b.n, "PackedGEMM: ldc \(ldc) is less than N = \(b.n)")
        precondition(kernel.isSupported, "PackedGEMM: this CPU cannot run the \(kernel.rawValue) kernel")
        multiply(a, rows: m, lda: lda, by: .panels(b.panels), k: b.k, n: b.n, into: c, ldc: ldc, kernel: kernel, inParallel: true)
    }

    /// B of a product that is not a `PackedMatrix`: panels packed by the caller into its own
    /// workspace, or a row-major matrix read in place (rows `ldb` floats apart) — for a B used by
    /// one product only (a sample's im2col columns or output gradient), which is then never copied.
    enum Operand {
        case panels(UnsafePointer<Float>)
        case rows(UnsafePointer<Float>, ldb: Int)
    }

    /// C ← A·B for B (K × N) given as an `Operand`, A[i][kk] at a[i·lda + kk·aStep] (with lda = 1 and
    /// aStep = M, A is the transpose of a row-major K × M matrix, read in place); in parallel when
    /// `inParallel` and the product is large enough. Either form of B gives the bits a
    /// `PackedMatrix` gives.
    static func multiply(
        _ a: UnsafePointer<Float>, rows m: Int, lda: Int, aStep: Int = 1, by b: Operand, k: Int, n: Int,
        into c: UnsafeMutablePointer<Float>, ldc: Int, kernel: GEMMKernel = .selected, inParallel: Bool
    ) {
        if m == 0 || n == 0 { return }
        let width = Int(CURVATURE_SGEMM_PANEL_WIDTH), panels = (n + width - 1) / width
        let threads = inParallel ? Parallel.threadCount : 1
        let (rowBlock, panelBlock) = blocks(m: m, k: k, panels: panels, threads: threads)
        let panelBlocks = (panels + panelBlock - 1) / panelBlock
        let units = (m + rowBlock - 1) / rowBlock * panelBlocks
        // Read in place, B's partial last panel is copied once, zero-padded, for the kernels.
        let lastPanel = UnsafeMutablePointer<Float>.allocate(capacity: n % width == 0 ? 0 : k * width)
        defer { lastPanel.deallocate() }
        if case .rows(let rows, let ldb) = b, n % width != 0 {
            curvature_sgemm_pack(rows + n / width * width, ldb, 0, k, n % width, lastPanel)
        }
        func unit(_ index: Int) {
            let firstRow = index / panelBlocks * rowBlock, firstPanel = index % panelBlocks * panelBlock
            let (count, lastPanelOfUnit) = (Swift.min(rowBlock, m - firstRow), Swift.min(firstPanel + panelBlock, panels))
            switch b {
            case .panels(let packed):
                curvature_sgemm_packed(kernel.code, count, k, n, a + firstRow * lda, lda, aStep, packed,
                                       firstPanel, lastPanelOfUnit, c + firstRow * ldc, ldc)
            case .rows(let rows, let ldb):
                curvature_sgemm_rows(kernel.code, count, k, n, a + firstRow * lda, lda, aStep, rows, ldb, lastPanel,
                                     firstPanel, lastPanelOfUnit, c + firstRow * ldc, ldc)
            }
        }
        if units == 1 || threads == 1 || m * n * Swift.max(k, 1) < parallelWork {
            for index in 0..<units { unit(index) }
        } else {
            Parallel.forEachBlock(of: units, size: 1) { unit($0.lowerBound) }
        }
    }

    /// Whether Float32 products `A·op(B)` (`Tensor.matmul`, convolutions) run here instead of
    /// OpenBLAS: with a vector kernel (`GEMMKernel.selected`), unless `CURVATURE_PACKED_GEMM=0`
    /// (to measure the difference).
    public static let replacesBLAS = GEMMKernel.selected != .scalar
        && ProcessInfo.processInfo.environment["CURVATURE_PACKED_GEMM"] != "0"

    /// Multiply-adds from which a product runs in parallel: below about a million (a single sample
    /// through a 784→512 layer, ~20 µs) waking the helpers costs more than they save.
    static let parallelWork = 1 << 20

    /// Rows and panels per unit of work. Only speed depends on them (and so on the thread count):
    /// a block of panels small enough to stay in the L2 cache while the rows' tiles pass over it,
    /// and even, for the AVX-512 tiles two panels wide; and enough units for every thread to take
    /// several (a busy core's share is taken by the others).
    static func blocks(m: Int, k: Int, panels: Int, threads: Int) -> (rows: Int, panels: Int) {
        let panelBytes = Swift.max(k, 1) * Int(CURVATURE_SGEMM_PANEL_WIDTH) * MemoryLayout<Float>.size
        var panelBlock = Swift.max(2, (256 << 10) / panelBytes)
        let wanted = 4 * threads
        // Few rows (a small batch): parallel over columns alone, in blocks of at least 8 panels, the
        // width of a single row's tile (8 chains to hide the FMA latency).
        if m < 48 && threads > 1 { panelBlock = Swift.min(panelBlock, Swift.max(8, (panels + wanted - 1) / wanted)) }
        let panelBlocks = (panels + panelBlock - 1) / panelBlock
        panelBlock = Swift.min(((panels + panelBlocks - 1) / panelBlocks + 1) / 2 * 2, panels)  // evened out
        let rowBlocks = Swift.min(Swift.max(1, (wanted + panelBlocks - 1) / panelBlocks), Swift.max(1, m / 48))
        let rowBlock = ((m + rowBlocks - 1) / rowBlocks + 11) / 12 * 12
        return (rowBlock, panelBlock)
    }
}

extension Tensor {
    /// a·B for a 2-D Float32 tensor `a` [M, K] and a packed B (K × N): [M, N].
    public static func matmul(_ a: Tensor, _ b: PackedMatrix, kernel: GEMMKernel = .selected) -> Tensor {
        precondition(a.rank == 2 && a.dtype == .float32, "matmul: needs a 2-D float32 tensor, got \(a.dtype) \(Shape.describe(a.shape))")
        precondition(a.shape[1] == b.k, "matmul: \(Shape.describe(a.shape)) × packed [\(b.k), \(b.n)]: inner dimensions \(a.shape[1]) and \(b.k) differ")
        let c = Tensor(uninitialized: [a.shape[0], b.n], dtype: .float32)
        PackedGEMM.multiply(
            a.storage.pointer.assumingMemoryBound(to: Float.self), rows: a.shape[0], lda: b.k, by: b,
            into: c.storage.pointer.assumingMemoryBound(to: Float.self), ldc: b.n, kernel: kernel)
        return c
    }
}
