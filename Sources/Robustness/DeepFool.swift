import Autodiff
import Classifiers
import Tensors

/// DeepFool (Moosavi-Dezfooli et al. 2016), ℓ2: repeatedly steps to the nearest linearised
/// decision boundary until the predicted class changes.
public struct DeepFool: Sendable {
    public var overshoot: Double
    public var maxIterations: Int
    /// Added to each step's length, as in the authors' code, so a step never lands exactly on the boundary.
    public static let stepMargin = 1e-4

    public init(overshoot: Double = 0.02, maxIterations: Int = 50) {
        self.overshoot = overshoot
        self.maxIterations = maxIterations
    }

    /// Per sample: the perturbed image (in [0, 1]), the ℓ2 norm of the actual perturbation
    /// (perturbed − clean image), whether the class changed, the iterations used, and whether it was
    /// attacked at all (false for a sample misclassified to begin with, which keeps its clean image).
    public struct Result {
        public let images: Tensor
        public let norms: [Double]
        public let fooled: [Bool]
        public let iterations: [Int]
        public let attacked: [Bool]
    }

    /// Attacks every sample of `images` (values in [0, 1]) away from its predicted class. With
    /// `labels`, a sample whose clean prediction differs from its label is not attacked: its image
    /// is returned unchanged, with norm 0, `fooled` false and `attacked` false.
    ///
    /// Each iterate is clipped to the image box [0, 1]; the linearisation is taken at the clipped point.
    public func perturb(_ model: Classifier, _ images: Tensor, labels: [Int]? = nil) -> Result {
        let n = images.shape[0], d = images.count / n
        let original = predictions(evaluate(model, images))
        if let labels { precondition(labels.count == n, "DeepFool: \(labels.count) labels for \(n) samples") }
        let attacked = labels.map { zip(original, $0).map { $0 == $1 } } ?? [Bool](repeating: true, count: n)
        var total = [[Double]](repeating: [Double](repeating: 0, count: d), count: n)
        var active = attacked, fooled = [Bool](repeating: false, count: n)
        var iterations = [Int](repeating: 0, count: n)
        var current = images
        for _ in 0..<maxIterations where active.contains(true) {
            let x = Variable(current, requiresGradient: true)
            let logits = model(x)
            let classes = logits.shape[1]
            let values = logits.value.scalars
            let classGradients = Robustness.classGradients(of: logits, withRespectTo: x)
            let predicted = predictions(logits.value)
            for row in 0..<n where active[row] {
                if predicted[row] != original[row] {
                    active[row] = false
                    fooled[row] = true
                    continue
                }
                iterations[row] += 1
                let k0 = original[row]
                var bestDistance = Double.infinity, bestDirection: [Double] = []
                for k in 0..<classes where k != k0 {
                    let w = (0..<d).map { classGradients[k][row * d + $0] - classGradients[k0][row * d + $0] }
                    let f = values[row * classes + k] - values[row * classes + k0]
                    let norm = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
                    guard norm > 0 else { continue }
                    let distance = Swift.abs(f) / norm
                    if distance < bestDistance { (bestDistance, bestDirection) = (distance, w.map { $0 / norm }) }
                }
                guard bestDistance.isFinite else { active[row] = false; continue }
                for i in 0..<d { total[row][i] += (bestDistance + Self.stepMargin) * bestDirection[i] }
            }
            let scaled = total.flatMap { $0.map { $0 * (1 + overshoot) } }
            current = (images + Tensor(shape: images.shape, scalars: scaled, dtype: images.dtype)).map(.clamp(min: 0, max: 1))
            // Keep the accumulated step equal to the perturbation actually applied, so the clip
            // does not build up a hidden excess outside the box.
            let applied = (current - images).scalars
            for row in 0..<n where active[row] {
                for i in 0..<d { total[row][i] = applied[row * d + i] / (1 + overshoot) }
            }
        }
        // Samples still active after the last step: check once more.
        let final = predictions(evaluate(model, current))
        for row in 0..<n where active[row] { fooled[row] = final[row] != original[row] }
        let norms = rowNorms(current - images)
        return Result(images: current, norms: norms, fooled: fooled, iterations: iterations, attacked: attacked)
    }
}

/// Per class c, every row's gradient of its logit z_c with respect to `input` ([N, C] logits; one
/// backward pass per class, each row seeded with 1 at c).
public func classGradients(of logits: Variable, withRespectTo input: Variable) -> [[Double]] {
    let (rows, classes) = (logits.shape[0], logits.shape[1])
    return (0..<classes).map { c -> [Double] in
        var seed = [Double](repeating: 0, count: rows * classes)
        for row in 0..<rows { seed[row * classes + c] = 1 }
        return gradients(of: logits, withRespectTo: [input], seed: Tensor(shape: logits.shape, scalars: seed, dtype: logits.dtype))[0].value.scalars
    }
}
