import Autodiff
import Tensors
import TestSupport
import XCTest

/// gradcheck + gradgradcheck for every differentiable op.
final class OpDerivativeTests: XCTestCase {
    let check = DerivativeCheck()

    // MARK: Arithmetic and broadcasting

    func testAdd() {
        check.check("add", [randomTensor([3, 4], seed: 1), randomTensor([3, 4], seed: 2)]) { $0[0] + $0[1] }
        check.check("add rows", [randomTensor([3, 4], seed: 1), randomTensor([4], seed: 2)]) { $0[0] + $0[1] }
        check.check("add channels", [randomTensor([2, 3, 2, 2], seed: 1), randomTensor([1, 3, 1, 1], seed: 2)]) { $0[0] + $0[1] }
    }

    func testSub() {
        check.check("sub", [randomTensor([3, 4], seed: 3), randomTensor([3, 1], seed: 4)]) { $0[0] - $0[1] }
    }

    func testMul() {
        check.check("mul", [randomTensor([3, 4], seed: 5), randomTensor([3, 4], seed: 6)]) { $0[0] * $0[1] }
        check.check("mul channels", [randomTensor([2, 3, 2, 2], seed: 5), randomTensor([1, 3, 1, 1], seed: 6)]) { $0[0] * $0[1] }
        check.check("mul self", [randomTensor([5], seed: 7)]) { $0[0] * $0[0] }
    }

    func testDiv() {
        check.check("div", [randomTensor([3, 4], seed: 8), randomTensor([4], seed: 9, .uniform(low: 0.5, high: 2))]) { $0[0] / $0[1] }
    }

    func testNeg() {
        check.check("neg", [randomTensor([6], seed: 10)]) { -$0[0] }
    }

    func testScalarArithmetic() {
        let x = randomTensor([2, 3], seed: 11, .uniform(low: 0.5, high: 2))
        check.check("x + s", [x]) { $0[0] + 1.5 }
        check.check("s + x", [x]) { 1.5 + $0[0] }
        check.check("x - s", [x]) { $0[0] - 0.5 }
        check.check("s - x", [x]) { 2.0 - $0[0] }
        check.check("x * s", [x]) { $0[0] * 3 }
        check.check("s * x", [x]) { -2 * $0[0] }
        check.check("x / s", [x]) { $0[0] / 4 }
        check.check("s / x", [x]) { 3 / $0[0] }
        check.check("affine", [x]) { affine($0[0], scale: 0.7, shift: -0.2) }
    }

    func testPow() {
        let x = randomTensor([2, 3], seed: 12, .uniform(low: 0.5, high: 2))
        for p in [3.0, 2.0, 0.5, -1.5, 1.0] {
            check.check("pow \(p)", [x]) { pow($0[0], p) }
        }
    }

    func testBroadcastAndSumTo() {
        check.check("broadcast", [randomTensor([1, 3, 1], seed: 13)]) { broadcast($0[0], to: [2, 3, 4]) }
        check.check("sumTo", [randomTensor([2, 3, 4], seed: 14)]) { sum($0[0], toShape: [1, 3, 1]) }
    }

    // MARK: Linear algebra

    func testMatmul() {
        let a = randomTensor([3, 4], seed: 15), b = randomTensor([4, 2], seed: 16)
        check.check("matmul", [a, b]) { matmul($0[0], $0[1]) }
        check.check("matmul Aᵀ", [randomTensor([4, 3], seed: 17), b]) { matmul($0[0], $0[1], transposeA: true) }
        check.check("matmul Bᵀ", [a, randomTensor([2, 4], seed: 18)]) { matmul($0[0], $0[1], transposeB: true) }
        check.check("matmul AᵀBᵀ", [randomTensor([4, 3], seed: 19), randomTensor([2, 4], seed: 20)]) {
            matmul($0[0], $0[1], transposeA: true, transposeB: true)
        }
    }

