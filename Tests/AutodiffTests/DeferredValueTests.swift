import Autodiff
import Dispatch
import Tensors
import TestSupport
import XCTest

/// Values recorded with `recordDeferred` are computed when first read: a Hessian-vector product
/// skips the parts of the gradient it does not need, and gets the same numbers bit for bit.
final class DeferredValueTests: XCTestCase {
    private func random(_ shape: [Int], seed: UInt64, scale: Double = 0.5) -> Variable {
        Variable(Tensor(randomShape: shape, .normal(mean: 0, standardDeviation: scale), dtype: .float64, seed: seed),
                 requiresGradient: true)
    }

    /// conv–ReLU–max-pool, a residual 3×3 block, average pooling and a linear head: every op a
    /// ReLU network's backward pass goes through. Weights require gradients, as a model's do.
    private func reluNetwork() -> (Variable) -> Variable {
        let w1 = random([4, 2, 3, 3], seed: 1), b1 = random([4], seed: 2)
        let w2 = random([4, 4, 3, 3], seed: 3), w3 = random([3, 16], seed: 4), b3 = random([3], seed: 5)
        return { x in
            let h = maxPool2d(relu(conv2d(x, weight: w1, bias: b1, padding: 1)), kernel: 2)
            let block = relu(conv2d(h, weight: w2, padding: 1) + h)
            let pooled = flatten(avgPool2d(block, kernel: 2))
            return crossEntropy(logits: linear(pooled, weight: w3, bias: b3), labels: [0, 2, 1], reduction: .sum)
        }
    }

    private func softplusNetwork() -> (Variable) -> Variable {
        let w1 = random([6, 8], seed: 6), b1 = random([6], seed: 7), w2 = random([3, 6], seed: 8)
        return { x in
            let h = softplus(linear(flatten(x), weight: w1, bias: b1), beta: 2)
            return crossEntropy(logits: linear(h, weight: w2), labels: [1, 0, 2], reduction: .sum)
        }
    }

    private let imageInput = Tensor(randomShape: [3, 2, 8, 8], .uniform(low: 0, high: 1), dtype: .float64, seed: 10)
    private let imageDirection = Tensor(randomShape: [3, 2, 8, 8], .normal(mean: 0, standardDeviation: 1), dtype: .float64, seed: 11)
    private let flatInput = Tensor(randomShape: [3, 8], .uniform(low: 0, high: 1), dtype: .float64, seed: 12)
    private let flatDirection = Tensor(randomShape: [3, 8], .normal(mean: 0, standardDeviation: 1), dtype: .float64, seed: 13)

    /// H·v without reading the gradient leaves the input-gradient uncomputed, and equals bit for bit
    /// the product taken after the gradient was read; the gradient, read afterwards, equals the
    /// plain (graph-free) gradient bit for bit.
    private func checkProductSkipsTheGradient(_ loss: @escaping (Variable) -> Variable, _ x: Tensor, _ v: Tensor) {
        let lazy = HessianAtPoint(of: loss, at: x)
        let product = lazy.product(along: v)
        XCTAssertFalse(lazy.gradient.isComputed, "the product computed the input-gradient, which it does not need")

        let eager = HessianAtPoint(of: loss, at: x)
        let gradient = eager.gradient.value
        XCTAssertEqual(product.scalars, eager.product(along: v).scalars)
        XCTAssertEqual(lazy.gradient.value.scalars, gradient.scalars)
        XCTAssertEqual(gradient.scalars, valueAndGradient(of: loss, at: x).gradient.scalars)
        XCTAssertGreaterThan(product.scalars.map(Swift.abs).max() ?? 0, 0, "a vanishing product proves nothing")
    }

    func testReLUNetworkProductSkipsTheGradient() {
        checkProductSkipsTheGradient(reluNetwork(), imageInput, imageDirection)
    }

    func testSoftplusNetworkProductSkipsTheInputGradient() {
        checkProductSkipsTheGradient(softplusNetwork(), flatInput, flatDirection)
    }

    /// The product against central differences of the gradient (Float64, h = 1e-5): deferral
    /// changed what is computed, not the derivative.
    func testProductMatchesDifferencesOfTheGradient() {
        for (loss, x, v) in [(reluNetwork(), imageInput, imageDirection), (softplusNetwork(), flatInput, flatDirection)] {
            let product = HessianAtPoint(of: loss, at: x).product(along: v).scalars
            let h = 1e-5
            let plus = valueAndGradient(of: loss, at: x + v * h).gradient.scalars
            let minus = valueAndGradient(of: loss, at: x - v * h).gradient.scalars
            let differences = zip(plus, minus).map { ($0 - $1) / (2 * h) }
            let scale = differences.map(Swift.abs).max() ?? 0
            XCTAssertGreaterThan(scale, 0)
            assertMaxError(product, differences, within: 1e-6, by: .relativeToLargest(), "Hv against differences of the gradient")
        }
    }

    /// Threads that read one deferred value at once compute it once and all see the same tensor.
    func testConcurrentReadsAgree() {
        let point = HessianAtPoint(of: reluNetwork(), at: imageInput)
        XCTAssertFalse(point.gradient.isComputed)
        let reads = 8
        let results = UnsafeMutableBufferPointer<[Double]>.allocate(capacity: reads)
        results.initialize(repeating: [])
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: reads) { results[$0] = point.gradient.value.scalars }
        let expected = valueAndGradient(of: reluNetwork(), at: imageInput).gradient.scalars
        for result in results { XCTAssertEqual(result, expected) }
    }

    /// Outside gradient mode, or on constants, a deferred op computes at once (nothing to skip).
    func testConstantsAreComputedAtOnce() {
        let a = Variable(Tensor(randomShape: [2, 3], .normal(mean: 0, standardDeviation: 1), dtype: .float64, seed: 20))
        let b = random([3, 4], seed: 21)
        XCTAssertTrue(matmul(a, a, transposeB: true).isComputed)
        XCTAssertTrue(GradientMode.withoutGradients { matmul(a, b) }.isComputed)
        let recorded = matmul(a, b)
        XCTAssertFalse(recorded.isComputed)
        XCTAssertEqual(recorded.shape, [2, 4])
        XCTAssertEqual(recorded.value.scalars, Tensor.matmul(a.value, b.value).scalars)
        XCTAssertTrue(recorded.isComputed)
    }
}
