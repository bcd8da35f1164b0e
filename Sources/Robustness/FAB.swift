import Autodiff
import Classifiers
import Tensors

/// FAB-T (Croce & Hein 2019; the targeted version of AutoAttack), ℓ∞ and ℓ2: a minimum-norm attack.
/// Each iteration linearises the boundary between the label y and a target t at the current point,
/// projects both the current point and the clean image onto it (within the box), steps to a convex
/// combination of the two projections extrapolated by η (weight α ≤ α_max on the clean image's), and
/// after every success moves back towards the clean image by β. Targets are the 2nd … 10th highest
/// classes at the clean image; there is no random start (AutoAttack runs FAB-T with one restart).
public struct FABTargeted: Sendable {
    public var norm: ThreatNorm
    public var iterations: Int
    public var targetClasses: Int
    public var alphaMax: Double
    public var eta: Double
    public var beta: Double

    public init(norm: ThreatNorm, iterations: Int = 100, targetClasses: Int = 9, alphaMax: Double = 0.1, eta: Double = 1.05, beta: Double = 0.9) {
        precondition(iterations >= 1 && targetClasses >= 1, "FAB: iterations \(iterations), targets \(targetClasses)")
        self.norm = norm
        self.iterations = iterations
        self.targetClasses = targetClasses
        self.alphaMax = alphaMax
        self.eta = eta
        self.beta = beta
    }

