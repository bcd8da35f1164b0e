import Tensors
import TestSupport
import XCTest

/// The direct grouped convolution against the dense convolution with the block-diagonal kernel
/// (what the ONNX importer ran before), and its per-sample determinism.
final class GroupedConvolutionTests: XCTestCase {
    override func tearDown() { Parallel.threadCount = 2 }

    private struct Case {
        let batch, channels, height, width, outChannels, groups, kernel, stride, padding: Int
        var input: [Int] { [batch, channels, height, width] }
        var weight: [Int] { [outChannels, channels / groups, kernel, kernel] }
    }

    /// Depthwise (with a channel multiplier too) and two-group cases whose output rows are 11, 8,
    /// 5, 4, 3 and 1 wide (every vector width and overlapping tail), strides 1 to 3, and padding
    /// up to kernel − 1 and beyond; and groups wide enough to run as dense convolutions.
    private let cases = [
        Case(batch: 2, channels: 4, height: 9, width: 11, outChannels: 4, groups: 4, kernel: 3, stride: 1, padding: 1),
        Case(batch: 2, channels: 3, height: 8, width: 8, outChannels: 3, groups: 3, kernel: 7, stride: 1, padding: 3),
        Case(batch: 2, channels: 3, height: 6, width: 5, outChannels: 6, groups: 3, kernel: 3, stride: 2, padding: 1),
        Case(batch: 2, channels: 4, height: 7, width: 6, outChannels: 6, groups: 2, kernel: 3, stride: 1, padding: 0),
        Case(batch: 1, channels: 4, height: 9, width: 9, outChannels: 2, groups: 2, kernel: 5, stride: 2, padding: 2),
        Case(batch: 1, channels: 2, height: 3, width: 3, outChannels: 2, groups: 2, kernel: 3, stride: 1, padding: 0),
        Case(batch: 2, channels: 2, height: 7, width: 7, outChannels: 2, groups: 2, kernel: 2, stride: 3, padding: 2),
        // 16 channels per group: dense convolutions group by group.
        Case(batch: 3, channels: 32, height: 5, width: 6, outChannels: 4, groups: 2, kernel: 3, stride: 2, padding: 1),
    ]

    private func random(_ shape: [Int], seed: UInt64, dtype: DType = .float64) -> Tensor {
        Tensor(randomShape: shape, .normal(mean: 0, standardDeviation: 1), dtype: dtype, seed: seed)
    }

    /// [O, C/groups, kh, kw] → [O, C, kh, kw], zero outside each output's group.
    private func blockDiagonal(_ w: Tensor, groups: Int) -> Tensor {
        let (o, perGroup, taps) = (w.shape[0], w.shape[1], w.shape[2] * w.shape[3])
        let values = w.scalars
        var dense = [Double](repeating: 0, count: o * perGroup * groups * taps)
        for out in 0..<o {
            let first = out / (o / groups) * perGroup
            for c in 0..<perGroup {
                for t in 0..<taps { dense[(out * perGroup * groups + first + c) * taps + t] = values[(out * perGroup + c) * taps + t] }
            }
        }
        return Tensor(shape: [o, perGroup * groups, w.shape[2], w.shape[3]], scalars: dense, dtype: w.dtype)
    }

    /// The blocks of a dense [O, C, kh, kw] kernel that a grouped one keeps.
    private func diagonalBlocks(_ dense: Tensor, groups: Int) -> [Double] {
        let (o, channels, taps) = (dense.shape[0], dense.shape[1], dense.shape[2] * dense.shape[3])
        let perGroup = channels / groups, values = dense.scalars
        var blocks: [Double] = []
        for out in 0..<o {
            let first = out / (o / groups) * perGroup
            blocks += values[((out * channels + first) * taps)..<((out * channels + first + perGroup) * taps)]
        }
        return blocks
    }

    func testAgreesWithTheDenseBlockDiagonalConvolution() {
        for (index, c) in cases.enumerated() {
            let seed = UInt64(10 * index)
            let x = random(c.input, seed: seed), w = random(c.weight, seed: seed + 1)
            let dense = blockDiagonal(w, groups: c.groups)
            let y = Tensor.groupedConv2d(x, w, groups: c.groups, stride: c.stride, padding: c.padding)
            let expected = Tensor.conv2d(x, dense, stride: c.stride, padding: c.padding)
            XCTAssertEqual(y.shape, expected.shape, "case \(index)")
            assertMaxError(y.scalars, expected.scalars, within: 1e-12, "case \(index) forward")
            let dy = random(y.shape, seed: seed + 2)
            let dx = Tensor.groupedConv2dInputAdjoint(dy, w, inputShape: x.shape, groups: c.groups, stride: c.stride, padding: c.padding)
            let denseDx = Tensor.conv2dInputAdjoint(dy, dense, inputShape: x.shape, stride: c.stride, padding: c.padding)
            assertMaxError(dx.scalars, denseDx.scalars, within: 1e-12, "case \(index) input adjoint")
            let dw = Tensor.groupedConv2dWeightAdjoint(x, dy, weightShape: w.shape, groups: c.groups, stride: c.stride, padding: c.padding)
            let denseDw = Tensor.conv2dWeightAdjoint(x, dy, weightShape: dense.shape, stride: c.stride, padding: c.padding)
            XCTAssertEqual(dw.shape, w.shape, "case \(index)")
            assertMaxError(dw.scalars, diagonalBlocks(denseDw, groups: c.groups), within: 1e-12, "case \(index) weight adjoint")
        }
    }

    /// Float32, where a different order of summation would show: a sample's output and input
    /// gradient are the same bytes in any batch on any number of threads, and the weight gradient
    /// the same bytes on any number of threads.
    func testResultsDoNotDependOnBatchSizeOrThreads() {
        for c in [cases[0], cases[2], cases[4], cases[7]] {
            let batch = 11
            let x = random([batch] + c.input.dropFirst(), seed: 1, dtype: .float32), w = random(c.weight, seed: 2, dtype: .float32)
            let conv = { (x: Tensor) in Tensor.groupedConv2d(x, w, groups: c.groups, stride: c.stride, padding: c.padding) }
            Parallel.threadCount = 1
            let y = conv(x)
            let dy = random(y.shape, seed: 3, dtype: .float32)
            let adjoint = { (dy: Tensor) in
                Tensor.groupedConv2dInputAdjoint(dy, w, inputShape: [dy.shape[0]] + c.input.dropFirst(), groups: c.groups,
                                                 stride: c.stride, padding: c.padding)
            }
            let weightAdjoint = {
                Tensor.groupedConv2dWeightAdjoint(x, dy, weightShape: w.shape, groups: c.groups, stride: c.stride, padding: c.padding).floats
            }
            let dx = adjoint(dy), dw = weightAdjoint()
            for threads in [1, 2, 3] {
                Parallel.threadCount = threads
                for size in [1, 4, batch] {
                    for start in stride(from: 0, to: batch, by: size) {
                        let range = start..<Swift.min(start + size, batch)
                        XCTAssertEqual(conv(x.slice(rows: range)).floats, y.slice(rows: range).floats, "\(c) forward, batch \(size), \(threads) threads")
                        XCTAssertEqual(adjoint(dy.slice(rows: range)).floats, dx.slice(rows: range).floats, "\(c) input adjoint, batch \(size), \(threads) threads")
                    }
                }
                XCTAssertEqual(weightAdjoint(), dw, "\(c) weight adjoint, \(threads) threads")
            }
        }
    }
}
