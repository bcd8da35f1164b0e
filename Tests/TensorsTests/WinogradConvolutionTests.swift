import CKernels
import Tensors
import TestSupport
import XCTest

/// Float32 3×3 stride-1 convolutions of 16+ channels run by Winograd's F(2×2, 3×3): against the
/// Float64 im2col convolution, sample by sample in any batch and on any number of threads, and the
/// reversed-filter identity the input adjoint is built on.
final class WinogradConvolutionTests: XCTestCase {
    override func tearDown() { Parallel.threadCount = 2 }

    private struct Case {
        let batch, channels, height, width, outChannels, padding: Int
        var input: [Int] { [batch, channels, height, width] }
        var weight: [Int] { [outChannels, channels, 3, 3] }
    }

    /// Padding 0, 1 and 2; even and odd output sizes (partial edge tiles on either axis); channel
    /// counts off the 16-wide panels; a batch of 0; small images grouped to share products (8×8:
    /// 16 tiles a sample, groups of 10); and large ones cut into chunks of tile rows.
    private let cases = [
        Case(batch: 2, channels: 16, height: 8, width: 8, outChannels: 16, padding: 1),
        Case(batch: 3, channels: 17, height: 9, width: 8, outChannels: 24, padding: 1),
        Case(batch: 1, channels: 20, height: 11, width: 9, outChannels: 18, padding: 0),
        Case(batch: 2, channels: 16, height: 5, width: 7, outChannels: 33, padding: 2),
        Case(batch: 1, channels: 16, height: 7, width: 7, outChannels: 16, padding: 1),
        Case(batch: 37, channels: 32, height: 8, width: 8, outChannels: 16, padding: 1),
        Case(batch: 0, channels: 16, height: 8, width: 8, outChannels: 16, padding: 1),
        // 17×17 tiles, more than one product takes (256 columns at 16 + 16 channels): the tile rows
        // in chunks of 15 and 2; with padding 0 and 2, chunks whose input rows start inside the image.
        Case(batch: 2, channels: 16, height: 34, width: 33, outChannels: 16, padding: 1),
        Case(batch: 1, channels: 16, height: 36, width: 35, outChannels: 16, padding: 0),
        Case(batch: 1, channels: 16, height: 32, width: 31, outChannels: 16, padding: 2),
    ]

    func testEveryCaseRunsByWinogradAndOthersDoNot() throws {
        try XCTSkipUnless(Tensor.winogradEnabled, "CURVATURE_WINOGRAD=0 or no packed kernels: every case runs through im2col")
        for c in cases {
            XCTAssertTrue(Tensor.convolvesByWinograd(ConvolutionGeometry(input: c.input, weight: c.weight, stride: 1, padding: c.padding)), "\(c)")
        }
        for (input, weight, stride, padding) in [([1, 16, 6, 6], [16, 16, 3, 3], 1, 1),  // 9 tiles
                                                 ([1, 15, 8, 8], [16, 15, 3, 3], 1, 1), ([1, 16, 8, 8], [15, 16, 3, 3], 1, 1),
                                                 ([1, 16, 8, 8], [16, 16, 3, 3], 2, 1), ([1, 16, 8, 8], [16, 16, 5, 5], 1, 2),
                                                 ([1, 16, 12, 12], [16, 16, 3, 3], 1, 3)] {
            XCTAssertFalse(Tensor.convolvesByWinograd(ConvolutionGeometry(input: input, weight: weight, stride: stride, padding: padding)),
                           "\(input) \(weight) stride \(stride) padding \(padding)")
        }
    }

    private func random(_ shape: [Int], seed: UInt64, dtype: DType = .float64) -> Tensor {
        Tensor(randomShape: shape, .normal(mean: 0, standardDeviation: 1), dtype: dtype, seed: seed)
    }

