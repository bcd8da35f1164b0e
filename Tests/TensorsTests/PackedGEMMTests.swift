import CBLAS
import Foundation
@testable import Tensors
import XCTest

/// The packed SGEMM's promise: each element of C is the chain c = fma(a[i][k−1], b[k−1][j], …
/// fma(a[i][0], b[0][j], 0)), bit for bit, whatever the kernel, the rows, their place, the threads,
/// the shape or the strides; and that is a product OpenBLAS agrees with to rounding.
final class PackedGEMMTests: XCTestCase {
    override func tearDown() { Parallel.threadCount = 2 }

    /// A stored operand: `rows` × `columns` values `ld` apart, the gaps filled with NaN so that a
    /// kernel reading them would show.
    private struct Stored {
        let rows: Int, columns: Int, ld: Int
        var values: [Float]
        init(rows: Int, columns: Int, ld: Int, seed: UInt64, low: Double = -1, high: Double = 1) {
            (self.rows, self.columns, self.ld) = (rows, columns, ld)
            let random = Tensor(randomShape: [Swift.max(rows * columns, 1)], .uniform(low: low, high: high), seed: seed).floats
            values = [Float](repeating: .nan, count: Swift.max(rows * ld, 1))
            for i in 0..<rows { for j in 0..<columns { values[i * ld + j] = random[i * columns + j] } }
        }
        subscript(i: Int, j: Int) -> Float { values[i * ld + j] }
    }

    /// B as packed from `b`, stored as B or (transposed) as Bᵀ.
    private func pack(_ b: Stored, transposed: Bool) -> PackedMatrix {
        b.values.withUnsafeBufferPointer {
            PackedMatrix($0.baseAddress!, k: transposed ? b.columns : b.rows, n: transposed ? b.rows : b.columns,
                         ldb: b.ld, transposed: transposed)
        }
    }

    /// The chain in k order with Swift's fused multiply-add, from the unpacked operands.
    private func reference(_ a: Stored, _ b: Stored, transposed: Bool) -> [[Float]] {
        let k = a.columns, n = transposed ? b.rows : b.columns
        return (0..<a.rows).map { i in
            (0..<n).map { j in
                var sum: Float = 0
                for p in 0..<k { sum = sum.addingProduct(a[i, p], transposed ? b[j, p] : b[p, j]) }
                return sum
            }
        }
    }

    /// Rows `rows` of A times B, C's rows `ldc` apart; C's gaps must keep their sentinel.
    private func product(_ a: Stored, rows: Range<Int>, _ b: PackedMatrix, ldc: Int, kernel: GEMMKernel,
                         file: StaticString = #filePath, line: UInt = #line) -> [[Float]] {
        let sentinel: Float = 12345
        var c = [Float](repeating: sentinel, count: Swift.max(rows.count * ldc, 1))
        a.values.withUnsafeBufferPointer { ap in
            c.withUnsafeMutableBufferPointer { cp in
                PackedGEMM.multiply(ap.baseAddress! + rows.lowerBound * a.ld, rows: rows.count, lda: a.ld, by: b,
                                    into: cp.baseAddress!, ldc: ldc, kernel: kernel)
            }
        }
        for i in 0..<rows.count {
            XCTAssert(c[(i * ldc + b.n)..<((i + 1) * ldc)].allSatisfy { $0 == sentinel }, "C's gap written", file: file, line: line)
        }
        return (0..<rows.count).map { Array(c[($0 * ldc)..<($0 * ldc + b.n)]) }
    }

    private func bits(_ rows: [[Float]]) -> [[UInt32]] { rows.map { $0.map(\.bitPattern) } }