    func testBatchedMatmul() {
        let a = randomTensor([2, 3, 4], seed: 72), b = randomTensor([2, 4, 5], seed: 73)
        check.check("batched matmul", [a, b]) { batchedMatmul($0[0], $0[1]) }
        check.check("batched matmul Aᵀ", [randomTensor([2, 4, 3], seed: 74), b]) { batchedMatmul($0[0], $0[1], transposeA: true) }
        check.check("batched matmul Bᵀ", [a, randomTensor([2, 5, 4], seed: 75)]) { batchedMatmul($0[0], $0[1], transposeB: true) }
        check.check("batched matmul AᵀBᵀ", [randomTensor([2, 4, 3], seed: 76), randomTensor([2, 5, 4], seed: 77)]) {
            batchedMatmul($0[0], $0[1], transposeA: true, transposeB: true)
        }
        // Attention's shape, [N, heads, T, d] · [N, heads, T, d]ᵀ, and the same operand on both sides.
        let q = randomTensor([2, 2, 3, 2], seed: 78)
        check.check("batched matmul rank 4", [q, randomTensor([2, 2, 3, 2], seed: 79)]) { batchedMatmul($0[0], $0[1], transposeB: true) }
        check.check("batched matmul x·xᵀ", [q]) { batchedMatmul($0[0], $0[0], transposeB: true) }
    }

    func testLinear() {
        check.check("linear", [randomTensor([3, 4], seed: 21), randomTensor([2, 4], seed: 22), randomTensor([2], seed: 23)]) {
            linear($0[0], weight: $0[1], bias: $0[2])
        }
    }

    func testTranspose() {
        check.check("transpose", [randomTensor([3, 5], seed: 24)]) { transpose($0[0]) }
    }

    // MARK: Convolution and pooling

    func testConv2d() {
        let x = randomTensor([2, 2, 5, 5], seed: 25), w = randomTensor([3, 2, 3, 3], seed: 26), b = randomTensor([3], seed: 27)
        check.check("conv2d", [x, w, b]) { conv2d($0[0], weight: $0[1], bias: $0[2]) }
        check.check("conv2d stride 2 pad 1", [x, w]) { conv2d($0[0], weight: $0[1], stride: 2, padding: 1) }
        check.check("conv2d 1×1", [x, randomTensor([3, 2, 1, 1], seed: 28)]) { conv2d($0[0], weight: $0[1]) }
    }

    func testConv2dAdjoints() {
        let x = randomTensor([1, 2, 4, 4], seed: 29), w = randomTensor([2, 2, 3, 3], seed: 30)
        let g = randomTensor([1, 2, 2, 2], seed: 31)
        check.check("conv2d input adjoint", [g, w]) {
            conv2dInputAdjoint($0[0], weight: $0[1], inputShape: x.shape, stride: 1, padding: 0)
        }
        check.check("conv2d weight adjoint", [x, g]) {
            conv2dWeightAdjoint($0[0], outputGradient: $0[1], weightShape: w.shape, stride: 1, padding: 0)
        }
    }

    func testMaxPool2d() {
        check.check("maxpool 2", [randomTensor([2, 2, 4, 4], seed: 32)]) { maxPool2d($0[0], kernel: 2) }
        check.check("maxpool 3 stride 2", [randomTensor([1, 2, 5, 5], seed: 33)]) { maxPool2d($0[0], kernel: 3, stride: 2) }
    }

    func testAvgPool2d() {
        check.check("avgpool 2", [randomTensor([2, 2, 4, 4], seed: 34)]) { avgPool2d($0[0], kernel: 2) }
        check.check("avgpool 3 stride 2", [randomTensor([1, 2, 5, 5], seed: 35)]) { avgPool2d($0[0], kernel: 3, stride: 2) }
        check.check("avgpool adjoint", [randomTensor([1, 2, 2, 2], seed: 36)]) {
            avgPool2dAdjoint($0[0], inputShape: [1, 2, 5, 5], kernel: 3, stride: 2)
        }
    }

    // MARK: Shapes and indexing

    func testReshapeAndFlatten() {
        check.check("reshape", [randomTensor([2, 6], seed: 37)]) { reshape($0[0], [3, 2, 2]) }
        check.check("flatten", [randomTensor([2, 2, 3], seed: 38)]) { flatten($0[0]) }
    }