    /// The forward and input adjoint within 1e-6 of the Float64 result's scale: measured 0.9–2.5e-7
    /// here, against 1.4–4.3e-7 for the im2col path (`CURVATURE_WINOGRAD=0`), whose chains are 9×
    /// longer.
    func testAgreesWithFloat64() {
        for (index, c) in cases.enumerated() {
            let seed = UInt64(10 * index)
            let x = random(c.input, seed: seed), w = random(c.weight, seed: seed + 1)
            let y = Tensor.conv2d(x, w, padding: c.padding)
            let dy = random(y.shape, seed: seed + 2)
            let dx = Tensor.conv2dInputAdjoint(dy, w, inputShape: x.shape, padding: c.padding)
            let (x32, w32, dy32) = (x.converted(to: .float32), w.converted(to: .float32), dy.converted(to: .float32))
            let y32 = Tensor.conv2d(x32, w32, padding: c.padding)
            let dx32 = Tensor.conv2dInputAdjoint(dy32, w32, inputShape: x.shape, padding: c.padding)
            XCTAssertEqual(y32.shape, y.shape, "case \(index)")
            assertMaxError(y32.scalars, y.scalars, within: 1e-6, by: .relativeToLargest(floor: 1), "case \(index) forward")
            assertMaxError(dx32.scalars, dx.scalars, within: 1e-6, by: .relativeToLargest(floor: 1), "case \(index) input adjoint")
        }
    }

    /// Transformed filters are kept with the weight's buffer; writing the weight forgets them.
    func testWritingTheWeightForgetsItsTransform() {
        let c = cases[0]
        let x = random(c.input, seed: 1, dtype: .float32)
        var w = random(c.weight, seed: 2, dtype: .float32)
        let before = Tensor.conv2d(x, w, padding: 1)
        w.withUnsafeMutableBufferPointer(as: Float.self) { values in for i in values.indices { values[i] *= 2 } }
        let after = Tensor.conv2d(x, w, padding: 1)
        XCTAssertEqual(after.floats, before.floats.map { $0 * 2 }, "doubled filters double every output exactly")
    }

    /// A sample's output and input gradient are the same bytes alone, in any batch and on 1–3
    /// threads (groups of samples share products for speed only).
    func testResultsDoNotDependOnBatchSizeOrThreads() {
        for c in [cases[1], cases[5], cases[7]] {
            let batch = c.batch
            let x = random(c.input, seed: 3, dtype: .float32), w = random(c.weight, seed: 4, dtype: .float32)
            Parallel.threadCount = 1
            let y = Tensor.conv2d(x, w, padding: c.padding)
            let dy = random(y.shape, seed: 5, dtype: .float32)
            let adjoint = { (dy: Tensor) in
                Tensor.conv2dInputAdjoint(dy, w, inputShape: [dy.shape[0]] + c.input.dropFirst(), padding: c.padding)
            }
            let dx = adjoint(dy)
            for threads in [1, 2, 3] {
                Parallel.threadCount = threads
                for size in [1, 5, batch] {
                    for start in stride(from: 0, to: batch, by: size) {
                        let range = start..<Swift.min(start + size, batch)
                        XCTAssertEqual(Tensor.conv2d(x.slice(rows: range), w, padding: c.padding).floats, y.slice(rows: range).floats,
                                       "\(c) forward, batch \(size), \(threads) threads")
                        XCTAssertEqual(adjoint(dy.slice(rows: range)).floats, dx.slice(rows: range).floats,
                                       "\(c) input adjoint, batch \(size), \(threads) threads")
                    }
                }
            }
        }
    }

    /// The input adjoint reads the forward's transformed filters at the reversed frequency: the
    /// transform of the reversed filter w[o][c][2−r][2−s] is, bit for bit, that of w[o][c] with
    /// the frequencies 0 and 3 swapped on each axis.
    func testReversedFiltersAreTheFrequenciesSwapped() {
        let (outputs, inputs) = (3, 5)
        let w = random([outputs, inputs, 3, 3], seed: 6, dtype: .float32).floats
        var reversed = [Float](repeating: 0, count: w.count)
        for filter in 0..<(outputs * inputs) {
            for tap in 0..<9 { reversed[filter * 9 + tap] = w[filter * 9 + 8 - tap] }
        }
        var u = [Float](repeating: 0, count: 16 * outputs * inputs), ur = u
        curvature_winograd_filters(w, outputs, inputs, &u)
        curvature_winograd_filters(reversed, outputs, inputs, &ur)
        let swap = [3, 1, 2, 0]
        for i in 0..<4 {
            for j in 0..<4 {
                let plane = outputs * inputs, from = (swap[i] * 4 + swap[j]) * plane, to = (i * 4 + j) * plane
                XCTAssertEqual(Array(ur[to..<(to + plane)]).map(\.bitPattern), Array(u[from..<(from + plane)]).map(\.bitPattern),
                               "frequency (\(i), \(j))")
            }
        }
        XCTAssertNotEqual(u, ur, "a random filter is not its own reversal")
    }
}
