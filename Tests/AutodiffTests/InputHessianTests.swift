import Autodiff
import Foundation
import Tensors
import TestSupport
import XCTest

/// The input Hessian as the rest of Curvature uses it: built from HVPs, checked against
/// closed forms, symmetry, the other precision, and the Gauss–Newton identity of ReLU networks.
final class InputHessianTests: XCTestCase {
    let inputs = 6, hidden = 5, classes = 4

    private func matrix(_ rows: Int, _ cols: Int, seed: UInt64, dtype: DType = .float64) -> Tensor {
        Tensor(randomShape: [rows, cols], .normal(mean: 0, standardDeviation: 0.7), dtype: dtype, seed: seed)
    }

    /// The input Hessian of `loss` at `x` (one sample, shape [1, d]), one HVP per column.
    private func hessianFromProducts(_ loss: (Variable) -> Variable, at x: Tensor) -> [[Double]] {
        let d = x.count
        return (0..<d).map { i in
            var basis = [Double](repeating: 0, count: d)
            basis[i] = 1
            let e = Tensor(shape: x.shape, scalars: basis, dtype: x.dtype)
            return hessianVectorProduct(of: loss, at: x, along: e).product.scalars
        }
    }

    func testSoftplusNetworkHessianMatchesClosedForm() {
        let beta = 2.0, label = 1
        let w1 = matrix(hidden, inputs, seed: 1), b1 = matrix(1, hidden, seed: 2).reshaped([hidden])
        let w2 = matrix(classes, hidden, seed: 3), b2 = matrix(1, classes, seed: 4).reshaped([classes])
        let x = matrix(1, inputs, seed: 5)
        let loss: (Variable) -> Variable = { x in
            let h = softplus(linear(x, weight: Variable(w1), bias: Variable(b1)), beta: beta)
            return crossEntropy(logits: linear(h, weight: Variable(w2), bias: Variable(b2)), labels: [label], reduction: .sum)
        }
        let measured = hessianFromProducts(loss, at: x)

        // Closed form. z = W1x + b1, s = σ(βz), r = W2ᵀ(p − e_y):
        // H = W1ᵀ diag(βs(1−s) ⊙ r) W1 + (W2 diag(s) W1)ᵀ (diag p − ppᵀ) (W2 diag(s) W1).
        let W1 = rows(w1), W2 = rows(w2), xv = x.scalars, b1v = b1.scalars, b2v = b2.scalars
        let z = (0..<hidden).map { j in zip(W1[j], xv).reduce(b1v[j]) { $0 + $1.0 * $1.1 } }
        let s = z.map { 1 / (1 + Foundation.exp(-beta * $0)) }
        let a = z.map { Foundation.log(1 + Foundation.exp(beta * $0)) / beta }
        let f = (0..<classes).map { c in zip(W2[c], a).reduce(b2v[c]) { $0 + $1.0 * $1.1 } }
        let top = f.max()!, norm = f.reduce(0) { $0 + Foundation.exp($1 - top) }
        let p = f.map { Foundation.exp($0 - top) / norm }
        let r = (0..<hidden).map { j in (0..<classes).reduce(0.0) { $0 + W2[$1][j] * (p[$1] - ($1 == label ? 1 : 0)) } }
        let J = (0..<classes).map { c in (0..<inputs).map { i in (0..<hidden).reduce(0.0) { $0 + W2[c][$1] * s[$1] * W1[$1][i] } } }
        for i in 0..<inputs {
            for k in 0..<inputs {
                var h = (0..<hidden).reduce(0.0) { $0 + W1[$1][i] * beta * s[$1] * (1 - s[$1]) * r[$1] * W1[$1][k] }
                for c in 0..<classes {
                    for e in 0..<classes {
                        h += J[c][i] * ((c == e ? p[c] : 0) - p[c] * p[e]) * J[e][k]
                    }
                }
                XCTAssertEqual(measured[i][k], h, accuracy: 1e-8, "H[\(i)][\(k)]")
            }
        }
    }

