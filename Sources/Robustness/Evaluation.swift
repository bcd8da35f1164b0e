import Autodiff
import Classifiers
import Datasets
import Randomness
import Tensors

/// Accuracy of `model` on `range` of `data`, clean or under an attack.
///
/// Under an attack a sample counts as correct only if the model classifies both its clean and
/// its adversarial image correctly: a misclassified sample stays wrong whatever the attack returns.
public func accuracy(
    _ model: Classifier, on data: LabeledImages, range: Range<Int>, batchSize: Int = 500, dtype: DType = .float32,
    attack: ((Batch) -> Tensor)? = nil
) -> Double {
    accuracy(model, batches: data.batches(in: range, size: batchSize, dtype: dtype), count: range.count, attack: attack)
}

/// Accuracy of `model` on the images of `data` at `indices` (batched in that order), clean or under an attack.
public func accuracy(
    _ model: Classifier, on data: LabeledImages, indices: [Int], batchSize: Int = 500, dtype: DType = .float32,
    attack: ((Batch) -> Tensor)? = nil
) -> Double {
    let batches = BatchRanges(count: indices.count, batchSize: batchSize, dropLast: false).lazy.map {
        data.batch(at: Array(indices[$0]), dtype: dtype)
    }
    return accuracy(model, batches: batches, count: indices.count, attack: attack)
}

private func accuracy<Batches: Sequence>(_ model: Classifier, batches: Batches, count: Int, attack: ((Batch) -> Tensor)?) -> Double
where Batches.Element == Batch {
    var correct = 0
    for batch in batches {
        let clean = predictions(evaluate(model, batch.images))
        let right = batch.labels.indices.filter { clean[$0] == batch.labels[$0] }
        guard let attack, !right.isEmpty else {
            correct += right.count
            continue
        }
        // Only the correctly classified samples are attacked.
        let attacked = right.count == batch.count ? batch : batch.rows(right)
        correct += zip(predictions(evaluate(model, attack(attacked))), attacked.labels).filter { $0 == $1 }.count
    }
    return count == 0 ? .nan : Double(correct) / Double(count)
}

extension TrainingConfiguration {
    /// The test images of the per-epoch robust accuracy: a class-stratified subset of
    /// `robustEvaluationSamples` (at most all) images drawn with the run's seed, or nil when the
    /// run measures no robust accuracy (ε = 0 or no samples).
    public func robustEvaluationSubset(of test: LabeledImages) -> StratifiedSubset? {
        let count = Swift.min(robustEvaluationSamples, test.count)
        guard robust.epsilon > 0, count > 0 else { return nil }
        return StratifiedSubset(labels: test.labels, classCount: test.classCount, count: count, seed: seed)
    }
}

/// A named attack at one ε, as the CLI's `--attack` names them.
public enum AttackKind: String, Sendable, CaseIterable {
    case none, fgsm
    case pgdLinf = "pgd-linf"
    case pgdL2 = "pgd-l2"
    case apgdCELinf = "apgd-ce-linf"
    case apgdCEL2 = "apgd-ce-l2"
    case apgdTLinf = "apgd-t-linf"
    case apgdTL2 = "apgd-t-l2"
    case fabTLinf = "fab-t-linf"
    case fabTL2 = "fab-t-l2"
    case squareLinf = "square-linf"
    case squareL2 = "square-l2"
    case autoattackLinf = "autoattack-linf"
    case autoattackL2 = "autoattack-l2"

    /// The threat model's norm (fgsm is ℓ∞).
    public var norm: ThreatNorm {
        switch self {
        case .pgdL2, .apgdCEL2, .apgdTL2, .fabTL2, .squareL2, .autoattackL2: return .l2
        default: return .linf
        }
    }

    /// The AutoAttack attacks this kind runs (empty for none, fgsm and pgd).
    public var autoAttackComponents: [AutoAttack.Component] {
        switch self {
        case .none, .fgsm, .pgdLinf, .pgdL2: return []
        case .apgdCELinf, .apgdCEL2: return [.apgdCE]
        case .apgdTLinf, .apgdTL2: return [.apgdT]
        case .fabTLinf, .fabTL2: return [.fabT]
        case .squareLinf, .squareL2: return [.square]
        case .autoattackLinf, .autoattackL2: return AutoAttack.Component.allCases
        }
    }

    /// Whether `steps` and `restarts` (PGD's settings) apply.
    public var isPGD: Bool { self == .pgdLinf || self == .pgdL2 }

    /// The adversarial images for a batch. Sample `i` (index `batch.indices[i]` in its split) draws
    /// its random starts from its own stream, `Xoshiro256StarStar(seed: seed, stream: index)`, so
    /// its result does not depend on the batch size or on the other samples of its batch.
    public func images(_ model: Classifier, _ batch: Batch, epsilon: Double, steps: Int, restarts: Int, seed: UInt64,
                       iterations: Int = 100, queries: Int = 5000) -> Tensor {
        outcome(model, batch, epsilon: epsilon, steps: steps, restarts: restarts, seed: seed, iterations: iterations, queries: queries).images
    }

