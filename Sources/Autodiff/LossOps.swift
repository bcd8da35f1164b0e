import Tensors

/// How per-sample losses are combined.
public enum Reduction: String, Sendable {
    case sum, mean, none
}

/// Cross-entropy of [N, C] logits against integer labels (PyTorch's `F.cross_entropy`).
/// With `.sum`, the input Hessian of a batch is block diagonal: one block per sample.
public func crossEntropy(logits: Variable, labels: [Int], reduction: Reduction = .mean) -> Variable {
    precondition(logits.shape.count == 2 && logits.shape[0] == labels.count,
                 "crossEntropy: \(labels.count) labels for logits \(Shape.describe(logits.shape))")
    // The loss head runs in Float64: for confident predictions ∇ and ∇² hold 1 − p, which Float32
    // would compute by cancellation (a few per cent error on small curvatures). It costs nothing:
    // the logits are N × C.
    let wide = convert(logits, to: .float64)
    let perSample = -gatherRows(logSoftmax(wide, axis: 1), classes: labels)
    let reduced: Variable
    switch reduction {
    case .sum: reduced = sum(perSample)
    case .mean: reduced = mean(perSample)
    case .none: reduced = perSample
    }
    return convert(reduced, to: logits.dtype)
}

/// The same values in another element type; gradients are converted back.
public func convert(_ x: Variable, to dtype: DType) -> Variable {
    if x.dtype == dtype { return x }
    return Variable.record("convert", x.value.converted(to: dtype), inputs: [x]) { g, _, _ in [convert(g, to: x.dtype)] }
}