    func testReLUNetworkHessianIsGaussNewton() {
        let label = 2
        let w1 = matrix(hidden, inputs, seed: 11), b1 = matrix(1, hidden, seed: 12).reshaped([hidden])
        let w2 = matrix(classes, hidden, seed: 13)
        let x = matrix(1, inputs, seed: 14)
        let logits: (Variable) -> Variable = { x in
            linear(relu(linear(x, weight: Variable(w1), bias: Variable(b1))), weight: Variable(w2))
        }
        let measured = hessianFromProducts({ crossEntropy(logits: logits($0), labels: [label], reduction: .sum) }, at: x)

        // Jacobian rows from the engine: J[c] = ∇ₓ f_c.
        let jacobian = (0..<classes).map { c in
            valueAndGradient(of: { gatherRows(logits($0), classes: [c]).reshapedToScalar() }, at: x).gradient.scalars
        }
        let f = logits(Variable(x)).value.scalars
        let top = f.max()!, norm = f.reduce(0) { $0 + Foundation.exp($1 - top) }
        let p = f.map { Foundation.exp($0 - top) / norm }
        var rank1 = false
        for i in 0..<inputs {
            for k in 0..<inputs {
                var h = 0.0
                for c in 0..<classes {
                    for e in 0..<classes { h += jacobian[c][i] * ((c == e ? p[c] : 0) - p[c] * p[e]) * jacobian[e][k] }
                }
                XCTAssertEqual(measured[i][k], h, accuracy: 1e-10, "H[\(i)][\(k)]")
                rank1 = rank1 || Swift.abs(h) > 1e-3
            }
        }
        XCTAssertTrue(rank1, "the test network should have a non-trivial Hessian")
    }

    /// A small convolutional network with every smooth piece the spectra will meet.
    private func convolutionalLoss(dtype: DType) -> (Variable) -> Variable {
        let w1 = Tensor(randomShape: [3, 1, 3, 3], .normal(mean: 0, standardDeviation: 0.5), dtype: dtype, seed: 21)
        let b1 = Tensor(randomShape: [3], .normal(mean: 0, standardDeviation: 0.1), dtype: dtype, seed: 22)
        let w2 = Tensor(randomShape: [4, 27], .normal(mean: 0, standardDeviation: 0.3), dtype: dtype, seed: 23)
        return { x in
            var h = softplus(conv2d(x, weight: Variable(w1), bias: Variable(b1), padding: 1), beta: 3)
            h = avgPool2d(h, kernel: 2)
            h = tanh(flatten(h))
            return crossEntropy(logits: linear(h, weight: Variable(w2)), labels: [3, 0], reduction: .sum)
        }
    }

    func testHessianVectorProductsAreSymmetric() {
        let loss = convolutionalLoss(dtype: .float64)
        let x = Tensor(randomShape: [2, 1, 6, 6], .uniform(low: 0, high: 1), dtype: .float64, seed: 24)
        let v = Tensor(randomShape: x.shape, .normal(mean: 0, standardDeviation: 1), dtype: .float64, seed: 25)
        let w = Tensor(randomShape: x.shape, .normal(mean: 0, standardDeviation: 1), dtype: .float64, seed: 26)
        let hv = hessianVectorProduct(of: loss, at: x, along: v).product
        let hw = hessianVectorProduct(of: loss, at: x, along: w).product
        let vHw = (v * hw).sum().item, wHv = (w * hv).sum().item
        XCTAssertGreaterThan(Swift.abs(vHw), 1e-3)
        XCTAssertEqual(vHw, wHv, accuracy: 1e-10)
    }

