import Classifiers
import Spectra
import Tensors

/// Which input Hessian.
public enum HessianKind: String, Sendable, CaseIterable {
    /// ∇²ₓℓ by double backprop.
    case exact
    /// Central differences of gradients at scale h, symmetrised.
    case finite
}

extension HessianKind {
    /// The batch's input-Hessian operator, the logits at the batch and each sample's gradient of the
    /// objective (the loss or the margin).
    ///
    /// - Parameters:
    ///   - part: which part of the loss Hessian (exact Hessians only; the finite one is the full loss Hessian).
    ///   - objective: the loss, or the decision margin.
    public func makeOperator(model: @escaping Classifier, batch: Batch, h: Double, part: HessianPart = .full,
                             objective: HessianObjective = .loss) throws -> (operator: any BatchedLinearOperator, logits: Tensor, gradient: Tensor) {
        switch self {
        case .exact where part == .full && objective == .loss:
            let exact = ExactInputHessian(model: model, images: batch.images, labels: batch.labels, sampleIndices: batch.indices)
            return (exact, exact.logits, exact.gradient)
        case .exact:
            let partial = try InputHessianPart(model: model, images: batch.images, labels: batch.labels, sampleIndices: batch.indices,
                                               part: part, objective: objective)
            return (partial, partial.logits, partial.gradient)
        case .finite:
            guard part == .full && objective == .loss else {
                throw RunError("--hessian finite is the full loss Hessian at scale h; --part and --objective need --hessian exact")
            }
            let finite = try FiniteScaleInputHessian.build(model: model, images: batch.images, labels: batch.labels,
                                                           sampleIndices: batch.indices, h: h)
            let (_, logits, gradient) = inputGradient(model, batch.images, batch.labels)
            return (finite.operator, logits, gradient)
        }
    }
}