    func testGatherScatterAndBatchAxis() {
        check.check("gatherRows", [randomTensor([3, 4], seed: 39)]) { gatherRows($0[0], classes: [2, 0, 3]) }
        check.check("scatterAdd", [randomTensor([3], seed: 40)]) { scatterAdd($0[0], flatIndices: [1, 4, 1], shape: [2, 3]) }
        check.check("concatenate", [randomTensor([2, 3], seed: 41), randomTensor([1, 3], seed: 42)]) { concatenate([$0[0], $0[1]]) }
        check.check("slice", [randomTensor([4, 2], seed: 43)]) { slice($0[0], rows: 1..<3) }
        check.check("pad", [randomTensor([2, 2], seed: 44)]) { pad($0[0], rowsBefore: 1, rowsAfter: 2) }
    }

    // MARK: Reductions

    func testMaximumAlongAxes() {
        let x = randomTensor([2, 3, 4], seed: 80)  // continuous values: no ties within a step
        check.check("maximum axis", [x]) { maximum($0[0], alongAxes: [2]) }
        check.check("maximum axes keep", [x]) { maximum($0[0], alongAxes: [0, 2], keepingDimensions: true) }
        check.check("maximum all", [x]) { maximum($0[0], alongAxes: [0, 1, 2]) }
        let picked = maximum(Variable(Tensor(shape: [2, 2], scalars: [1, 5, 7, 3], dtype: .float64)), alongAxes: [1])
        XCTAssertEqual(picked.value.scalars, [5, 7])
    }

    func testSumAndMean() {
        let x = randomTensor([2, 3, 4], seed: 45)
        check.check("sum", [x]) { sum($0[0]) }
        check.check("sum axes", [x]) { sum($0[0], alongAxes: [0, 2]) }
        check.check("sum axis keep", [x]) { sum($0[0], alongAxes: [1], keepingDimensions: true) }
        check.check("mean", [x]) { mean($0[0]) }
        check.check("mean axes", [x]) { mean($0[0], alongAxes: [-1]) }
    }

    // MARK: Element-wise functions

    func testSquareSqrtExpLog() {
        let positive = randomTensor([2, 3], seed: 46, .uniform(low: 0.5, high: 2))
        check.check("square", [randomTensor([2, 3], seed: 47)]) { square($0[0]) }
        check.check("sqrt", [positive]) { sqrt($0[0]) }
        check.check("exp", [randomTensor([2, 3], seed: 48)]) { exp($0[0]) }
        check.check("log", [positive]) { log($0[0]) }
        check.check("abs", [awayFromZero([2, 3], seed: 49)]) { abs($0[0]) }
        check.check("erf", [randomTensor([2, 3], seed: 50)]) { erf($0[0]) }
    }

    func testTanhSigmoid() {
        check.check("tanh", [randomTensor([2, 4], seed: 51)]) { tanh($0[0]) }
        check.check("sigmoid", [randomTensor([2, 4], seed: 52, .uniform(low: -4, high: 4))]) { sigmoid($0[0]) }
    }

    func testSoftplus() {
        let x = randomTensor([2, 5], seed: 53, .uniform(low: -3, high: 3))
        check.check("softplus", [x]) { softplus($0[0]) }
        check.check("softplus β=10", [x]) { softplus($0[0], beta: 10) }
        // Both sides of the threshold (βx = 20) and deep in the negative tail.
        let wide = Tensor(shape: [6], scalars: [-40, -9, 1.5, 2.5, 3, 45], dtype: .float64)
        check.check("softplus wide", [wide]) { softplus($0[0], beta: 10) }
        check.check("softplus slope", [x]) { softplusSlope($0[0], beta: 2, threshold: 20) }
    }