    /// Per sample, over all targets: the smallest adversarial perturbation found (the image, the clean
    /// one where none was found) and its norm (infinity where none). A sample stops once its norm is
    /// at most `stopBelow` (the ε of an evaluation: a smaller one changes no outcome).
    public func minimalPerturbations(_ model: Classifier, _ images: Tensor, _ labels: [Int], stopBelow: Double = 0)
        -> (images: Tensor, norms: [Double]) {
        let clean = images.scalars, n = labels.count, d = clean.count / Swift.max(n, 1)
        let ball = ThreatBall(norm: norm, epsilon: .infinity)
        let logits = evaluate(model, images).scalars, classes = logits.count / Swift.max(n, 1)
        let predicted = argmaxRows(logits, classes: classes)
        var best = clean
        var bestNorm = [Double](repeating: .infinity, count: n)
        for k in 1...Swift.max(1, Swift.min(targetClasses, classes - 1)) {
            // Only correctly classified samples not yet broken within `stopBelow`.
            let rows = (0..<n).filter { predicted[$0] == labels[$0] && !(bestNorm[$0] <= stopBelow) }
            if rows.isEmpty { break }
            let targets = rows.map { row -> Int in
                let z = logits[(row * classes)..<((row + 1) * classes)]
                let order = (0..<classes).sorted { z[row * classes + $0] != z[row * classes + $1] ? z[row * classes + $0] > z[row * classes + $1] : $0 < $1 }
                return order[k]
            }
            let x0 = clean.gatherRows(rows, width: d), y = rows.map { labels[$0] }
            var x1 = x0
            var active = Array(rows.indices)
            var (margin, gradient) = ([Double](repeating: 0, count: rows.count), [Double](repeating: 0, count: rows.count * d))
            // The target margin and its input gradient at each row of `subset`'s current point.
            func linearise(_ subset: [Int]) {
                let (values, _, grad) = lossAndInputGradient(
                    model, x1.gatherRows(subset, width: d), shape: batchShape(images.shape, subset.count), dtype: images.dtype,
                    labels: subset.map { y[$0] }, loss: .targetMargin(targets: subset.map { targets[$0] }))
                for (j, r) in subset.enumerated() {
                    margin[r] = values[j]
                    for i in 0..<d { gradient[r * d + i] = grad[j * d + i] }
                }
            }
            // The rows of `subset` whose current point is misclassified: a forward pass only.
            func misclassified(_ subset: [Int]) -> [Int] {
                let predictedAt = argmaxRows(logitRows(model, x1.gatherRows(subset, width: d), shape: batchShape(images.shape, subset.count),
                                                       dtype: images.dtype), classes: classes)
                return subset.indices.filter { predictedAt[$0] != y[subset[$0]] }.map { subset[$0] }
            }
            linearise(active)
            // The step of one row: its linearised boundary w·z = b through the current point's
            // first-order model, both projections onto it, and the extrapolated convex combination.
            func step(_ r: Int, _ x1: UnsafeMutablePointer<Double>, _ x0: UnsafePointer<Double>, _ gradient: UnsafePointer<Double>) {
                let (x, origin, w) = (x1 + r * d, x0 + r * d, gradient + r * d)
                var b = -margin[r]
                for i in 0..<d { b += w[i] * x[i] }
                withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * d) { steps in
                    let d1 = steps.baseAddress!, d2 = d1 + d
                    BoundaryProjection.project(x, w: w, b: b, count: d, norm: norm, into: d1)
                    BoundaryProjection.project(origin, w: w, b: b, count: d, norm: norm, into: d2)
                    let a1 = Swift.max(ball.length(d1, count: d), 1e-8), a2 = Swift.max(ball.length(d2, count: d), 1e-8)
                    let alpha = Swift.min(Swift.max(a1 / (a1 + a2), 0), alphaMax)
                    for i in 0..<d {
                        let v = (x[i] + eta * d1[i]) * (1 - alpha) + (origin[i] + eta * d2[i]) * alpha
                        x[i] = Swift.min(Swift.max(v, 0), 1)
                    }
                }
            }
            for iteration in 0..<iterations {
                // Rows touch only their own coordinates, so they step concurrently.
                let stepping = active
                x1.withUnsafeMutableBufferPointer { x1 in
                    x0.withUnsafeBufferPointer { x0 in
                        gradient.withUnsafeBufferPointer { gradient in
                            let (x1, x0, gradient) = (x1.baseAddress!, x0.baseAddress!, gradient.baseAddress!)
                            Parallel.forEachBlock(of: stepping.count, size: 1) { block in
                                for j in block { step(stepping[j], x1, x0, gradient) }
                            }
                        }
                    }
                }
                let adversarial = misclassified(active)
                for r in adversarial {
                    let row = rows[r]
                    let length = ball.length(zip(x1[(r * d)..<((r + 1) * d)], x0[(r * d)..<((r + 1) * d)]).map { $0 - $1 }[...])
                    if length < bestNorm[row] {
                        bestNorm[row] = length
                        for i in 0..<d { best[row * d + i] = x1[r * d + i] }
                    }
                    for i in (r * d)..<((r + 1) * d) { x1[i] = x0[i] + (x1[i] - x0[i]) * beta }
                }
                active = active.filter { !(bestNorm[rows[$0]] <= stopBelow) }
                if active.isEmpty || iteration == iterations - 1 { break }
                // As the reference code does: a forward pass decides success at the step, and the
                // gradient is taken once, where each row ends the iteration (moved back after a
                // success). On robust models most rows succeed at most steps, so this is one
                // forward and one gradient per iteration rather than nearly two gradients.
                linearise(active)
            }
        }
        return (Tensor(shape: images.shape, scalars: best, dtype: images.dtype), bestNorm)
    }

    /// FAB-T at ε: a sample is fooled when the smallest perturbation found has norm ≤ ε.
    public func perturb(_ model: Classifier, _ images: Tensor, _ labels: [Int], epsilon: Double) -> AttackResult {
        let (found, norms) = minimalPerturbations(model, images, labels, stopBelow: epsilon)
        return AttackResult(model, clean: images.scalars, candidates: found.scalars, claimed: norms.map { $0 <= epsilon },
                            shape: images.shape, dtype: images.dtype, labels: labels, ball: ThreatBall(norm: norm, epsilon: epsilon))
    }
}
