import Foundation
import Tensors
import TestSupport
import XCTest

/// Kernels against naive reference loops and adjoint identities, in Float64.
final class KernelTests: XCTestCase {
    /// rows(at:) picks whole rows in the order given, repeats included, in either dtype.
    func testRowsAtPicksRowsInOrder() {
        for dtype in [DType.float32, .float64] {
            let t = Tensor(shape: [4, 2, 3], scalars: (0..<24).map(Double.init), dtype: dtype)
            let picked = t.rows(at: [3, 0, 3])
            XCTAssertEqual(picked.shape, [3, 2, 3])
            XCTAssertEqual(picked.dtype, dtype)
            XCTAssertEqual(picked.scalars, t.slice(rows: 3..<4).scalars + t.slice(rows: 0..<1).scalars + t.slice(rows: 3..<4).scalars)
            XCTAssertEqual(t.rows(at: []).shape, [0, 2, 3])
        }
    }

    /// The one-sweep gradient through a logistic slope has the bits of the four sweeps it replaces,
    /// g·(y·(1 − y))·s, in both dtypes and in every operand layout (same shape, broadcast, scalar).
    func testLogisticSlopeSweepEqualsItsFourSteps() {
        for dtype in [DType.float32, .float64] {
            let g = Tensor(randomShape: [5, 40_000], .normal(mean: 0, standardDeviation: 1), dtype: dtype, seed: 15)
            let y = Tensor(randomShape: [5, 40_000], .uniform(low: 0, high: 1), dtype: dtype, seed: 16)
            for (label, a, b) in [("same", g, y), ("broadcast", g, y.slice(rows: 0..<1)), ("scalar", g, Tensor(shape: [1], scalars: [0.3], dtype: dtype)),
                                  ("scalar left", Tensor(shape: [1], scalars: [0.7], dtype: dtype), y)] {
                for scale in [1.0, 10, 0.37] {
                    let fused = a.combined(with: b, .timesLogisticSlope(scale: scale))
                    let steps = (a * (b * (b * -1 + 1))) * scale
                    XCTAssertEqual(fused.shape, steps.shape, "\(dtype) \(label)")
                    XCTAssertEqual(fused.scalars.map(\.bitPattern), steps.scalars.map(\.bitPattern), "\(dtype) \(label) scale \(scale)")
                }
            }
        }
    }

    private func random(_ shape: [Int], seed: UInt64) -> Tensor {
        Tensor(randomShape: shape, .normal(mean: 0, standardDeviation: 1), dtype: .float64, seed: seed)
    }