    /// An unrecorded backward through sigmoid's and softplus's slope rules takes the one-sweep
    /// kernel, a recorded one the differentiable ops: the same bits either way, in both dtypes.
    func testLogisticSlopeRulesGiveTheSameBitsRecordedOrNot() {
        for dtype in [DType.float32, .float64] {
            let x = Variable(Tensor(randomShape: [7, 300], .uniform(low: -6, high: 6), dtype: dtype, seed: 59), requiresGradient: true)
            let w = Variable(Tensor(randomShape: [7, 300], .normal(mean: 0, standardDeviation: 1), dtype: dtype, seed: 60))
            let rules: [(String, (Variable) -> Variable)] = [
                ("sigmoid", { sigmoid($0) }),
                ("softplus slope β=0.37", { softplusSlope($0, beta: 0.37, threshold: 20) }),
                ("softplus slope β=10", { softplusSlope($0, beta: 10, threshold: 20) }),
            ]
            for (name, f) in rules {
                let output = sum(f(x) * w)
                let recorded = gradients(of: output, withRespectTo: [x], createGraph: true)[0].value
                let swept = gradients(of: output, withRespectTo: [x], createGraph: false)[0].value
                XCTAssertEqual(recorded.scalars.map(\.bitPattern), swept.scalars.map(\.bitPattern), "\(name), \(dtype)")
            }
        }
    }

    func testSoftplusIsStableForLargeInputs() {
        let x = Variable(Tensor(shape: [4], scalars: [-1000, -50, 50, 1000], dtype: .float64), requiresGradient: true)
        let y = softplus(x, beta: 10, threshold: .infinity)
        XCTAssertEqual(y.value.scalars[0], 0, accuracy: 1e-300)
        XCTAssertEqual(y.value.scalars[3], 1000, accuracy: 1e-12)
        let g = gradients(of: sum(y), withRespectTo: [x])[0].value.scalars
        assertMaxError(g, [0.0, 0, 1, 1], within: 1e-15, "softplus' slope, finite at the extremes")
    }

    func testReLU() {
        check.check("relu", [awayFromZero([3, 4], seed: 54)]) { relu($0[0]) }
        let gate = awayFromZero([3, 4], seed: 55)
        check.check("pass where positive", [randomTensor([3, 4], seed: 56)]) { passWherePositive($0[0], gate) }
    }

    func testELU() {
        check.check("elu", [awayFromZero([3, 4], seed: 55)]) { elu($0[0], alpha: 0.7) }
    }

    func testGELU() {
        let x = randomTensor([3, 4], seed: 56, .uniform(low: -3, high: 3))
        check.check("gelu erf", [x]) { gelu($0[0]) }
        check.check("gelu tanh", [x]) { gelu($0[0], approximation: .tanh) }
    }

    func testSign() {
        check.check("sign", [awayFromZero([2, 3], seed: 57)]) { sign($0[0]) * $0[0] }
        let x = Variable(randomTensor([4], seed: 58), requiresGradient: true)
        XCTAssertEqual(gradients(of: sum(sign(x)), withRespectTo: [x])[0].value.scalars, [0, 0, 0, 0])
    }

    func testClamp() {
        let x = Tensor(shape: [6], scalars: [-2, -0.6, -0.1, 0.3, 0.7, 1.9], dtype: .float64)
        check.check("clamp", [x]) { clamp($0[0], min: -0.5, max: 0.5) }
        check.check("clamp below", [x]) { clamp($0[0], min: 0) }
    }

    // MARK: Softmax family and losses

    func testLogSumExp() {
        let x = randomTensor([3, 4], seed: 59)
        check.check("logsumexp", [x]) { logSumExp($0[0], axis: 1) }
        check.check("logsumexp axis 0 keep", [x]) { logSumExp($0[0], axis: 0, keepingDimensions: true) }
    }

    func testLogSoftmaxAndSoftmax() {
        let x = randomTensor([3, 4], seed: 60)
        check.check("log_softmax", [x]) { logSoftmax($0[0], axis: 1) }
        check.check("softmax", [x]) { softmax($0[0], axis: 1) }
        check.check("softmax axis 0", [x]) { softmax($0[0], axis: 0) }
    }

