import Classifiers
import Messages
import Spectra
import Tensors

/// Which input Hessian.
public enum HessianKind: String, Sendable, CaseIterable {
    /// ∇²ₓℓ by double backprop.
    case exact
    /// Central differences of gradients at scale h, symmetrised.
    case finite
}

/// What every per-sample job asks of the input Hessian at a batch: which one, the seed of the
/// vectors it is applied to, and whether each sample's gradient norm joins its rows. Its defaults,
/// its rules and the operator it names are written here once, for ``SpectrumSettings``,
/// ``DensitySettings`` and ``TraceSettings`` alike.
public struct InputHessianSettings: Sendable, Equatable {
    public var hessian: HessianKind = .exact
    /// The finite Hessian's per-coordinate step.
    public var h = 0.01
    /// Which part of the loss Hessian (exact Hessians only; the finite one is the full loss Hessian).
    public var part: HessianPart = .full
    /// The loss, or the decision margin.
    public var objective: HessianObjective = .loss
    /// Seeds start and probe vectors (each sample draws from its own stream).
    public var seed: UInt64 = 0
    /// Add each sample's gradient norm to its rows.
    public var gradientNorm = false

    public init() {}

    /// Refuses a Hessian that does not exist: a step that is not positive, a part or an objective
    /// other than the finite Hessian's own (the full loss Hessian), the margin's Gauss–Newton part.
    public func validate() throws {
        if hessian == .finite && !(h > 0) { throw SettingError("\(setting: "h") must be positive, got \(h)") }
        if hessian == .finite && part != .full {
            throw SettingError("\(setting: "part") \(part.rawValue) needs \(setting: "hessian") exact (the finite Hessian is the full loss Hessian)")
        }
        if hessian == .finite && objective != .loss {
            throw SettingError("\(setting: "objective") \(objective.rawValue) needs \(setting: "hessian") exact (the finite Hessian is the loss's)")
        }
        try HessianPart.check(part, objective: objective)
    }

    /// The batch's input-Hessian operator, the logits at the batch and each sample's gradient of the
    /// objective (the loss or the margin).
    public func makeOperator(model: @escaping Classifier, batch: Batch) throws -> (operator: any BatchedLinearOperator, logits: Tensor, gradient: Tensor) {
        try validate()
        switch hessian {
        case .exact where part == .full && objective == .loss:
            let exact = ExactInputHessian(model: model, images: batch.images, labels: batch.labels, sampleIndices: batch.indices)
            return (exact, exact.logits, exact.gradient)
        case .exact:
            let partial = try InputHessianPart(model: model, images: batch.images, labels: batch.labels, sampleIndices: batch.indices,
                                               part: part, objective: objective)
            return (partial, partial.logits, partial.gradient)
        case .finite:
            let finite = try FiniteScaleInputHessian.build(model: model, images: batch.images, labels: batch.labels,
                                                           sampleIndices: batch.indices, h: h)
            let (_, logits, gradient) = inputGradient(model, batch.images, batch.labels)
            return (finite.operator, logits, gradient)
        }
    }
}