    /// Products taken repeatedly at one point (the graph built once) equal fresh ones, bit for bit,
    /// and are linear in the direction.
    func testHessianAtPointReusesOneGraph() {
        let loss = convolutionalLoss(dtype: .float64)
        let x = Tensor(randomShape: [2, 1, 6, 6], .uniform(low: 0, high: 1), dtype: .float64, seed: 27)
        let v = Tensor(randomShape: x.shape, .normal(mean: 0, standardDeviation: 1), dtype: .float64, seed: 28)
        let w = Tensor(randomShape: x.shape, .normal(mean: 0, standardDeviation: 1), dtype: .float64, seed: 29)
        let point = HessianAtPoint(of: loss, at: x)
        let fresh = hessianVectorProduct(of: loss, at: x, along: v)
        XCTAssertEqual(point.value.scalars, fresh.value.scalars)
        XCTAssertEqual(point.gradient.value.scalars, fresh.gradient.scalars)
        XCTAssertEqual(point.product(along: v).scalars, fresh.product.scalars)
        XCTAssertEqual(point.product(along: v).scalars, fresh.product.scalars, "a second product at the same point")
        let combined = point.product(along: v * 2 + w).scalars
        let separate = (point.product(along: v) * 2 + point.product(along: w)).scalars
        assertMaxError(combined, separate, within: 1e-12, "H(2v + w) against 2Hv + Hw")
        XCTAssertEqual(HessianAtPoint(of: loss, at: x, keepingGraph: false).gradient.value.scalars, fresh.gradient.scalars)
    }

    func testFloat32AgreesWithFloat64() {
        let x64 = Tensor(randomShape: [2, 1, 6, 6], .uniform(low: 0, high: 1), dtype: .float64, seed: 31)
        let v64 = Tensor(randomShape: x64.shape, .normal(mean: 0, standardDeviation: 1), dtype: .float64, seed: 32)
        let h64 = hessianVectorProduct(of: convolutionalLoss(dtype: .float64), at: x64, along: v64).product
        let h32 = hessianVectorProduct(
            of: convolutionalLoss(dtype: .float32), at: x64.converted(to: .float32), along: v64.converted(to: .float32)
        ).product
        XCTAssertEqual(h32.dtype, .float32)
        let difference = (h32.converted(to: .float64) - h64).map(.square).sum().item.squareRoot()
        let size = h64.map(.square).sum().item.squareRoot()
        XCTAssertGreaterThan(size, 1e-3)
        XCTAssertLessThan(difference / size, 1e-4)
    }

    /// Two 16-channel 3×3 convolutions on 8×8 images, which Float32 runs by Winograd (forward and
    /// input adjoint, in every pass of the HVP): the product stays as close to Float64 as through
    /// im2col (measured 5.4e-7 relative here with Winograd, 5.7e-7 with `CURVATURE_WINOGRAD=0`).
    func testFloat32ThroughWinogradConvolutionsAgreesWithFloat64() {
        func loss(_ dtype: DType) -> (Variable) -> Variable {
            func random(_ shape: [Int], _ deviation: Double, _ seed: UInt64) -> Variable {
                Variable(Tensor(randomShape: shape, .normal(mean: 0, standardDeviation: deviation), dtype: .float64, seed: seed)
                    .converted(to: dtype))
            }
            let (w1, w2, w3) = (random([16, 16, 3, 3], 0.15, 61), random([16, 16, 3, 3], 0.15, 62), random([5, 256], 0.3, 63))
            return { x in
                var h = softplus(conv2d(x, weight: w1, padding: 1), beta: 3)
                h = softplus(conv2d(h, weight: w2, padding: 1), beta: 3)
                h = flatten(avgPool2d(h, kernel: 2))
                return crossEntropy(logits: linear(h, weight: w3), labels: [1, 4], reduction: .sum)
            }
        }
        let x64 = Tensor(randomShape: [2, 16, 8, 8], .uniform(low: 0, high: 1), dtype: .float64, seed: 64)
        let layer = ConvolutionGeometry(input: x64.shape, weight: [16, 16, 3, 3], stride: 1, padding: 1)
        XCTAssertEqual(Tensor.convolvesByWinograd(layer), Tensor.winogradEnabled, "the layers run by Winograd")
        let v64 = Tensor(randomShape: x64.shape, .normal(mean: 0, standardDeviation: 1), dtype: .float64, seed: 65)
        let h64 = hessianVectorProduct(of: loss(.float64), at: x64, along: v64).product
        let h32 = hessianVectorProduct(of: loss(.float32), at: x64.converted(to: .float32), along: v64.converted(to: .float32)).product
        let difference = (h32.converted(to: .float64) - h64).map(.square).sum().item.squareRoot()
        let size = h64.map(.square).sum().item.squareRoot()
        XCTAssertGreaterThan(size, 1e-3)
        XCTAssertLessThan(difference / size, 2e-6)
    }

