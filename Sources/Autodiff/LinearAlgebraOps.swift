import Tensors

/// op(a)·op(b) for 2-D variables. The rules are matmuls with transpose flags, so no transposed
/// copies are made at any derivative order.
public func matmul(_ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false) -> Variable {
    let (m, _, n) = Tensor.matmulExtents(a.shape, a.dtype, b.shape, b.dtype, transposeA: transposeA, transposeB: transposeB)
    return Variable.recordDeferred("matmul", shape: [m, n], dtype: a.dtype, inputs: [a, b], compute: {
        Tensor.matmul(a.value, b.value, transposeA: transposeA, transposeB: transposeB)
    }) { g, _, needs in
        let da: Variable?, db: Variable?
        switch (transposeA, transposeB) {
        case (false, false):  // C = A·B
            da = needs[0] ? matmul(g, b, transposeB: true) : nil
            db = needs[1] ? matmul(a, g, transposeA: true) : nil
        case (false, true):  // C = A·Bᵀ
            da = needs[0] ? matmul(g, b) : nil
            db = needs[1] ? matmul(g, a, transposeA: true) : nil
        case (true, false):  // C = Aᵀ·B
            da = needs[0] ? matmul(b, g, transposeB: true) : nil
            db = needs[1] ? matmul(a, g) : nil
        case (true, true):  // C = Aᵀ·Bᵀ
            da = needs[0] ? matmul(b, g, transposeA: true, transposeB: true) : nil
            db = needs[1] ? matmul(g, a, transposeA: true, transposeB: true) : nil
        }
        return [da, db]
    }
}

/// x·Wᵀ + b with PyTorch's layout: x [N, in], W [out, in], b [out].
public func linear(_ x: Variable, weight: Variable, bias: Variable? = nil) -> Variable {
    precondition(x.shape.count == 2 && weight.shape.count == 2 && x.shape[1] == weight.shape[1],
                 "linear: input \(Shape.describe(x.shape)) does not fit weight \(Shape.describe(weight.shape)) ([out, in])")
    let product = matmul(x, weight, transposeB: true)
    guard let bias else { return product }
    precondition(bias.shape == [weight.shape[0]],
                 "linear: bias \(Shape.describe(bias.shape)) should be [\(weight.shape[0])]")
    return product + bias
}

/// The transpose of a 2-D variable.
public func transpose(_ x: Variable) -> Variable {
    Variable.record("transpose", x.value.transposed(), inputs: [x]) { g, _, _ in [transpose(g)] }
}