    /// What one attack did to a batch: the images, the attack that broke each sample (this kind's
    /// name, or AutoAttack's component; nil when the sample was not broken) and, for the AutoAttack
    /// family, the masking checks.
    public struct Outcome {
        public let images: Tensor
        public let brokenBy: [String?]
        public let masking: MaskingReport?
    }

    /// As `images(…)`, with which attack broke each sample. The AutoAttack family (`iterations` for
    /// APGD and FAB, `queries` for Square) follows AutoAttack: only correctly classified samples are
    /// attacked, and an unbroken sample keeps its clean image.
    public func outcome(_ model: Classifier, _ batch: Batch, epsilon: Double, steps: Int, restarts: Int, seed: UInt64,
                        iterations: Int = 100, queries: Int = 5000) -> Outcome {
        let adversarial: Tensor
        switch self {
        case .none: return Outcome(images: batch.images, brokenBy: [String?](repeating: nil, count: batch.count), masking: nil)
        case .fgsm: adversarial = Robustness.fgsm(model, batch.images, batch.labels, epsilon: epsilon)
        case .pgdLinf, .pgdL2:
            var generators = batch.indices.map { Xoshiro256StarStar(seed: seed, stream: UInt64(bitPattern: Int64($0))) }
            let attack = PGDAttack(norm: norm, epsilon: epsilon, steps: steps, restarts: restarts)
            adversarial = attack.perturb(model, batch.images, batch.labels, generators: &generators)
        default:
            let ensemble = AutoAttack(norm: norm, epsilon: epsilon, iterations: iterations, queries: queries, components: autoAttackComponents)
            let result = ensemble.perturb(model, batch, seed: seed)
            return Outcome(images: result.images, brokenBy: result.brokenBy.map { $0?.rawValue }, masking: result.masking)
        }
        let before = predictions(evaluate(model, batch.images)), after = predictions(evaluate(model, adversarial))
        let brokenBy = batch.labels.indices.map { i in before[i] == batch.labels[i] && after[i] != batch.labels[i] ? rawValue : nil }
        return Outcome(images: adversarial, brokenBy: brokenBy, masking: nil)
    }

    /// As `images(_:_:epsilon:steps:restarts:seed:)`, but only the samples whose clean prediction
    /// `clean[i]` equals their label are attacked; a misclassified sample keeps its clean image.
    /// `attacked[i]` tells which.
    public func imagesOfCorrectlyClassified(
        _ model: Classifier, _ batch: Batch, clean: [Int], epsilon: Double, steps: Int, restarts: Int, seed: UInt64,
        iterations: Int = 100, queries: Int = 5000
    ) -> (images: Tensor, attacked: [Bool]) {
        let result = outcomeOfCorrectlyClassified(model, batch, clean: clean, epsilon: epsilon, steps: steps, restarts: restarts,
                                                  seed: seed, iterations: iterations, queries: queries)
        return (result.outcome.images, result.attacked)
    }

    /// As `outcome(…)`, attacking only the samples whose clean prediction `clean[i]` equals their label.
    public func outcomeOfCorrectlyClassified(
        _ model: Classifier, _ batch: Batch, clean: [Int], epsilon: Double, steps: Int, restarts: Int, seed: UInt64,
        iterations: Int = 100, queries: Int = 5000
    ) -> (outcome: Outcome, attacked: [Bool]) {
        precondition(clean.count == batch.count, "\(clean.count) predictions for \(batch.count) samples")
        let attacked = zip(clean, batch.labels).map { $0 == $1 }
        let unbroken = [String?](repeating: nil, count: batch.count)
        guard self != .none, attacked.contains(true) else { return (Outcome(images: batch.images, brokenBy: unbroken, masking: nil), attacked) }
        if !attacked.contains(false) {
            return (outcome(model, batch, epsilon: epsilon, steps: steps, restarts: restarts, seed: seed, iterations: iterations, queries: queries), attacked)
        }
        let rows = attacked.indices.filter { attacked[$0] }
        let sub = outcome(model, batch.rows(rows), epsilon: epsilon, steps: steps, restarts: restarts, seed: seed, iterations: iterations, queries: queries)
        var next = 0
        var brokenBy = unbroken
        let merged = (0..<batch.count).map { row -> Tensor in
            guard attacked[row] else { return batch.images.slice(rows: row..<(row + 1)) }
            defer { next += 1 }
            brokenBy[row] = sub.brokenBy[next]
            return sub.images.slice(rows: next..<(next + 1))
        }
        var masking = sub.masking
        // The misclassified samples count in the evaluation's denominator too.
        masking?.samples = batch.count
        return (Outcome(images: Tensor.concatenate(merged), brokenBy: brokenBy, masking: masking), attacked)
    }
}

extension Batch {
    /// The samples at `rows` (positions in this batch), in that order.
    func rows(_ rows: [Int]) -> Batch {
        Batch(images: Tensor.concatenate(rows.map { images.slice(rows: $0..<($0 + 1)) }),
              labels: rows.map { labels[$0] }, indices: rows.map { indices[$0] })
    }
}
