import Autodiff
import Datasets
import Randomness
import Tensors

/// Accuracy of `model` on `range` of `data`, clean or under an attack.
public func accuracy(
    _ model: Classifier, on data: LabeledImages, range: Range<Int>, batchSize: Int = 500, dtype: DType = .float32,
    attack: ((Batch) -> Tensor)? = nil
) -> Double {
    var correct = 0
    for batch in data.batches(in: range, size: batchSize, dtype: dtype) {
        let images = attack?(batch) ?? batch.images
        correct += zip(predictions(evaluate(model, images)), batch.labels).filter { $0 == $1 }.count
    }
    return range.isEmpty ? .nan : Double(correct) / Double(range.count)
}

/// A named attack at one ε, as the CLI's `--attack` names them.
public enum AttackKind: String, Sendable, CaseIterable {
    case none, fgsm
    case pgdLinf = "pgd-linf"
    case pgdL2 = "pgd-l2"

    /// The adversarial images for a batch. `seed` and the batch's first index seed the random start,
    /// so results do not depend on the batch size.
    public func images(_ model: Classifier, _ batch: Batch, epsilon: Double, steps: Int, restarts: Int, seed: UInt64) -> Tensor {
        switch self {
        case .none: return batch.images
        case .fgsm: return Robustness.fgsm(model, batch.images, batch.labels, epsilon: epsilon)
        case .pgdLinf, .pgdL2:
            var generator = SeededGenerator(seed: seed &+ UInt64(batch.indices.first ?? 0) &* 0x9E37_79B9)
            let attack = PGDAttack(norm: self == .pgdLinf ? .linf : .l2, epsilon: epsilon, steps: steps, restarts: restarts)
            return attack.perturb(model, batch.images, batch.labels, generator: &generator)
        }
    }
}