    func testBatchedProductIsPerSample() {
        // The batch loss sums per-sample losses, so one batched HVP equals per-sample HVPs.
        let loss = convolutionalLoss(dtype: .float64)
        let x = Tensor(randomShape: [2, 1, 6, 6], .uniform(low: 0, high: 1), dtype: .float64, seed: 41)
        let v = Tensor(randomShape: x.shape, .normal(mean: 0, standardDeviation: 1), dtype: .float64, seed: 42)
        let batched = hessianVectorProduct(of: loss, at: x, along: v).product
        let labels = [3, 0]
        for n in 0..<2 {
            let own = hessianVectorProduct(of: { self.convolutionalLossSingle($0, label: labels[n]) }, at: x.slice(rows: n..<(n + 1)), along: v.slice(rows: n..<(n + 1))).product
            let part = batched.slice(rows: n..<(n + 1))
            assertMaxError(own.scalars, part.scalars, within: 1e-12, "sample \(n) alone against in the batch")
        }
    }

    private func convolutionalLossSingle(_ x: Variable, label: Int) -> Variable {
        let w1 = Tensor(randomShape: [3, 1, 3, 3], .normal(mean: 0, standardDeviation: 0.5), dtype: .float64, seed: 21)
        let b1 = Tensor(randomShape: [3], .normal(mean: 0, standardDeviation: 0.1), dtype: .float64, seed: 22)
        let w2 = Tensor(randomShape: [4, 27], .normal(mean: 0, standardDeviation: 0.3), dtype: .float64, seed: 23)
        var h = softplus(conv2d(x, weight: Variable(w1), bias: Variable(b1), padding: 1), beta: 3)
        h = tanh(flatten(avgPool2d(h, kernel: 2)))
        return crossEntropy(logits: linear(h, weight: Variable(w2)), labels: [label], reduction: .sum)
    }

    func testMemoryIsFlatOverManyIterations() {
        let w1 = Variable(matrix(hidden, inputs, seed: 51), requiresGradient: true)
        let w2 = Variable(matrix(classes, hidden, seed: 52), requiresGradient: true)
        let x = matrix(3, inputs, seed: 53), v = matrix(3, inputs, seed: 54)
        func iteration() {
            let loss: (Variable) -> Variable = { x in
                crossEntropy(logits: linear(softplus(linear(x, weight: w1)), weight: w2), labels: [0, 1, 2], reduction: .mean)
            }
            let xv = Variable(x, requiresGradient: true)
            let l = loss(xv)
            _ = gradients(of: l, withRespectTo: [w1, w2, xv])
            _ = hessianVectorProduct(of: loss, at: x, along: v)
        }
        iteration()
        let buffers = TensorMemory.liveBuffers, bytes = TensorMemory.liveBytes
        for i in 0..<1000 {
            iteration()
            if i % 100 == 0 {
                XCTAssertEqual(TensorMemory.liveBuffers, buffers, "iteration \(i)")
            }
        }
        XCTAssertEqual(TensorMemory.liveBuffers, buffers)
        XCTAssertEqual(TensorMemory.liveBytes, bytes)
    }

    private func rows(_ t: Tensor) -> [[Double]] {
        let values = t.scalars, cols = t.shape[1]
        return (0..<t.shape[0]).map { Array(values[($0 * cols)..<(($0 + 1) * cols)]) }
    }
}

private extension Variable {
    func reshapedToScalar() -> Variable { reshape(self, []) }
}
