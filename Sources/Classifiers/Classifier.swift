import Autodiff
import Tensors

/// A model seen as a map from a batch of images to logits.
public typealias Classifier = (Variable) -> Variable

/// z_y − max_{j≠y} z_j per row of row-major [N, C] `logits`, y the row's label: positive where
/// the label wins, ≤ 0 where another class does (its zero level is the decision boundary).
public func decisionMargins(_ logits: [Double], classes: Int, labels: [Int]) -> [Double] {
    labels.indices.map { row in
        var other = -Double.infinity
        for c in 0..<classes where c != labels[row] { other = Swift.max(other, logits[row * classes + c]) }
        return logits[row * classes + labels[row]] - other
    }
}

/// Per-row argmax of [N, C] logits.
public func predictions(_ logits: Tensor) -> [Int] {
    let values = logits.scalars, classes = logits.shape[1]
    return (0..<logits.shape[0]).map { row in
        let slice = values[(row * classes)..<((row + 1) * classes)]
        return slice.indices.max { slice[$0] < slice[$1] }! - row * classes
    }
}

/// The summed cross-entropy of `model` on a batch, differentiated once with respect to the
/// input, and the logits. The sum makes each sample's gradient (and Hessian block) its own loss's.
/// - Parameter keepingGraph: keep the gradient's graph, for Hessian-vector products or penalties
///   on the gradient.
public func lossAtInput(
    _ model: Classifier, _ images: Tensor, _ labels: [Int], keepingGraph: Bool
) -> (point: HessianAtPoint, logits: Tensor) {
    var logits: Tensor?
    let point = HessianAtPoint(of: { x in
        let output = model(x)
        logits = output.value
        return crossEntropy(logits: output, labels: labels, reduction: .sum)
    }, at: images, keepingGraph: keepingGraph)
    return (point, logits!)
}

/// The summed cross-entropy's value, logits and gradient with respect to the input.
public func inputGradient(_ model: Classifier, _ images: Tensor, _ labels: [Int]) -> (loss: Double, logits: Tensor, gradient: Tensor) {
    let (point, logits) = lossAtInput(model, images, labels, keepingGraph: false)
    return (point.value.item, logits, point.gradient.value)
}

/// Logits without recording a tape.
public func evaluate(_ model: Classifier, _ images: Tensor) -> Tensor {
    GradientMode.withoutGradients { model(Variable(images)).value }
}

/// Per-sample ℓ2 norms of a [N, …] tensor, as [N].
public func rowNorms(_ t: Tensor) -> [Double] {
    let d = t.count / t.shape[0]
    return t.reshaped([t.shape[0], d]).map(.square).sum(alongAxes: [1]).map(.sqrt).scalars
}

/// Per-sample ℓ∞ norms of a [N, …] tensor, as [N].
public func rowMaxNorms(_ t: Tensor) -> [Double] {
    let d = t.count / t.shape[0], values = t.scalars
    return (0..<t.shape[0]).map { row in values[(row * d)..<((row + 1) * d)].reduce(0) { Swift.max($0, Swift.abs($1)) } }
}
