import Foundation
import Tensors

/// Element-wise functions. Each rule is written in differentiable ops; masks of ReLU, clamp
/// and the softplus threshold are constants, as in PyTorch.

public func exp(_ x: Variable) -> Variable {
    Variable.record("exp", x.value.map(.exp), inputs: [x]) { g, y, _ in [g * y] }
}

public func log(_ x: Variable) -> Variable {
    Variable.record("log", x.value.map(.log), inputs: [x]) { g, _, _ in [g / x] }
}

public func sqrt(_ x: Variable) -> Variable {
    Variable.record("sqrt", x.value.map(.sqrt), inputs: [x]) { g, y, _ in [(g / y) * 0.5] }
}

public func square(_ x: Variable) -> Variable {
    Variable.record("square", x.value.map(.square), inputs: [x]) { g, _, _ in [g * x * 2] }
}

public func abs(_ x: Variable) -> Variable {
    Variable.record("abs", x.value.map(.abs), inputs: [x]) { g, _, _ in [multiply(g, constant: x.value.map(.sign))] }
}

/// The sign (−1, 0, 1); its derivative is zero.
public func sign(_ x: Variable) -> Variable {
    Variable.record("sign", x.value.map(.sign), inputs: [x]) { _, _, _ in [nil] }
}

public func tanh(_ x: Variable) -> Variable {
    Variable.record("tanh", x.value.map(.tanh), inputs: [x]) { g, y, _ in [g * (1 - square(y))] }
}

public func sigmoid(_ x: Variable) -> Variable {
    Variable.record("sigmoid", x.value.map(.sigmoid), inputs: [x]) { g, y, _ in [timesLogisticSlope(g, y, scale: 1)] }
}

/// g·(y(1 − y))·scale for a logistic output y: in differentiable ops when the pass is recorded,
/// else in one sweep with the same roundings (an HVP's last backward, training's and attacks'
/// record nothing).
private func timesLogisticSlope(_ g: Variable, _ y: Variable, scale: Double) -> Variable {
    guard !GradientMode.isEnabled else { return scale == 1 ? g * (y * (1 - y)) : g * (y * (1 - y)) * scale }
    return Variable(g.value.combined(with: y.value, .timesLogisticSlope(scale: scale)))
}

public func erf(_ x: Variable) -> Variable {
    Variable.record("erf", x.value.map(.erf), inputs: [x]) { g, _, _ in
        [g * exp(-square(x)) * (2 / Double.pi.squareRoot())]
    }
}

public func relu(_ x: Variable) -> Variable {
    Variable.record("relu", x.value.map(.relu), inputs: [x]) { g, _, _ in [passWherePositive(g, x.value)] }
}

/// g where `gate` > 0, else 0; `gate` is a constant. ReLU's derivative as one linear op, whose own
/// derivative is the same gate.
public func passWherePositive(_ g: Variable, _ gate: Tensor) -> Variable {
    Variable.recordDeferred("pass_where_positive", shape: g.shape, dtype: g.dtype, inputs: [g],
                            compute: { g.value.combined(with: gate, .passWherePositive) }) { h, _, _ in
        [passWherePositive(h, gate)]
    }
}

/// (1/β)·log(1 + exp(βx)), computed without overflow; linear where βx > `threshold`
/// (PyTorch's `nn.Softplus(beta, threshold=20)`).
public func softplus(_ x: Variable, beta: Double = 1, threshold: Double = 20) -> Variable {
    precondition(beta > 0, "softplus: beta \(beta) must be positive")
    return Variable.record("softplus", x.value.map(.softplus(beta: beta, threshold: threshold)), inputs: [x]) { g, _, _ in
        [g * softplusSlope(x, beta: beta, threshold: threshold)]
    }
}

/// Softplus's derivative σ(βx), exactly 1 where βx > `threshold`. Its own derivative β·y(1 − y) is
/// written with the output, so it vanishes on the linear part as PyTorch's does.
public func softplusSlope(_ x: Variable, beta: Double, threshold: Double) -> Variable {
    Variable.record("softplus_slope", x.value.map(.softplusSlope(beta: beta, threshold: threshold)), inputs: [x]) { g, y, _ in
        [timesLogisticSlope(g, y, scale: beta)]
    }
}

/// x for x > 0, α(eˣ − 1) otherwise.
public func elu(_ x: Variable, alpha: Double = 1) -> Variable {
    Variable.record("elu", x.value.map(.elu(alpha: alpha)), inputs: [x]) { g, y, _ in
        // Slope 1 above zero, y + α below: the output carries the curvature.
        let positive = x.value.map(.greaterThan(0))
        let negative = positive.map(.affine(scale: -1, shift: 1))
        return [g * (multiply(y + alpha, constant: negative) + Variable(positive))]
    }
}

/// The two GELU forms of PyTorch's `approximate` argument.
public enum GELUApproximation: String, Sendable {
    case none, tanh
}

/// x·Φ(x), or its tanh approximation.
public func gelu(_ x: Variable, approximation: GELUApproximation = .none) -> Variable {
    switch approximation {
    case .none:
        return Variable.record("gelu", x.value.map(.geluErf), inputs: [x]) { g, _, _ in
            // Φ(x) + x·φ(x)
            let cdf = (erf(x * (1 / 2.0.squareRoot())) + 1) * 0.5
            let pdf = exp(square(x) * -0.5) * (1 / (2 * Double.pi).squareRoot())
            return [g * (cdf + x * pdf)]
        }
    case .tanh:
        return Variable.record("gelu_tanh", x.value.map(.geluTanh), inputs: [x]) { g, _, _ in
            let c = (2 / Double.pi).squareRoot(), k = 0.044715
            let t = tanh((x + pow(x, 3) * k) * c)
            let inner = (square(x) * (3 * k) + 1) * c
            return [g * ((t + 1) * 0.5 + x * (1 - square(t)) * inner * 0.5)]
        }
    }
}

/// Limits x to [min, max]; the derivative passes where min ≤ x ≤ max.
public func clamp(_ x: Variable, min lower: Double = -.infinity, max upper: Double = .infinity) -> Variable {
    Variable.record("clamp", x.value.map(.clamp(min: lower, max: upper)), inputs: [x]) { g, _, _ in
        [multiply(g, constant: x.value.map(.inRange(min: lower, max: upper)))]
    }
}