    /// Every row of every M from 1 to 37, at every place it can take, equals the reference chain
    /// and so the same row computed alone; in every kernel this CPU runs, and with rows 4 KiB
    /// apart (lower tiles).
    func testEachRowIsTheSameInAnyBatch() {
        let b = Stored(rows: 45, columns: 37, ld: 37, seed: 2), packed = pack(b, transposed: false)
        let expected = bits(reference(Stored(rows: 37, columns: 45, ld: 45, seed: 1), b, transposed: false))
        for (lda, kernel) in [45, 1024].flatMap({ lda in GEMMKernel.onThisCPU.map { (lda, $0) } }) {
            let a = Stored(rows: 37, columns: 45, ld: lda, seed: 1)
            for m in 1...37 {
                for first in Set([0, 37 - m, (37 - m) / 2]) {
                    XCTAssertEqual(bits(product(a, rows: first..<(first + m), packed, ldc: 37, kernel: kernel)),
                                   Array(expected[first..<(first + m)]), "\(kernel), lda \(lda), M = \(m) from row \(first)")
                }
            }
            for row in 0..<37 {
                XCTAssertEqual(bits(product(a, rows: row..<(row + 1), packed, ldc: 37, kernel: kernel)), [expected[row]], "\(kernel), lda \(lda), row \(row) alone")
            }
        }
    }

    /// Threads 1–4 on shapes cut into several blocks of rows or of columns (asserted) and large
    /// enough to run in parallel, each giving the reference chain's bits.
    func testThreadCountsGiveTheSameBits() {
        for (m, k, n) in [(37, 1100, 130), (100, 64, 300), (1, 1100, 1000)] {
            let a = Stored(rows: m, columns: k, ld: k, seed: 3), b = Stored(rows: n, columns: k, ld: k, seed: 4)
            let packed = pack(b, transposed: true), expected = bits(reference(a, b, transposed: true))
            for threads in 1...4 {
                Parallel.threadCount = threads
                let blocks = PackedGEMM.blocks(m: m, k: k, panels: packed.panelCount, threads: threads)
                let units = (m + blocks.rows - 1) / blocks.rows * ((packed.panelCount + blocks.panels - 1) / blocks.panels)
                if threads > 1 { XCTAssertGreaterThan(units, 1, "\(m)×\(k)×\(n) is one block") }
                XCTAssertGreaterThanOrEqual(m * k * n, PackedGEMM.parallelWork, "\(m)×\(k)×\(n) runs on one thread")
                for kernel in GEMMKernel.onThisCPU {
                    XCTAssertEqual(bits(product(a, rows: 0..<m, packed, ldc: n, kernel: kernel)), expected, "\(m)×\(k)×\(n), \(kernel), \(threads) threads")
                }
            }
        }
    }

    /// Odd extents (K and N around the 8- and 16-wide vectors, K = 0), B in both orientations,
    /// every leading dimension larger than its extent; every kernel this CPU runs.
    func testOddShapesOrientationsAndStrides() {
        for m in [1, 5, 13, 37] {
            for k in [0, 1, 3, 17, 33] {
                for n in [1, 3, 16, 17, 33] {
                    for transposed in [false, true] {
                        let a = Stored(rows: m, columns: k, ld: k + 3, seed: 5)
                        let b = transposed ? Stored(rows: n, columns: k, ld: k + 5, seed: 6) : Stored(rows: k, columns: n, ld: n + 5, seed: 6)
                        let packed = pack(b, transposed: transposed), expected = bits(reference(a, b, transposed: transposed))
                        for kernel in GEMMKernel.onThisCPU {
                            XCTAssertEqual(bits(product(a, rows: 0..<m, packed, ldc: n + 7, kernel: kernel)), expected,
                                           "M \(m), K \(k), N \(n), \(transposed ? "Bᵀ" : "B") stored, \(kernel)")
                        }
                    }
                }
            }
        }
    }

