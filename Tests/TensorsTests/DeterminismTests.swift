import Tensors
import XCTest

/// A sample's result must not depend on how many samples share its GEMM or on the thread count:
/// `spectrum`, `eval` and the rest promise the same bytes for any --batch-size and --threads.
final class DeterminismTests: XCTestCase {
    override func tearDown() { Parallel.threadCount = 2 }

    private func rows(_ t: Tensor, _ range: Range<Int>) -> [Double] {
        let d = t.count / t.shape[0]
        return Array(t.scalars[(range.lowerBound * d)..<(range.upperBound * d)])
    }

    /// Every kernel that mixes samples' work (linear layers' GEMMs, grouped convolutions), run on
    /// a batch whole and cut into pieces of every size, on one and on two threads.
    func testPerSampleResultsDoNotDependOnBatchSizeOrThreads() {
        for dtype in [DType.float32, .float64] {
            let batch = 37
            let x = Tensor(randomShape: [batch, 3, 12, 12], .normal(mean: 0, standardDeviation: 1), dtype: dtype, seed: 1)
            let w = Tensor(randomShape: [8, 3, 5, 5], .normal(mean: 0, standardDeviation: 0.2), dtype: dtype, seed: 2)
            let dense = Tensor(randomShape: [10, 8 * 12 * 12], .normal(mean: 0, standardDeviation: 0.05), dtype: dtype, seed: 3)
            let dy = Tensor(randomShape: [batch, 8, 12, 12], .normal(mean: 0, standardDeviation: 1), dtype: dtype, seed: 4)
            func forward(_ images: Tensor) -> (conv: Tensor, logits: Tensor) {
                let y = Tensor.conv2d(images, w, padding: 2)
                return (y, Tensor.matmul(y.reshaped([images.shape[0], 8 * 12 * 12]), dense, transposeB: true))
            }
            Parallel.threadCount = 1
            let reference = forward(x)
            let referenceAdjoint = Tensor.conv2dInputAdjoint(dy, w, inputShape: x.shape, padding: 2)
            for threads in [1, 2, 3] {
                Parallel.threadCount = threads
                for size in [1, 2, 5, 16, 37] {
                    for start in stride(from: 0, to: batch, by: size) {
                        let range = start..<Swift.min(start + size, batch)
                        let piece = forward(x.slice(rows: range))
                        XCTAssertEqual(piece.conv.scalars, rows(reference.conv, range), "\(dtype) conv, batch \(size), \(threads) threads")
                        XCTAssertEqual(piece.logits.scalars, rows(reference.logits, range), "\(dtype) logits, batch \(size), \(threads) threads")
                        let adjoint = Tensor.conv2dInputAdjoint(dy.slice(rows: range), w, inputShape: [range.count, 3, 12, 12], padding: 2)
                        XCTAssertEqual(adjoint.scalars, rows(referenceAdjoint, range), "\(dtype) input adjoint, batch \(size), \(threads) threads")
                    }
                }
            }
        }
    }

    /// GEMMs of several row tiles (the last one padded) and column slices, and convolutions whose
    /// groups hold several samples (the last group padded), in pieces of every size.
    func testTiledProductsDoNotDependOnTheirNeighbours() {
        for dtype in [DType.float32, .float64] {
            let rows = 600
            let a = Tensor(randomShape: [rows, 40], .normal(mean: 0, standardDeviation: 1), dtype: dtype, seed: 11)
            let b = Tensor(randomShape: [300, 40], .normal(mean: 0, standardDeviation: 1), dtype: dtype, seed: 12)
            let aT = a.transposed(), bT = b.transposed()
            Parallel.threadCount = 1
            let reference = Tensor.matmul(a, b, transposeB: true)
            let batch = 21
            let x = Tensor(randomShape: [batch, 5, 4, 4], .normal(mean: 0, standardDeviation: 1), dtype: dtype, seed: 13)
            let w = Tensor(randomShape: [96, 5, 3, 3], .normal(mean: 0, standardDeviation: 0.2), dtype: dtype, seed: 14)
            let dy = Tensor(randomShape: [batch, 96, 4, 4], .normal(mean: 0, standardDeviation: 1), dtype: dtype, seed: 15)
            let conv = Tensor.conv2d(x, w, padding: 1)
            let adjoint = Tensor.conv2dInputAdjoint(dy, w, inputShape: x.shape, padding: 1)
            // 7×7 outputs: groups of 3 samples, 147 columns, not a multiple of 16.
            let x7 = Tensor(randomShape: [batch, 128, 7, 7], .normal(mean: 0, standardDeviation: 1), dtype: dtype, seed: 16)
            let w7 = Tensor(randomShape: [64, 128, 3, 3], .normal(mean: 0, standardDeviation: 0.2), dtype: dtype, seed: 17)
            let conv7 = Tensor.conv2d(x7, w7, padding: 1)
            XCTAssertEqual(Tensor.matmul(aT, b, transposeA: true, transposeB: true).scalars, reference.scalars, "\(dtype) Aᵀ")
            for threads in [1, 2, 3] {
                Parallel.threadCount = threads
                for size in [1, 7, 130, 513, rows] {
                    // Single rows: those of the first tile's edges and of the padded last tile.
                    for start in stride(from: 0, to: rows, by: size) where size > 1 || start < 40 || start > 500 {
                        let range = start..<Swift.min(start + size, rows)
                        XCTAssertEqual(Tensor.matmul(a.slice(rows: range), b, transposeB: true).scalars, self.rows(reference, range),
                                       "\(dtype) rows \(range), \(threads) threads")
                        XCTAssertEqual(Tensor.matmul(a.slice(rows: range), bT).scalars, self.rows(reference, range),
                                       "\(dtype) rows \(range) (B not transposed), \(threads) threads")
                    }
                }
                for size in [1, 3, 8, 13] {
                    for start in stride(from: 0, to: batch, by: size) {
                        let range = start..<Swift.min(start + size, batch)
                        XCTAssertEqual(Tensor.conv2d(x.slice(rows: range), w, padding: 1).scalars, self.rows(conv, range),
                                       "\(dtype) conv \(range), \(threads) threads")
                        XCTAssertEqual(Tensor.conv2dInputAdjoint(dy.slice(rows: range), w, inputShape: [range.count, 5, 4, 4], padding: 1).scalars,
                                       self.rows(adjoint, range), "\(dtype) input adjoint \(range), \(threads) threads")
                        XCTAssertEqual(Tensor.conv2d(x7.slice(rows: range), w7, padding: 1).scalars, self.rows(conv7, range),
                                       "\(dtype) 7×7 conv \(range), \(threads) threads")
                    }
                }
            }
        }
    }

