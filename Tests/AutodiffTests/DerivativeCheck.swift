import Autodiff
import Randomness
import Tensors
import TestSupport
import XCTest

/// PyTorch-style gradcheck and gradgradcheck in Float64 with central differences.
///
/// A non-scalar op f is checked through s = Σ w ⊙ f(x) with a random w. The second-order check
/// treats w as a variable too, so the HVP covers ∂²s/∂x² and the mixed ∂²s/∂x∂w: the backward
/// rule must be differentiable in its inputs and in the incoming gradient.
struct DerivativeCheck {
    var epsilon = 1e-6
    var absoluteTolerance = 1e-5
    var relativeTolerance = 1e-3
    var seed: UInt64 = 7

    /// Checks first and second derivatives of `f` at `inputs`.
    func check(
        _ name: String, _ inputs: [Tensor], file: StaticString = #filePath, line: UInt = #line,
        _ f: @escaping ([Variable]) -> Variable
    ) {
        let probe = f(inputs.map { Variable($0) })
        var generator = SeededGenerator(seed: seed)
        let weight = Tensor(randomShape: probe.shape, .normal(mean: 0, standardDeviation: 1), dtype: .float64, generator: &generator)
        let points = inputs + [weight]
        let scalar: ([Variable]) -> Variable = { vars in sum(f(Array(vars.dropLast())) * vars.last!) }

        // First order: every partial derivative against a central difference.
        let analytic = engineGradient(scalar, points)
        for i in inputs.indices {
            let numeric = numericGradient(of: { scalar($0.map { Variable($0) }).value.item }, points, input: i)
            compare("\(name): ∂/∂input\(i)", analytic[i].scalars, numeric.scalars, file: file, line: line)
        }

        // Second order: H·v against central differences of the engine's gradients.
        let directions = points.map { Tensor(randomShape: $0.shape, .normal(mean: 0, standardDeviation: 1), dtype: .float64, generator: &generator) }
        let variables = points.map { Variable($0, requiresGradient: true) }
        let firstOrder = gradients(of: scalar(variables), withRespectTo: variables, createGraph: true)
        var directional = sum(firstOrder[0] * Variable(directions[0]))
        for k in 1..<points.count { directional = directional + sum(firstOrder[k] * Variable(directions[k])) }
        let hvp = gradients(of: directional, withRespectTo: variables)
        let plus = engineGradient(scalar, zip(points, directions).map { $0 + $1 * epsilon })
        let minus = engineGradient(scalar, zip(points, directions).map { $0 - $1 * epsilon })
        for k in points.indices {
            let numeric = ((plus[k] - minus[k]) * (1 / (2 * epsilon))).scalars
            let label = k == inputs.count ? "incoming gradient" : "input\(k)"
            compare("\(name): (H·v) for \(label)", hvp[k].value.scalars, numeric, file: file, line: line)
        }
    }

    private func engineGradient(_ scalar: ([Variable]) -> Variable, _ points: [Tensor]) -> [Tensor] {
        let variables = points.map { Variable($0, requiresGradient: true) }
        return gradients(of: scalar(variables), withRespectTo: variables).map(\.value)
    }

    private func numericGradient(of value: ([Tensor]) -> Double, _ points: [Tensor], input: Int) -> Tensor {
        let base = points[input].scalars
        var result = [Double](repeating: 0, count: base.count)
        GradientMode.withoutGradients {
            for j in base.indices {
                var shifted = points
                var up = base, down = base
                up[j] += epsilon
                down[j] -= epsilon
                shifted[input] = Tensor(shape: points[input].shape, scalars: up, dtype: .float64)
                let fUp = value(shifted)
                shifted[input] = Tensor(shape: points[input].shape, scalars: down, dtype: .float64)
                result[j] = (fUp - value(shifted)) / (2 * epsilon)
            }
        }
        return Tensor(shape: points[input].shape, scalars: result, dtype: .float64)
    }

    private func compare(_ what: String, _ actual: [Double], _ expected: [Double], file: StaticString, line: UInt) {
        assertMaxError(actual, expected, within: 1, by: .allClose(absolute: absoluteTolerance, relative: relativeTolerance),
                       "\(what) against central differences", file: file, line: line)
    }
}

/// Random Float64 test inputs.
func randomTensor(_ shape: [Int], seed: UInt64, _ distribution: RandomDistribution = .normal(mean: 0, standardDeviation: 1)) -> Tensor {
    Tensor(randomShape: shape, distribution, dtype: .float64, seed: seed)
}

/// Values with |x| ≥ margin, so ReLU-like kinks are never within a finite-difference step.
func awayFromZero(_ shape: [Int], seed: UInt64, margin: Double = 0.1) -> Tensor {
    let raw = randomTensor(shape, seed: seed).scalars
    return Tensor(shape: shape, scalars: raw.map { $0 >= 0 ? $0 + margin : $0 - margin }, dtype: .float64)
}
