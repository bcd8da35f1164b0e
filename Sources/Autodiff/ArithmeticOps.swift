import Tensors

// MARK: - Broadcasting

/// Expands `x` to `shape` (NumPy rules). Derivative: sum back to `x`'s shape.
public func broadcast(_ x: Variable, to shape: [Int]) -> Variable {
    if x.shape == shape { return x }
    _ = Shape.broadcast(x.shape, shape)  // checks compatibility now, not when the value is read
    return Variable.recordDeferred("broadcast", shape: shape, dtype: x.dtype, inputs: [x], compute: { x.value.broadcast(to: shape) }) { g, _, _ in
        [sum(g, toShape: x.shape)]
    }
}

/// Sums `x` down to `shape`, the adjoint of broadcasting. Derivative: broadcast back.
public func sum(_ x: Variable, toShape shape: [Int]) -> Variable {
    if x.shape == shape { return x }
    return Variable.recordDeferred("sumTo", shape: shape, dtype: x.dtype, inputs: [x], compute: { x.value.sum(toShape: shape) }) { g, _, _ in
        [broadcast(g, to: x.shape)]
    }
}

// MARK: - Binary arithmetic

/// A broadcasting element-wise op of two variables, its value deferred.
private func binary(_ op: String, _ a: Variable, _ b: Variable, _ kernel: @escaping (Tensor, Tensor) -> Tensor,
                    rule: @escaping BackwardRule) -> Variable {
    precondition(a.dtype == b.dtype, "\(op): dtypes \(a.dtype) and \(b.dtype) differ")
    return Variable.recordDeferred(op, shape: Shape.broadcast(a.shape, b.shape), dtype: a.dtype, inputs: [a, b],
                                   compute: { kernel(a.value, b.value) }, rule: rule)
}

extension Variable {
    public static func + (a: Variable, b: Variable) -> Variable {
        binary("add", a, b, { $0 + $1 }) { g, _, needs in
            [needs[0] ? sum(g, toShape: a.shape) : nil, needs[1] ? sum(g, toShape: b.shape) : nil]
        }
    }

    public static func - (a: Variable, b: Variable) -> Variable {
        binary("sub", a, b, { $0 - $1 }) { g, _, needs in
            [needs[0] ? sum(g, toShape: a.shape) : nil, needs[1] ? sum(-g, toShape: b.shape) : nil]
        }
    }

    public static func * (a: Variable, b: Variable) -> Variable {
        binary("mul", a, b, { $0 * $1 }) { g, _, needs in
            [needs[0] ? sum(g * b, toShape: a.shape) : nil, needs[1] ? sum(g * a, toShape: b.shape) : nil]
        }
    }

    public static func / (a: Variable, b: Variable) -> Variable {
        binary("div", a, b, { $0 / $1 }) { g, y, needs in
            // ∂(a/b)/∂b = −(a/b)/b, written with the output to save a multiply.
            [needs[0] ? sum(g / b, toShape: a.shape) : nil, needs[1] ? sum(-(g * y) / b, toShape: b.shape) : nil]
        }
    }

    public static prefix func - (x: Variable) -> Variable { affine(x, scale: -1, shift: 0) }

    // MARK: Scalar arithmetic

    public static func + (x: Variable, s: Double) -> Variable { affine(x, scale: 1, shift: s) }
    public static func + (s: Double, x: Variable) -> Variable { affine(x, scale: 1, shift: s) }
    public static func - (x: Variable, s: Double) -> Variable { affine(x, scale: 1, shift: -s) }
    public static func - (s: Double, x: Variable) -> Variable { affine(x, scale: -1, shift: s) }
    public static func * (x: Variable, s: Double) -> Variable { affine(x, scale: s, shift: 0) }
    public static func * (s: Double, x: Variable) -> Variable { affine(x, scale: s, shift: 0) }
    public static func / (x: Variable, s: Double) -> Variable { affine(x, scale: 1 / s, shift: 0) }

    /// s / x.
    public static func / (s: Double, x: Variable) -> Variable {
        Variable.record("rdiv", x.value.map(.dividing(s)), inputs: [x]) { g, y, _ in [-(g * y) / x] }
    }
}

/// scale·x + shift.
public func affine(_ x: Variable, scale: Double, shift: Double) -> Variable {
    Variable.recordDeferred("affine", shape: x.shape, dtype: x.dtype, inputs: [x],
                            compute: { x.value.map(.affine(scale: scale, shift: shift)) }) { g, _, _ in
        [scale == 1 ? g : affine(g, scale: scale, shift: 0)]
    }
}

/// x^p for a constant exponent p.
public func pow(_ x: Variable, _ p: Double) -> Variable {
    Variable.record("pow", x.value.map(.power(p)), inputs: [x]) { g, _, _ in
        [p == 0 ? nil : g * (p == 1 ? Variable(Tensor(repeating: 1, shape: x.shape, dtype: x.dtype)) : pow(x, p - 1) * p)]
    }
}

/// Element-wise product with a tensor that does not take part in differentiation (a mask).
public func multiply(_ x: Variable, constant mask: Tensor) -> Variable {
    x * Variable(mask)
}
