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
    let perSample = -gatherRows(logSoftmax(logits, axis: 1), classes: labels)
    switch reduction {
    case .sum: return sum(perSample)
    case .mean: return mean(perSample)
    case .none: return perSample
    }
}
