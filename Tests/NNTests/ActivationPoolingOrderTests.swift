import Autodiff
import NN
import Tensors
import TestSupport
import XCTest

/// Without a tape, `Sequential` max-pools before a ReLU or softplus that precedes the pool (the
/// activation then sees a quarter of the values): the logits must be those of the layers in order.
final class ActivationPoolingOrderTests: XCTestCase {
    private func logits(_ architecture: String, dtype: DType) throws -> (taped: [Double], untaped: [Double]) {
        let model = try Sequential(BuiltinArchitecture.named(architecture)!, dtype: dtype, seed: 5)
        let x = Tensor(randomShape: [6, 1, 28, 28], .uniform(low: 0, high: 1), dtype: dtype, seed: 11)
        // Layer by layer, with the tape on (as during an attack's gradient step).
        let taped = model.layers.reduce(Variable(x, requiresGradient: true)) { $1($0) }.value.scalars
        let untaped = GradientMode.withoutGradients { model(Variable(x)).value.scalars }
        return (taped, untaped)
    }

    func testReLUNetworkIsUnchangedBitForBit() throws {
        for dtype in [DType.float32, .float64] {
            let (taped, untaped) = try logits("cnn-small", dtype: dtype)
            XCTAssertEqual(taped, untaped, "\(dtype)")
        }
    }

    func testSoftplusNetworkAgreesToRounding() throws {
        let (taped64, untaped64) = try logits("cnn-small-softplus", dtype: .float64)
        assertMaxError(untaped64, taped64, within: 1e-13, by: .relative(floor: 1), "float64")
        let (taped32, untaped32) = try logits("cnn-small-softplus", dtype: .float32)
        assertMaxError(untaped32, taped32, within: 1e-5, by: .relative(floor: 1), "float32")
    }
}