    func testCrossEntropy() {
        let logits = randomTensor([4, 3], seed: 61)
        check.check("cross-entropy sum", [logits]) { crossEntropy(logits: $0[0], labels: [0, 2, 1, 2], reduction: .sum) }
        check.check("cross-entropy mean", [logits]) { crossEntropy(logits: $0[0], labels: [0, 2, 1, 2], reduction: .mean) }
    }

    func testBatchNorm() {
        let x2 = randomTensor([4, 3], seed: 62), x4 = randomTensor([3, 2, 2, 2], seed: 63)
        let gamma = randomTensor([3], seed: 64), beta = randomTensor([3], seed: 65)
        let mean3 = randomTensor([3], seed: 66), variance3 = randomTensor([3], seed: 67, .uniform(low: 0.5, high: 2))
        check.check("batchnorm eval", [x2, gamma, beta]) {
            batchNorm($0[0], weight: $0[1], bias: $0[2], runningMean: mean3, runningVariance: variance3, training: false)
        }
        check.check("batchnorm train", [x2, gamma, beta]) {
            batchNorm($0[0], weight: $0[1], bias: $0[2], runningMean: mean3, runningVariance: variance3, training: true)
        }
        let gamma2 = randomTensor([2], seed: 68), beta2 = randomTensor([2], seed: 69)
        let mean2 = randomTensor([2], seed: 70), variance2 = randomTensor([2], seed: 71, .uniform(low: 0.5, high: 2))
        check.check("batchnorm2d train", [x4, gamma2, beta2]) {
            batchNorm($0[0], weight: $0[1], bias: $0[2], runningMean: mean2, runningVariance: variance2, training: true)
        }
        check.check("batchnorm2d eval", [x4, gamma2, beta2]) {
            batchNorm($0[0], weight: $0[1], bias: $0[2], runningMean: mean2, runningVariance: variance2, training: false)
        }
    }
}

extension OpDerivativeTests {
    func testLayerNorm() {
        let x = randomTensor([2, 3, 4], seed: 81)
        let gamma = randomTensor([4], seed: 82), beta = randomTensor([4], seed: 83), gamma2 = randomTensor([3, 4], seed: 84)
        check.check("layernorm last axis", [x, gamma, beta]) { layerNorm($0[0], fromAxis: 2, weight: $0[1], bias: $0[2]) }
        check.check("layernorm two axes", [x, gamma2]) { layerNorm($0[0], fromAxis: 1, weight: $0[1], bias: nil, epsilon: 1e-3) }
        check.check("layernorm plain", [x]) { layerNorm($0[0], fromAxis: 1, weight: nil, bias: nil) }
    }
}

final class MixedPrecisionTests: XCTestCase {
    func testConvertCarriesGradientsBackInTheInputType() {
        let x = Variable(Tensor(shape: [3], scalars: [1, 2, 3], dtype: .float32), requiresGradient: true)
        let y = sum(square(convert(x, to: .float64)))
        XCTAssertEqual(y.dtype, .float64)
        let g = gradients(of: y, withRespectTo: [x])[0].value
        XCTAssertEqual(g.dtype, .float32)
        XCTAssertEqual(g.scalars, [2, 4, 6])
    }

    func testFloat32CrossEntropyOfAConfidentPredictionKeepsItsCurvature() {
        // p ≈ 1 − 1e-5: in Float32, 1 − p by cancellation would be off by ~1 %.
        let logits = Tensor(shape: [1, 3], scalars: [12, 0.5, 0], dtype: .float32)
        let v = Tensor(shape: [1, 3], scalars: [0, 1, 0], dtype: .float32)
        let loss: (Variable) -> Variable = { crossEntropy(logits: $0, labels: [0], reduction: .sum) }
        let h32 = hessianVectorProduct(of: loss, at: logits, along: v).product.scalars
        let h64 = hessianVectorProduct(of: loss, at: logits.converted(to: .float64), along: v.converted(to: .float64)).product.scalars
        XCTAssertEqual(h32[1], h64[1], accuracy: 1e-6 * Swift.abs(h64[1]))
    }
}