    private func assertClose(_ a: Tensor, _ b: Tensor, accuracy: Double = 1e-12, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, file: file, line: line)
        assertMaxError(a.scalars, b.scalars, within: accuracy, file: file, line: line)
    }

    private func dot(_ a: Tensor, _ b: Tensor) -> Double { (a * b).sum().item }

    func testMatmulAllTransposesMatchNaiveProduct() {
        let (m, k, n) = (3, 5, 4)
        let a = random([m, k], seed: 1), b = random([k, n], seed: 2)
        let av = a.scalars, bv = b.scalars
        let expected = Tensor(shape: [m, n], scalars: (0..<(m * n)).map { idx in
            (0..<k).reduce(0.0) { $0 + av[(idx / n) * k + $1] * bv[$1 * n + idx % n] }
        }, dtype: .float64)
        assertClose(Tensor.matmul(a, b), expected)
        assertClose(Tensor.matmul(a.transposed(), b, transposeA: true), expected)
        assertClose(Tensor.matmul(a, b.transposed(), transposeB: true), expected)
        assertClose(Tensor.matmul(a.transposed(), b.transposed(), transposeA: true, transposeB: true), expected)
        let a32 = a.converted(to: .float32), b32 = b.converted(to: .float32)
        assertClose(Tensor.matmul(a32, b32).converted(to: .float64), expected, accuracy: 1e-5)
    }

    func testConv2dMatchesDirectLoop() {
        for (stride, padding) in [(1, 0), (2, 1), (1, 2)] {
            let x = random([2, 3, 6, 5], seed: 3), w = random([4, 3, 3, 3], seed: 4)
            let y = Tensor.conv2d(x, w, stride: stride, padding: padding)
            let g = ConvolutionGeometry(input: x.shape, weight: w.shape, stride: stride, padding: padding)
            XCTAssertEqual(y.shape, g.outputShape)
            let xv = x.scalars, wv = w.scalars
            var expected = [Double](repeating: 0, count: y.count)
            for n in 0..<2 { for o in 0..<4 { for oy in 0..<g.outHeight { for ox in 0..<g.outWidth {
                var total = 0.0
                for c in 0..<3 { for i in 0..<3 { for j in 0..<3 {
                    let iy = oy * stride - padding + i, ix = ox * stride - padding + j
                    if iy >= 0 && iy < 6 && ix >= 0 && ix < 5 {
                        total += xv[((n * 3 + c) * 6 + iy) * 5 + ix] * wv[((o * 3 + c) * 3 + i) * 3 + j]
                    }
                }}}
                expected[((n * 4 + o) * g.outHeight + oy) * g.outWidth + ox] = total
            }}}}
            assertClose(y, Tensor(shape: y.shape, scalars: expected, dtype: .float64))
        }
    }

    func testConv2dAdjointsSatisfyDotProductIdentities() {
        for (stride, padding, kernel) in [(1, 0, 3), (2, 1, 3), (1, 0, 1)] {
            let x = random([2, 3, 7, 7], seed: 5), w = random([4, 3, kernel, kernel], seed: 6)
            let y = Tensor.conv2d(x, w, stride: stride, padding: padding)
            let g = random(y.shape, seed: 7)
            // ⟨g, conv(x, w)⟩ = ⟨adjointₓ(g), x⟩ = ⟨adjoint_w(x, g), w⟩
            let inputAdjoint = Tensor.conv2dInputAdjoint(g, w, inputShape: x.shape, stride: stride, padding: padding)
            let weightAdjoint = Tensor.conv2dWeightAdjoint(x, g, weightShape: w.shape, stride: stride, padding: padding)
            XCTAssertEqual(dot(g, y), dot(inputAdjoint, x), accuracy: 1e-10)
            XCTAssertEqual(dot(g, y), dot(weightAdjoint, w), accuracy: 1e-10)
        }
    }

    /// Float32 convolutions (the packed kernels where the CPU has them) against Float64, in every
    /// form the kernels distinguish: im2col at stride 1 and 2, pointwise, output widths around the
    /// 16-wide panels, one sample and several, and batches whose weight adjoint sums groups of
    /// several samples (17: groups of 3) and none (0).
    func testFloat32ConvolutionsAgreeWithFloat64() {
        for (batch, size, stride, padding, kernel) in [(1, 7, 1, 1, 3), (3, 9, 2, 1, 3), (2, 5, 1, 0, 1), (2, 17, 1, 2, 5), (1, 4, 1, 0, 1),
                                                       (17, 5, 1, 1, 3), (17, 4, 1, 0, 1), (0, 5, 1, 1, 3)] {
            let x = random([batch, 3, size, size], seed: 21), w = random([5, 3, kernel, kernel], seed: 22)
            let y = Tensor.conv2d(x, w, stride: stride, padding: padding)
            let g = random(y.shape, seed: 23)
            let (x32, w32, g32) = (x.converted(to: .float32), w.converted(to: .float32), g.converted(to: .float32))
            assertClose(Tensor.conv2d(x32, w32, stride: stride, padding: padding).converted(to: .float64), y, accuracy: 1e-5)
            assertClose(Tensor.conv2dInputAdjoint(g32, w32, inputShape: x.shape, stride: stride, padding: padding).converted(to: .float64),
                        Tensor.conv2dInputAdjoint(g, w, inputShape: x.shape, stride: stride, padding: padding), accuracy: 1e-5)
            assertClose(Tensor.conv2dWeightAdjoint(x32, g32, weightShape: w.shape, stride: stride, padding: padding).converted(to: .float64),
                        Tensor.conv2dWeightAdjoint(x, g, weightShape: w.shape, stride: stride, padding: padding), accuracy: 1e-4)
        }
    }

    func testPoolingMatchesNaiveWindowsAndAdjoints() {
        let x = random([2, 2, 5, 5], seed: 8)
        let (maxValues, indices) = Tensor.maxPool2d(x, kernel: 3, stride: 2)
        let avg = Tensor.avgPool2d(x, kernel: 3, stride: 2)
        XCTAssertEqual(maxValues.shape, [2, 2, 2, 2])
        let xv = x.scalars
        for plane in 0..<4 { for oy in 0..<2 { for ox in 0..<2 {
            let window = (0..<3).flatMap { i in (0..<3).map { j in xv[plane * 25 + (oy * 2 + i) * 5 + ox * 2 + j] } }
            let o = (plane * 2 + oy) * 2 + ox
            XCTAssertEqual(maxValues[flat: o], window.max()!)
            XCTAssertEqual(xv[Int(indices[o])], window.max()!)
            XCTAssertEqual(avg[flat: o], window.reduce(0, +) / 9, accuracy: 1e-12)
        }}}
        let g = random(avg.shape, seed: 9)
        XCTAssertEqual(dot(g, avg), dot(Tensor.avgPool2dAdjoint(g, inputShape: x.shape, kernel: 3, stride: 2), x), accuracy: 1e-12)
        XCTAssertEqual(dot(g, maxValues), dot(g.scatterAdd(flatIndices: indices, shape: x.shape), x), accuracy: 1e-12)
    }

    func testBroadcastingOverRowsAndChannels() {
        let a = random([3, 4], seed: 10), row = random([4], seed: 11)
        let sum = a + row
        for i in 0..<3 { for j in 0..<4 { XCTAssertEqual(sum[flat: i * 4 + j], a[flat: i * 4 + j] + row[flat: j]) } }
        let images = random([2, 3, 2, 2], seed: 12), channel = random([1, 3, 1, 1], seed: 13)
        let product = images * channel
        for i in 0..<images.count { XCTAssertEqual(product[flat: i], images[flat: i] * channel[flat: (i / 4) % 3]) }
        let column = random([3, 1], seed: 14)
        let difference = column - row  // [3, 1] − [4] → [3, 4]
        XCTAssertEqual(difference.shape, [3, 4])
        XCTAssertEqual(difference[flat: 2 * 4 + 1], column[flat: 2] - row[flat: 1])
        XCTAssertEqual(Shape.broadcast([2, 1, 5], [3, 1]), [2, 3, 5])
    }

    func testReductionsOverAxes() {
        let x = random([2, 3, 4], seed: 15), v = x.scalars
        XCTAssertEqual(x.sum().item, v.reduce(0, +), accuracy: 1e-12)
        let over1 = x.sum(alongAxes: [1])
        XCTAssertEqual(over1.shape, [2, 4])
        let expected1: Double = v[(1 * 3 + 0) * 4 + 2] + v[(1 * 3 + 1) * 4 + 2] + v[(1 * 3 + 2) * 4 + 2]
        XCTAssertEqual(over1[flat: 1 * 4 + 2], expected1, accuracy: 1e-12)
        let over02 = x.sum(alongAxes: [0, 2], keepingDimensions: true)
        XCTAssertEqual(over02.shape, [1, 3, 1])
        var expected02 = 0.0
        for n in 0..<2 { for k in 0..<4 { expected02 += v[(n * 3 + 2) * 4 + k] } }
        XCTAssertEqual(over02[flat: 2], expected02, accuracy: 1e-12)
        // broadcast and sum-to are adjoint.
        let small = random([1, 3, 1], seed: 16), big = random([2, 3, 4], seed: 17)
        XCTAssertEqual(dot(small.broadcast(to: big.shape), big), dot(small, big.sum(toShape: small.shape)), accuracy: 1e-12)
    }

    func testSoftmaxFamilyIsStable() {
        let x = Tensor(shape: [2, 3], scalars: [1000, 1001, 1002, -5, 0, 5], dtype: .float64)
        let lse = x.softmaxFamily(.logSumExp, axis: 1)
        XCTAssertEqual(lse[flat: 0], 1002 + Foundation.log(1 + Foundation.exp(-1) + Foundation.exp(-2)), accuracy: 1e-9)
        let p = x.softmaxFamily(.softmax, axis: 1)
        XCTAssertEqual(p[flat: 0] + p[flat: 1] + p[flat: 2], 1, accuracy: 1e-15)
        let logp = x.softmaxFamily(.logSoftmax, axis: 1)
        XCTAssertEqual(Foundation.exp(logp[flat: 5]), p[flat: 5], accuracy: 1e-15)
    }

    func testTransposeConcatenateSlicePadGather() {
        let x = random([3, 5], seed: 18)
        let t = x.transposed()
        XCTAssertEqual(t.shape, [5, 3])
        XCTAssertEqual(t[flat: 4 * 3 + 1], x[flat: 1 * 5 + 4])
        let y = random([2, 5], seed: 19)
        let joined = Tensor.concatenate([x, y])
        XCTAssertEqual(joined.shape, [5, 5])
        assertClose(joined.slice(rows: 3..<5), y)
        let padded = y.padded(rowsBefore: 1, rowsAfter: 2)
        XCTAssertEqual(padded.shape, [5, 5])
        XCTAssertEqual(padded.slice(rows: 0..<1).scalars, [Double](repeating: 0, count: 5))
        assertClose(padded.slice(rows: 1..<3), y)
        let picked = x.gather(flatIndices: Tensor.rowIndices(classes: [4, 0, 2], columns: 5), shape: [3])
        XCTAssertEqual(picked.scalars, [x[flat: 4], x[flat: 5], x[flat: 12]])
    }

    func testSeededRandomFills() {
        let a = Tensor(randomShape: [10_000], .normal(mean: 1, standardDeviation: 2), dtype: .float64, seed: 42)
        let b = Tensor(randomShape: [10_000], .normal(mean: 1, standardDeviation: 2), dtype: .float64, seed: 42)
        XCTAssertEqual(a.scalars, b.scalars)
        let mean = a.sum().item / 10_000
        let variance = a.scalars.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 9_999
        XCTAssertEqual(mean, 1, accuracy: 0.06)  // 3 standard errors
        XCTAssertEqual(variance, 4, accuracy: 0.2)
        let u = Tensor(randomShape: [10_000], .uniform(low: -1, high: 3), dtype: .float32, seed: 1).scalars
        XCTAssertTrue(u.allSatisfy { $0 >= -1 && $0 < 3 })
        XCTAssertEqual(u.reduce(0, +) / 10_000, 1, accuracy: 0.04)
        let r = Tensor(randomShape: [1_000], .rademacher, dtype: .float64, seed: 3).scalars
        XCTAssertTrue(r.allSatisfy { $0 == 1 || $0 == -1 })
        XCTAssertEqual(r.reduce(0, +) / 1_000, 0, accuracy: 0.1)
        XCTAssertNotEqual(Tensor(randomShape: [8], .rademacher, seed: 4).scalars, Tensor(randomShape: [8], .rademacher, seed: 5).scalars)
    }

    func testReshapeSharesAndMutationCopies() {
        var x = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4], dtype: .float64)
        let view = x.reshaped([4])
        x.withUnsafeMutableBufferPointer(as: Double.self) { $0[0] = 9 }
        XCTAssertEqual(view.scalars, [1, 2, 3, 4], "a shared buffer is copied before writing")
        XCTAssertEqual(x.scalars, [9, 2, 3, 4])
    }

    func testElementwiseFunctionsAgainstFoundation() {
        let x = Tensor(shape: [5], scalars: [-30, -1.5, 0.25, 2, 30], dtype: .float64)
        let sp = x.map(.softplus(beta: 2, threshold: 20)).scalars
        XCTAssertEqual(sp[1], Foundation.log(1 + Foundation.exp(-3)) / 2, accuracy: 1e-15)
        XCTAssertEqual(sp[4], 30, "linear above the threshold")
        XCTAssertEqual(sp[0], Foundation.log1p(Foundation.exp(-60)) / 2, accuracy: 1e-30)
        let gelu = x.map(.geluErf).scalars
        XCTAssertEqual(gelu[2], 0.25 * 0.5 * (1 + Foundation.erf(0.25 / 2.0.squareRoot())), accuracy: 1e-15)
        XCTAssertEqual(x.map(.elu(alpha: 0.5)).scalars[1], 0.5 * (Foundation.exp(-1.5) - 1), accuracy: 1e-15)
        XCTAssertEqual(x.map(.sigmoid).scalars[0], 1 / (1 + Foundation.exp(30)), accuracy: 1e-25)
        XCTAssertEqual(x.map(.power(3)).scalars[1], -3.375)
        XCTAssertEqual(x.map(.clamp(min: -1, max: 1)).scalars, [-1, -1, 0.25, 1, 1])
        XCTAssertEqual(x.map(.sign).scalars, [-1, -1, 1, 1, 1])
    }
}
