import Tensors

/// op(a)·op(b) for 2-D variables.
public func matmul(_ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false) -> Variable {
    let (m, _, n) = Tensor.matmulExtents(a.shape, a.dtype, b.shape, b.dtype, transposeA: transposeA, transposeB: transposeB)
    return Variable.recordDeferred("matmul", shape: [m, n], dtype: a.dtype, inputs: [a, b], compute: {
        Tensor.matmul(a.value, b.value, transposeA: transposeA, transposeB: transposeB)
    }, rule: productRule(a, b, transposeA, transposeB) { matmul($0, $1, transposeA: $2, transposeB: $3) })
}

/// op(a[i])·op(b[i]) over the leading axes, which a and b share: [..., M, K] × [..., K, N]
/// (attention's Q·Kᵀ and softmax·V). Differentiated like `matmul`, product by product.
public func batchedMatmul(_ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false) -> Variable {
    let (_, m, _, n) = Tensor.batchedMatmulExtents(a.shape, a.dtype, b.shape, b.dtype, transposeA: transposeA, transposeB: transposeB)
    return Variable.recordDeferred("batched_matmul", shape: Array(a.shape.dropLast(2)) + [m, n], dtype: a.dtype, inputs: [a, b], compute: {
        Tensor.batchedMatmul(a.value, b.value, transposeA: transposeA, transposeB: transposeB)
    }, rule: productRule(a, b, transposeA, transposeB) { batchedMatmul($0, $1, transposeA: $2, transposeB: $3) })
}

/// The derivative of C = op(A)·op(B) as products with transpose flags, so no transposed copies
/// are made at any derivative order; `product(x, y, tx, ty)` is op(x)·op(y).
private func productRule(
    _ a: Variable, _ b: Variable, _ transposeA: Bool, _ transposeB: Bool,
    _ product: @escaping (Variable, Variable, Bool, Bool) -> Variable
) -> BackwardRule {
    { g, _, needs in
        let da: Variable?, db: Variable?
        switch (transposeA, transposeB) {
        case (false, false):  // C = A·B
            da = needs[0] ? product(g, b, false, true) : nil
            db = needs[1] ? product(a, g, true, false) : nil
        case (false, true):  // C = A·Bᵀ
            da = needs[0] ? product(g, b, false, false) : nil
            db = needs[1] ? product(g, a, true, false) : nil
        case (true, false):  // C = Aᵀ·B
            da = needs[0] ? product(b, g, false, true) : nil
            db = needs[1] ? product(a, g, false, false) : nil
        case (true, true):  // C = Aᵀ·Bᵀ
            da = needs[0] ? product(b, g, true, true) : nil
            db = needs[1] ? product(g, a, true, true) : nil
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
