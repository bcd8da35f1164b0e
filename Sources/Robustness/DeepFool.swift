import Autodiff
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

    /// Per sample: the perturbed image, the ℓ2 norm of the perturbation, whether the class changed,
    /// and the iterations used.
    public struct Result {
        public let images: Tensor
        public let norms: [Double]
        public let fooled: [Bool]
        public let iterations: [Int]
    }

    public func perturb(_ model: Classifier, _ images: Tensor) -> Result {
        let n = images.shape[0], d = images.count / n
        let original = predictions(evaluate(model, images))
        var total = [[Double]](repeating: [Double](repeating: 0, count: d), count: n)
        var active = [Bool](repeating: true, count: n), fooled = [Bool](repeating: false, count: n)
        var iterations = [Int](repeating: 0, count: n)
        var current = images
        for _ in 0..<maxIterations where active.contains(true) {
            let x = Variable(current, requiresGradient: true)
            let logits = model(x)
            let classes = logits.shape[1]
            let values = logits.value.scalars
            // One backward pass per class gives every sample's gradient of that logit.
            let classGradients = (0..<classes).map { c -> [Double] in
                var seed = [Double](repeating: 0, count: n * classes)
                for row in 0..<n { seed[row * classes + c] = 1 }
                return gradients(of: logits, withRespectTo: [x], seed: Tensor(shape: logits.shape, scalars: seed, dtype: logits.dtype))[0].value.scalars
            }
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
            current = images + Tensor(shape: images.shape, scalars: scaled, dtype: images.dtype)
        }
        // Samples still active after the last step: check once more.
        let final = predictions(evaluate(model, current))
        for row in 0..<n where active[row] { fooled[row] = final[row] != original[row] }
        let norms = total.map { $0.reduce(0) { $0 + $1 * $1 }.squareRoot() * (1 + overshoot) }
        return Result(images: current, norms: norms, fooled: fooled, iterations: iterations)
    }
}
