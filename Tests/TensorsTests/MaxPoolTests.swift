import Tensors
import XCTest

/// Max-pooling picks the first maximum of each window, and a NaN (the last one) over any number,
/// in the unrolled 2×2 path and the general one alike, so its gradient goes to one input.
final class MaxPoolTests: XCTestCase {
    /// A reference: scan the window in row order, keep the first strict maximum, let NaN win.
    private func reference(_ x: [Double], height: Int, width: Int, kernel: Int, stride: Int) -> (values: [Double], indices: [Int32]) {
        var values: [Double] = [], indices: [Int32] = []
        for oy in 0..<((height - kernel) / stride + 1) {
            for ox in 0..<((width - kernel) / stride + 1) {
                var best = oy * stride * width + ox * stride
                for i in 0..<kernel {
                    for j in 0..<kernel {
                        let index = (oy * stride + i) * width + ox * stride + j
                        if x[index] > x[best] || x[index].isNaN { best = index }
                    }
                }
                values.append(x[best])
                indices.append(Int32(best))
            }
        }
        return (values, indices)
    }

    func testFirstMaximumAndNaNInBothPaths() {
        // Ties, negative zeros, NaNs and plain values in every window position.
        let pattern: [Double] = [1, 1, 0, -0.0, .nan, 2, 2, .nan, -1, 3, 3, -5, .nan, .nan, 0, 7]
        // Widths whose 2×2 rows take the vectorised float32 path eight and four at a time, with
        // tails, and odd extents whose last row and column no window covers.
        for (height, width) in [(6, 8), (4, 28), (3, 14), (5, 34), (7, 25)] {
            let withNaNs = (0..<(height * width)).map { pattern[($0 * 7 + $0 / 5) % pattern.count] }
            let ties: [Double] = (0..<(height * width)).map { (i: Int) -> Double in Double((i * 5 + i / 3) % 3 - 1) }  // no NaN, ties everywhere
            for x in [withNaNs, ties] {
            for (kernel, stride) in [(2, 2), (3, 1), (2, 1)] {
                let expected = reference(x, height: height, width: width, kernel: kernel, stride: stride)
                for dtype in [DType.float64, .float32] {
                    let input = Tensor(shape: [1, 1, height, width], scalars: x, dtype: dtype)
                    let (values, indices) = Tensor.maxPool2d(input, kernel: kernel, stride: stride)
                    let context = "\(dtype) \(height)×\(width), kernel \(kernel), stride \(stride)"
                    XCTAssertEqual(indices, expected.indices, context)
                    XCTAssertEqual(values.scalars.count, expected.values.count, context)
                    for (value, wanted) in zip(values.scalars, expected.values) {
                        XCTAssertTrue(value == wanted && value.sign == wanted.sign || value.isNaN && wanted.isNaN, "\(value) vs \(wanted), \(context)")
                    }
                }
            }
            }
        }
    }

    /// The derivative's scatter, filled plane by plane in parallel, equals the serial one bit for
    /// bit, for overlapping windows too (several outputs adding into one input, in index order).
    func testPlaneParallelScatterEqualsTheSerialOne() {
        for dtype in [DType.float32, .float64] {
            let x = Tensor(randomShape: [3, 5, 9, 10], .normal(mean: 0, standardDeviation: 1), dtype: dtype, seed: 31)
            for (kernel, stride) in [(2, 2), (3, 1), (3, 2)] {
                let (values, indices) = Tensor.maxPool2d(x, kernel: kernel, stride: stride)
                let g = Tensor(randomShape: values.shape, .normal(mean: 0, standardDeviation: 1), dtype: dtype, seed: 32)
                Parallel.threadCount = 1
                let serial = g.scatterAdd(flatIndices: indices, shape: x.shape)
                for threads in [1, 2, 3] {
                    Parallel.threadCount = threads
                    XCTAssertEqual(g.scatterAdd(flatIndices: indices, shape: x.shape, planes: 15).scalars, serial.scalars,
                                   "\(dtype) kernel \(kernel) stride \(stride), \(threads) threads")
                    XCTAssertEqual(serial.gather(flatIndices: indices, shape: values.shape).scalars,
                                   indices.map { serial.scalars[Int($0)] }, "gather \(dtype), \(threads) threads")
                }
            }
        }
        Parallel.threadCount = 2
    }
}