    /// B row-major and read where it lies (a sample's im2col columns) gives the reference chain's
    /// bits too, and so does A read as the transpose of a stored matrix (a convolution's weight in
    /// its input adjoint): odd N (the partial last panel comes from its packed copy), gaps of NaN
    /// beside every row, every kernel, and threads 1–3 on a product cut into blocks.
    func testOperandsReadInPlaceGiveThePackedBits() {
        /// A·B with A stored as is, or (`aTransposed`) `a` holding Aᵀ.
        func inPlace(_ a: Stored, aTransposed: Bool = false, _ b: Stored, ldc: Int, kernel: GEMMKernel, inParallel: Bool) -> [[Float]] {
            let m = aTransposed ? a.columns : a.rows
            var c = [Float](repeating: 12345, count: Swift.max(m * ldc, 1))
            a.values.withUnsafeBufferPointer { ap in
                b.values.withUnsafeBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer { cp in
                        PackedGEMM.multiply(ap.baseAddress!, rows: m, lda: aTransposed ? 1 : a.ld, aStep: aTransposed ? a.ld : 1,
                                            by: .rows(bp.baseAddress!, ldb: b.ld), k: b.rows, n: b.columns, into: cp.baseAddress!,
                                            ldc: ldc, kernel: kernel, inParallel: inParallel)
                    }
                }
            }
            XCTAssert((0..<m).allSatisfy { i in c[(i * ldc + b.columns)..<((i + 1) * ldc)].allSatisfy { $0 == 12345 } }, "C's gap written")
            return (0..<m).map { Array(c[($0 * ldc)..<($0 * ldc + b.columns)]) }
        }
        for m in [1, 5, 13, 37] {
            for k in [0, 1, 17, 33] {
                for n in [1, 3, 16, 17, 33, 47] {
                    let a = Stored(rows: m, columns: k, ld: k + 3, seed: 11), b = Stored(rows: k, columns: n, ld: n + 5, seed: 12)
                    var aT = Stored(rows: k, columns: m, ld: m + 4, seed: 0)
                    for i in 0..<m { for p in 0..<k { aT.values[p * aT.ld + i] = a[i, p] } }
                    let expected = bits(reference(a, b, transposed: false))
                    for kernel in GEMMKernel.onThisCPU {
                        XCTAssertEqual(bits(inPlace(a, b, ldc: n + 2, kernel: kernel, inParallel: false)), expected, "M \(m), K \(k), N \(n), \(kernel)")
                        XCTAssertEqual(bits(inPlace(aT, aTransposed: true, b, ldc: n + 2, kernel: kernel, inParallel: false)), expected,
                                       "Aᵀ stored, M \(m), K \(k), N \(n), \(kernel)")
                    }
                }
            }
        }
        let a = Stored(rows: 37, columns: 300, ld: 300, seed: 13), b = Stored(rows: 300, columns: 201, ld: 210, seed: 14)
        let expected = bits(reference(a, b, transposed: false))
        for threads in 1...3 {
            Parallel.threadCount = threads
            XCTAssertEqual(bits(inPlace(a, b, ldc: 201, kernel: .fastest, inParallel: true)), expected, "\(threads) threads")
        }
    }

    /// A kernel against the scalar path on long chains and tiles of every height and width.
    private func assertMatchesScalar(_ kernel: GEMMKernel) {
        for (m, k, n) in [(37, 784, 256), (128, 256, 10), (29, 500, 100)] {
            let a = Stored(rows: m, columns: k, ld: k, seed: 7), b = Stored(rows: n, columns: k, ld: k, seed: 8)
            let packed = pack(b, transposed: true)
            XCTAssertEqual(bits(product(a, rows: 0..<m, packed, ldc: n, kernel: kernel)),
                           bits(product(a, rows: 0..<m, packed, ldc: n, kernel: .scalar)), "\(kernel), \(m)×\(k)×\(n)")
        }
    }

    func testAVX2KernelMatchesScalar() throws {
        try XCTSkipUnless(GEMMKernel.avx2.isSupported, "this CPU lacks AVX2+FMA: the avx2 kernel cannot run")
        assertMatchesScalar(.avx2)
    }

    func testAVX512KernelMatchesScalar() throws {
        try XCTSkipUnless(GEMMKernel.avx512.isSupported, "this CPU lacks AVX-512F: the avx512 kernel cannot run")
        assertMatchesScalar(.avx512)
    }

    /// Against cblas_sgemm on positive data, where |A|·|B| = A·B: each element within 1e-5 of
    /// it relative to Σₖ|a||b| (both sums' rounding error is at most about K·2⁻²⁴ ≈ 5e-5 of that
    /// for K ≤ 784, and in practice √K·2⁻²⁴ ≈ 2e-6).
    func testAgreesWithOpenBLAS() {
        for (m, k, n, transposed) in [(37, 300, 70, false), (1, 784, 256, true), (128, 256, 10, true), (13, 9, 33, false)] {
            let a = Stored(rows: m, columns: k, ld: k, seed: 9, low: 0, high: 1)
            let b = transposed ? Stored(rows: n, columns: k, ld: k, seed: 10, low: 0, high: 1) : Stored(rows: k, columns: n, ld: n, seed: 10, low: 0, high: 1)
            let ours = product(a, rows: 0..<m, pack(b, transposed: transposed), ldc: n, kernel: .fastest)
            var blas = [Float](repeating: 0, count: m * n)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, transposed ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), Int32(k), 1,
                        a.values, Int32(a.ld), b.values, Int32(b.ld), 0, &blas, Int32(n))
            var worst: Float = 0
            for i in 0..<m { for j in 0..<n { worst = Swift.max(worst, abs(ours[i][j] - blas[i * n + j]) / blas[i * n + j]) } }
            XCTAssertLessThanOrEqual(worst, 1e-5, "\(m)×\(k)×\(n) against cblas_sgemm")
        }
    }

    /// `Tensor.matmul` of Float32 tensors runs the packed kernels with B packed at its first
    /// product: the same bits as an explicit `PackedMatrix`, a write to B repacks it, and a view of
    /// the same buffer in another shape gets its own packing.
    func testTensorMatmulPacksBOnceAndRepacksAfterAWrite() throws {
        try XCTSkipUnless(PackedGEMM.replacesBLAS, "Float32 products run on OpenBLAS on this CPU")
        let x = Tensor(randomShape: [5, 12], .uniform(low: 0, high: 1), seed: 21)
        var w = Tensor(randomShape: [6, 12], .uniform(low: 0, high: 1), seed: 22)
        let first = Tensor.matmul(x, w, transposeB: true)
        XCTAssertEqual(first.floats.map(\.bitPattern), Tensor.matmul(x, PackedMatrix(w, transposed: true)).floats.map(\.bitPattern))
        XCTAssertEqual(Tensor.matmul(x, w, transposeB: true).floats.map(\.bitPattern), first.floats.map(\.bitPattern), "packed once, same bits")
        w.withUnsafeMutableBufferPointer(as: Float.self) { $0[0] += 1 }
        let second = Tensor.matmul(x, w, transposeB: true)
        XCTAssertEqual(second.floats.map(\.bitPattern), Tensor.matmul(x, PackedMatrix(w, transposed: true)).floats.map(\.bitPattern))
        XCTAssertNotEqual(second.floats[0], first.floats[0], "the write reached the product")
        let view = w.reshaped([12, 6])
        XCTAssertEqual(Tensor.matmul(x, view).floats.map(\.bitPattern), Tensor.matmul(x, PackedMatrix(view)).floats.map(\.bitPattern))
    }

    /// The tensor form: a linear layer's [out, in] weight packed as Bᵀ gives the same bits as its
    /// transpose packed as B, and OpenBLAS's x·Wᵀ to rounding.
    func testTensorProductInBothOrientations() {
        let x = Tensor(randomShape: [7, 20], .uniform(low: 0, high: 1), seed: 11)
        let w = Tensor(randomShape: [9, 20], .uniform(low: 0, high: 1), seed: 12)
        let y = Tensor.matmul(x, PackedMatrix(w, transposed: true))
        XCTAssertEqual(y.shape, [7, 9])
        XCTAssertEqual(y.floats.map(\.bitPattern), Tensor.matmul(x, PackedMatrix(w.transposed())).floats.map(\.bitPattern))
        let blas = Tensor.matmul(x, w, transposeB: true).floats
        for (ours, theirs) in zip(y.floats, blas) { XCTAssertEqual(ours, theirs, accuracy: 1e-5 * theirs) }
    }

    func testKernelsOfACPU() {
        XCTAssertEqual(GEMMKernel.supported(flags: []), [.scalar])
        #if arch(x86_64)
        XCTAssertEqual(GEMMKernel.supported(flags: ["avx2", "fma"]), [.scalar, .avx2])
        XCTAssertEqual(GEMMKernel.supported(flags: ["avx2"]), [.scalar])
        XCTAssertEqual(GEMMKernel.supported(flags: ["avx2", "fma", "avx512f"]), [.scalar, .avx2, .avx512])
        #endif
        XCTAssert(GEMMKernel.fastest.isSupported)
    }
}
