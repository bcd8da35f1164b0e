import Autodiff
import Classifiers
import Messages
import Spectra
import Tensors

/// Which part of the input Hessian of the loss, H = Jᵀ(diag p − ppᵀ)J + Σₖ gₖ ∇²zₖ (z the logits,
/// p = softmax(z), gₖ = ∂ℓ/∂zₖ, J = ∂z/∂x).
public enum HessianPart: String, Sendable, CaseIterable {
    /// H itself.
    case full
    /// Jᵀ(diag p − ppᵀ)J: large where the model is confident and its logits move fast.
    case gaussNewton = "gauss-newton"
    /// Σₖ gₖ ∇²zₖ: the curvature of the network's own functions.
    case residual
}

extension HessianPart {
    /// Refuses the one part an objective does not have: the margin is linear in the logits, so its
    /// Gauss–Newton part is zero.
    static func check(_ part: HessianPart, objective: HessianObjective) throws {
        if objective == .margin && part == .gaussNewton {
            throw SettingError("\(setting: "part") gauss-newton has no effect with \(setting: "objective") margin: the margin is linear in the logits, its Gauss–Newton part is zero")
        }
    }
}

/// Whose input Hessian.
public enum HessianObjective: String, Sendable, CaseIterable {
    /// The cross-entropy ℓ(f(x), y).
    case loss
    /// The decision margin z_y − z_j*, j* the strongest other class at x (held fixed): the
    /// curvature of the decision function itself. Linear in the logits, so all residual.
    case margin
}

/// One part of the exact input Hessians of a batch, for the loss or the margin, as one batched
/// operator (block diagonal: each sample's own part).
///
/// The forward pass and the first backward pass are built once; a product with the full Hessian is
/// one more backward pass, with the Gauss–Newton part two (Jv by differentiating Jᵀu with respect
/// to u, then Jᵀ(A·Jv)); the residual is their difference.
public final class InputHessianPart: BatchedLinearOperator {
    public let batchSize: Int
    public let dimension: Int
    public let sampleIndices: [Int]
    public let part: HessianPart
    public let objective: HessianObjective
    /// The logits at the batch.
    public let logits: Tensor
    /// Each sample's gradient of the objective with respect to its input.
    public let gradient: Tensor
    /// For the margin: each sample's strongest other class j*.
    public let runnerUp: [Int]
    private let point: HessianAtPoint
    private let outputs: Variable
    /// Jᵀu as a function of the constant-valued leaf u, for Jacobian-vector products.
    private let pullback: (seed: Variable, transposed: Variable)?
    private let probabilities: [Double]

    public init(model: Classifier, images: Tensor, labels: [Int], sampleIndices: [Int], part: HessianPart, objective: HessianObjective) throws {
        precondition(images.shape[0] == labels.count && labels.count == sampleIndices.count,
                     "InputHessianPart: \(labels.count) labels, \(sampleIndices.count) indices for \(Shape.describe(images.shape))")
        try HessianPart.check(part, objective: objective)
        batchSize = labels.count
        dimension = images.count / Swift.max(labels.count, 1)
        self.sampleIndices = sampleIndices
        (self.part, self.objective) = (part, objective)
        var z: Variable?
        var strongestOther: [Int] = []
        point = HessianAtPoint(of: { x in
            let output = model(x)
            z = output
            switch objective {
            case .loss:
                return crossEntropy(logits: output, labels: labels, reduction: .sum)
            case .margin:
                strongestOther = Self.strongestOtherClasses(output.value, labels: labels)
                return sum(gatherRows(output, classes: labels) - gatherRows(output, classes: strongestOther))
            }
        }, at: images, keepingGraph: part != .gaussNewton)
        outputs = z!
        logits = outputs.value
        gradient = point.gradient.value
        runnerUp = strongestOther
        probabilities = Self.softmax(logits)
        if objective == .loss && part != .full {
            let seed = Variable(Tensor(zeros: logits.shape, dtype: logits.dtype), requiresGradient: true)
            let transposed = gradients(of: sum(outputs * seed), withRespectTo: [point.input], createGraph: true)[0]
            pullback = (seed, transposed)
        } else {
            pullback = nil
        }
    }

    public func apply(_ vectors: [Double], into result: inout [Double]) throws {
        let v = Tensor(shape: point.input.shape, scalars: vectors, dtype: point.input.dtype)
        switch (part, objective) {
        case (.full, _), (.residual, .margin):
            result = point.product(along: v).scalars
        case (.gaussNewton, _):
            result = gaussNewtonProduct(v).scalars
        case (.residual, .loss):
            let full = point.product(along: v).scalars, gaussNewton = gaussNewtonProduct(v).scalars
            result = zip(full, gaussNewton).map { $0 - $1 }
        }
    }

    public func randomStream(forSample b: Int) -> UInt64 { UInt64(sampleIndices[b]) }

    /// Jᵀ A J v with A = diag p − ppᵀ, per sample.
    private func gaussNewtonProduct(_ v: Tensor) -> Tensor {
        let (seed, transposed) = pullback!
        let jv = gradients(of: sum(transposed * Variable(v)), withRespectTo: [seed])[0].value.scalars
        let classes = logits.shape[1]
        var w = [Double](repeating: 0, count: jv.count)
        for b in 0..<batchSize {
            let row = b * classes
            let mean = (0..<classes).reduce(0) { $0 + probabilities[row + $1] * jv[row + $1] }
            for c in 0..<classes { w[row + c] = probabilities[row + c] * (jv[row + c] - mean) }
        }
        let weights = Tensor(shape: logits.shape, scalars: w, dtype: logits.dtype)
        return gradients(of: sum(outputs * Variable(weights)), withRespectTo: [point.input])[0].value
    }

    /// Row-wise softmax in Float64.
    static func softmax(_ logits: Tensor) -> [Double] {
        let classes = logits.shape[1], values = logits.scalars
        var p = [Double](repeating: 0, count: values.count)
        for row in stride(from: 0, to: values.count, by: classes) {
            let top = values[row..<(row + classes)].max()!
            var total = 0.0
            for c in 0..<classes { p[row + c] = Double.exp(values[row + c] - top); total += p[row + c] }
            for c in 0..<classes { p[row + c] /= total }
        }
        return p
    }

    /// Per row, the largest logit other than the label's.
    static func strongestOtherClasses(_ logits: Tensor, labels: [Int]) -> [Int] {
        let classes = logits.shape[1], values = logits.scalars
        return labels.enumerated().map { b, label in
            (0..<classes).filter { $0 != label }.max { values[b * classes + $0] < values[b * classes + $1] }!
        }
    }
}