    /// Wide layers (every BLAS call large enough for OpenBLAS's blocked kernels) are cut into row
    /// tiles by the batch itself, with no padding to a fixed tile: a row must still come out the
    /// same alone, among a few others or among hundreds, on any number of threads.
    func testWideProductsDoNotDependOnTheirNeighbours() {
        for dtype in [DType.float32, .float64] {
            let rows = 600
            let a = Tensor(randomShape: [rows, 1600], .normal(mean: 0, standardDeviation: 1), dtype: dtype, seed: 21)
            let w = Tensor(randomShape: [1024, 1600], .normal(mean: 0, standardDeviation: 1), dtype: dtype, seed: 22)
            let dy = Tensor(randomShape: [rows, 1024], .normal(mean: 0, standardDeviation: 1), dtype: dtype, seed: 23)
            Parallel.threadCount = 1
            let forward = Tensor.matmul(a, w, transposeB: true), backward = Tensor.matmul(dy, w)
            for threads in [1, 2, 3] {
                Parallel.threadCount = threads
                for size in [1, 7, 130, 513] {
                    for start in stride(from: 0, to: rows, by: size) where size > 7 || start % 97 < size {
                        let range = start..<Swift.min(start + size, rows)
                        XCTAssertEqual(Tensor.matmul(a.slice(rows: range), w, transposeB: true).scalars, self.rows(forward, range),
                                       "\(dtype) wide rows \(range), \(threads) threads")
                        XCTAssertEqual(Tensor.matmul(dy.slice(rows: range), w).scalars, self.rows(backward, range),
                                       "\(dtype) wide input-gradient rows \(range), \(threads) threads")
                    }
                }
            }
        }
    }

    /// Sums over samples (weight gradients) are cut into groups fixed by the batch, not the threads.
    func testWeightGradientsDoNotDependOnThreads() {
        let x = Tensor(randomShape: [29, 3, 10, 10], .normal(mean: 0, standardDeviation: 1), dtype: .float32, seed: 5)
        let dy = Tensor(randomShape: [29, 4, 10, 10], .normal(mean: 0, standardDeviation: 1), dtype: .float32, seed: 6)
        let a = Tensor(randomShape: [29, 300], .normal(mean: 0, standardDeviation: 1), dtype: .float32, seed: 7)
        let b = Tensor(randomShape: [29, 200], .normal(mean: 0, standardDeviation: 1), dtype: .float32, seed: 8)
        Parallel.threadCount = 1
        let conv = Tensor.conv2dWeightAdjoint(x, dy, weightShape: [4, 3, 3, 3], padding: 1).scalars
        let linear = Tensor.matmul(a, b, transposeA: true).scalars
        for threads in [2, 3, 4] {
            Parallel.threadCount = threads
            XCTAssertEqual(Tensor.conv2dWeightAdjoint(x, dy, weightShape: [4, 3, 3, 3], padding: 1).scalars, conv, "\(threads) threads")
            XCTAssertEqual(Tensor.matmul(a, b, transposeA: true).scalars, linear, "\(threads) threads")
        }
    }

    /// The padded tails compute what one BLAS call would, to rounding.
    func testPaddedTailsAgreeWithOneCall() {
        let a = Tensor(randomShape: [19, 23], .normal(mean: 0, standardDeviation: 1), dtype: .float64, seed: 9)
        let b = Tensor(randomShape: [21, 23], .normal(mean: 0, standardDeviation: 1), dtype: .float64, seed: 10)
        let c = Tensor.matmul(a, b, transposeB: true).scalars
        for i in 0..<19 {
            for j in 0..<21 {
                let expected = (0..<23).reduce(0.0) { $0 + a[flat: i * 23 + $1] * b[flat: j * 23 + $1] }
                XCTAssertEqual(c[i * 21 + j], expected, accuracy: 1e-12)
            }
        }
    }
}
