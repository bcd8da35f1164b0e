import Autodiff
import Classifiers
import Foundation
import Tensors

/// A per-sample loss of the logits that an attack ascends, with its gradient with respect to the
/// logits; the input gradient then takes one backward pass seeded with that gradient.
enum LogitLoss {
    case crossEntropy
    case dlr
    case targetedDLR(targets: [Int])
    /// z_t − z_y: FAB's linearised boundary towards target t.
    case targetMargin(targets: [Int])

    func valuesAndGradients(logits: [Double], classes: Int, labels: [Int]) -> (values: [Double], gradients: [Double]) {
        switch self {
        case .dlr: return DLRLoss.valuesAndGradients(logits: logits, classes: classes, labels: labels, targets: nil)
        case .targetedDLR(let targets): return DLRLoss.valuesAndGradients(logits: logits, classes: classes, labels: labels, targets: targets)
        case .targetMargin(let targets):
            var gradients = [Double](repeating: 0, count: logits.count)
            let values = labels.indices.map { row -> Double in
                gradients[row * classes + targets[row]] += 1
                gradients[row * classes + labels[row]] -= 1
                return logits[row * classes + targets[row]] - logits[row * classes + labels[row]]
            }
            return (values, gradients)
        case .crossEntropy:
            var gradients = [Double](repeating: 0, count: logits.count)
            let values = labels.indices.map { row -> Double in
                let z = logits[(row * classes)..<((row + 1) * classes)]
                let top = z.max()!
                let sum = z.reduce(0) { $0 + exp($1 - top) }
                for c in 0..<classes { gradients[row * classes + c] = exp(z[row * classes + c] - top) / sum }
                gradients[row * classes + labels[row]] -= 1
                return top + log(sum) - z[row * classes + labels[row]]
            }
            return (values, gradients)
        }
    }

    /// The subset of the loss for `rows` (targets follow their rows).
    func rows(_ rows: [Int]) -> LogitLoss {
        switch self {
        case .crossEntropy, .dlr: return self
        case .targetedDLR(let targets): return .targetedDLR(targets: rows.map { targets[$0] })
        case .targetMargin(let targets): return .targetMargin(targets: rows.map { targets[$0] })
        }
    }
}

/// Per-sample loss values, logits (row-major) and input gradients of `model` at `images`, rows of
/// `d` values each: one forward and one backward pass for the whole batch.
func lossAndInputGradient(
    _ model: Classifier, _ images: [Double], shape: [Int], dtype: DType, labels: [Int], loss: LogitLoss
) -> (values: [Double], logits: [Double], gradient: [Double]) {
    let x = Variable(Tensor(shape: shape, scalars: images, dtype: dtype), requiresGradient: true)
    let output = model(x)
    let logits = output.value.scalars, classes = output.shape[1]
    let (values, seed) = loss.valuesAndGradients(logits: logits, classes: classes, labels: labels)
    let gradient = gradients(of: output, withRespectTo: [x], seed: Tensor(shape: output.shape, scalars: seed, dtype: output.dtype))[0].value.scalars
    return (values, logits, gradient)
}

/// Logits (row-major) of `model` at `images` without a tape.
func logitRows(_ model: Classifier, _ images: [Double], shape: [Int], dtype: DType) -> [Double] {
    evaluate(model, Tensor(shape: shape, scalars: images, dtype: dtype)).scalars
}

/// Per-row argmax of row-major logits.
func argmaxRows(_ logits: [Double], classes: Int) -> [Int] {
    (0..<(logits.count / classes)).map { row in
        var best = 0
        for c in 1..<classes where logits[row * classes + c] > logits[row * classes + best] { best = c }
        return best
    }
}
