import Autodiff
import NN
import Tensors
import TestSupport
import XCTest

/// A convolution followed by evaluation-mode batch normalisation is computed as one convolution
/// with scaled weights; the network's function and every derivative must be the unfolded ones.
final class NormalisedConvolutionTests: XCTestCase {
    /// conv(+bias)–bn–relu, a projecting residual block and a plain one, softplus in the last.
    private func network() throws -> Sequential {
        var conv = LayerSpec(type: "conv2d")
        (conv.in, conv.out, conv.kernel, conv.padding) = (2, 3, 3, 1)
        var bn = LayerSpec(type: "batchnorm2d")
        bn.features = 3
        var projecting = LayerSpec(type: "residual")
        (projecting.in, projecting.out, projecting.stride) = (3, 4, 2)
        var plain = LayerSpec(type: "residual")
        (plain.in, plain.out, plain.activation, plain.beta, plain.threshold) = (4, 4, "softplus", 3, 20)
        var head = LayerSpec(type: "linear")
        (head.in, head.out) = (64, 5)
        let model = try Sequential(Architecture(input: [2, 8, 8], layers: [conv, bn, LayerSpec(type: "relu"), projecting, plain,
                                                                             LayerSpec(type: "flatten"), head]),
                                   dtype: .float64, seed: 3)
        // Statistics and affine parameters far from the identity, so a wrong fold shows.
        for (index, (name, parameter)) in model.namedParameters.enumerated() where name.contains("bn") || name.contains("shortcut.1") || name.hasPrefix("1.") {
            let shape = parameter.value.shape
            let (low, high) = name.hasSuffix("running_var") ? (0.2, 3.0) : (-1.5, 1.5)
            parameter.value = Tensor(randomShape: shape, .uniform(low: low, high: high), dtype: .float64, seed: UInt64(100 + index))
        }
        return model
    }

    /// The same network evaluated layer by layer through each layer's own normalisation.
    private func unfolded(_ model: Sequential, _ x: Variable) -> Variable {
        model.layers.reduce(x) { input, layer in
            guard let block = layer as? ResidualBlock else { return layer(input) }
            let main = block.bn2(block.conv2(block.activation(block.bn1(block.conv1(input)))))
            let shortcut = block.projection.map { $0.norm($0.conv(input)) } ?? input
            return block.activation(main + shortcut)
        }
    }

    private func assertClose(_ a: Tensor, _ b: Tensor, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, what, file: file, line: line)
        assertMaxError(a.scalars, b.scalars, within: 1e-12, by: .relativeToLargest(floor: 1e-300), what, file: file, line: line)
    }

    func testEvaluationModeFoldKeepsTheFunctionAndItsDerivatives() throws {
        let model = try network()
        model.isTraining = false
        let x = Tensor(randomShape: [3, 2, 8, 8], .uniform(low: 0, high: 1), dtype: .float64, seed: 7)
        let v = Tensor(randomShape: [3, 2, 8, 8], .normal(mean: 0, standardDeviation: 1), dtype: .float64, seed: 8)
        let labels = [0, 3, 4]
        func loss(_ f: @escaping (Variable) -> Variable) -> (Variable) -> Variable {
            { crossEntropy(logits: f($0), labels: labels) }
        }
        let folded = hessianVectorProduct(of: loss { model($0) }, at: x, along: v)
        let reference = hessianVectorProduct(of: loss { self.unfolded(model, $0) }, at: x, along: v)
        assertClose(model(Variable(x)).value, unfolded(model, Variable(x)).value, "logits")
        assertClose(folded.gradient, reference.gradient, "input gradient")
        assertClose(folded.product, reference.product, "Hessian-vector product")
        // Gradients still reach the normalisation's and the convolution's parameters.
        let parameters = model.namedParameters.filter { $0.parameter.isTrainable }.map(\.parameter.variable)
        let ours = gradients(of: loss { model($0) }(Variable(x)), withRespectTo: parameters)
        let theirs = gradients(of: loss { self.unfolded(model, $0) }(Variable(x)), withRespectTo: parameters)
        for ((name, _), (a, b)) in zip(model.namedParameters.filter { $0.parameter.isTrainable }, zip(ours, theirs)) {
            assertClose(a.value, b.value, "∂loss/∂\(name)")
        }
    }

    func testTrainingModeNormalisesWithTheBatch() throws {
        let model = try network()
        model.isTraining = true
        let x = Tensor(randomShape: [4, 2, 8, 8], .uniform(low: 0, high: 1), dtype: .float64, seed: 9)
        let ours = model(Variable(x)).value  // moves the running statistics, which training mode ignores
        XCTAssertEqual(ours.scalars, unfolded(model, Variable(x)).value.scalars)
    }
}
