import Autodiff
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

    /// The adversarial images for a batch. Sample `i` (index `batch.indices[i]` in its split) draws
    /// its random starts from its own stream, `Xoshiro256StarStar(seed: seed, stream: index)`, so
    /// its result does not depend on the batch size or on the other samples of its batch.
    public func images(_ model: Classifier, _ batch: Batch, epsilon: Double, steps: Int, restarts: Int, seed: UInt64) -> Tensor {
        switch self {
        case .none: return batch.images
        case .fgsm: return Robustness.fgsm(model, batch.images, batch.labels, epsilon: epsilon)
        case .pgdLinf, .pgdL2:
            var generators = batch.indices.map { Xoshiro256StarStar(seed: seed, stream: UInt64(bitPattern: Int64($0))) }
            let attack = PGDAttack(norm: self == .pgdLinf ? .linf : .l2, epsilon: epsilon, steps: steps, restarts: restarts)
            return attack.perturb(model, batch.images, batch.labels, generators: &generators)
        }
    }

    /// As `images(_:_:epsilon:steps:restarts:seed:)`, but only the samples whose clean prediction
    /// `clean[i]` equals their label are attacked; a misclassified sample keeps its clean image.
    /// `attacked[i]` tells which.
    public func imagesOfCorrectlyClassified(
        _ model: Classifier, _ batch: Batch, clean: [Int], epsilon: Double, steps: Int, restarts: Int, seed: UInt64
    ) -> (images: Tensor, attacked: [Bool]) {
        precondition(clean.count == batch.count, "\(clean.count) predictions for \(batch.count) samples")
        let attacked = zip(clean, batch.labels).map { $0 == $1 }
        guard self != .none, attacked.contains(true) else { return (batch.images, attacked) }
        if !attacked.contains(false) {
            return (images(model, batch, epsilon: epsilon, steps: steps, restarts: restarts, seed: seed), attacked)
        }
        let sub = batch.rows(attacked.indices.filter { attacked[$0] })
        let adversarial = images(model, sub, epsilon: epsilon, steps: steps, restarts: restarts, seed: seed)
        var next = 0
        let merged = (0..<batch.count).map { row -> Tensor in
            guard attacked[row] else { return batch.images.slice(rows: row..<(row + 1)) }
            defer { next += 1 }
            return adversarial.slice(rows: next..<(next + 1))
        }
        return (Tensor.concatenate(merged), attacked)
    }
}

extension Batch {
    /// The samples at `rows` (positions in this batch), in that order.
    func rows(_ rows: [Int]) -> Batch {
        Batch(images: Tensor.concatenate(rows.map { images.slice(rows: $0..<($0 + 1)) }),
              labels: rows.map { labels[$0] }, indices: rows.map { indices[$0] })
    }
}
