import Autodiff
import Classifiers
import Randomness
import Tensors

/// The norm of an attack's threat model.
public enum ThreatNorm: String, Sendable, CaseIterable {
    case linf, l2
}

/// A projected-gradient attack (Madry et al.): `steps` steps of size `stepSize` on the summed
/// cross-entropy, projected onto the ε-ball around the input and onto the image box [0, 1].
public struct PGDAttack: Sendable {
    public var norm: ThreatNorm
    public var epsilon: Double
    public var stepSize: Double
    public var steps: Int
    public var randomStart: Bool
    public var restarts: Int

    /// Defaults follow the usual recipe: α = 2.5ε/steps, random start, one restart.
    public init(norm: ThreatNorm = .linf, epsilon: Double, steps: Int, stepSize: Double? = nil,
                randomStart: Bool = true, restarts: Int = 1) {
        precondition(epsilon >= 0 && steps >= 0 && restarts >= 1, "PGD: ε \(epsilon), steps \(steps), restarts \(restarts)")
        self.norm = norm
        self.epsilon = epsilon
        self.steps = steps
        self.stepSize = stepSize ?? 2.5 * epsilon / Double(Swift.max(steps, 1))
        self.randomStart = randomStart
        self.restarts = restarts
    }

    /// Adversarial images for `images` (values in [0, 1]). Over restarts, a sample keeps the first
    /// perturbation that fools the model, else the one with the highest loss.
    public func perturb(_ model: Classifier, _ images: Tensor, _ labels: [Int], generator: inout SeededGenerator) -> Tensor {
        perturb(model, images, labels) { randomOffset(images.shape, images.dtype, &generator) }
    }

    /// As `perturb(_:_:_:generator:)`, but row `n`'s random starts come from `generators[n]` alone
    /// (one generator per sample, e.g. `Xoshiro256StarStar(seed: seed, stream: sampleIndex)`), so a
    /// sample's start does not depend on which other samples share its batch.
    public func perturb(_ model: Classifier, _ images: Tensor, _ labels: [Int], generators: inout [Xoshiro256StarStar]) -> Tensor {
        precondition(generators.count == images.shape[0], "PGD: \(generators.count) generators for \(images.shape[0]) samples")
        return perturb(model, images, labels) { randomOffset(images.shape, images.dtype, perRow: &generators) }
    }

    private func perturb(_ model: Classifier, _ images: Tensor, _ labels: [Int], offset: () -> Tensor) -> Tensor {
        var best = images
        var bestLoss = [Double](repeating: -.infinity, count: labels.count)
        var fooled = [Bool](repeating: false, count: labels.count)
        for _ in 0..<restarts {
            let candidate = run(model, images, labels, offset: offset)
            let logits = evaluate(model, candidate)
            let losses = GradientMode.withoutGradients {
                crossEntropy(logits: Variable(logits), labels: labels, reduction: .none).value.scalars
            }
            let predicted = predictions(logits)
            var take = [Double](repeating: 0, count: labels.count)
            for n in labels.indices where !fooled[n] && (predicted[n] != labels[n] || losses[n] > bestLoss[n]) {
                take[n] = 1
                bestLoss[n] = losses[n]
                fooled[n] = predicted[n] != labels[n]
            }
            best = scaleRows(candidate, take) + scaleRows(best, take.map { 1 - $0 })
        }
        return best
    }

    private func run(_ model: Classifier, _ images: Tensor, _ labels: [Int], offset: () -> Tensor) -> Tensor {
        var x = images
        if randomStart && epsilon > 0 {
            x = project(images + offset(), around: images)
        }
        for _ in 0..<steps {
            let g = inputGradient(model, x, labels).gradient
            let step: Tensor
            switch norm {
            case .linf: step = g.map(.sign) * stepSize
            case .l2: step = scaleRows(g, rowNorms(g).map { stepSize / Swift.max($0, 1e-12) })
            }
            x = project(x + step, around: images)
        }
        return x
    }

    private func randomOffset(_ shape: [Int], _ dtype: DType, _ generator: inout SeededGenerator) -> Tensor {
        switch norm {
        case .linf:
            return Tensor(randomShape: shape, .uniform(low: -epsilon, high: epsilon), dtype: dtype, generator: &generator)
        case .l2:
            let direction = Tensor(randomShape: shape, .normal(mean: 0, standardDeviation: 1), dtype: dtype, generator: &generator)
            let radii = (0..<shape[0]).map { _ in epsilon * generator.uniform() }
            return scaleRows(direction, zip(rowNorms(direction), radii).map { $1 / Swift.max($0, 1e-12) })
        }
    }

    /// The random start with row `n` drawn from `generators[n]` only, in the same order of draws
    /// as `randomOffset(_:_:_:)` uses for one row.
    private func randomOffset(_ shape: [Int], _ dtype: DType, perRow generators: inout [Xoshiro256StarStar]) -> Tensor {
        let d = Shape.count(Array(shape.dropFirst()))
        var values = [Double]()
        values.reserveCapacity(shape[0] * d)
        var radii = [Double]()
        for row in 0..<shape[0] {
            switch norm {
            case .linf:
                for _ in 0..<d { values.append(-epsilon + 2 * epsilon * generators[row].uniform()) }
            case .l2:
                for _ in 0..<d { values.append(generators[row].normal()) }
                radii.append(epsilon * generators[row].uniform())
            }
        }
        let drawn = Tensor(shape: shape, scalars: values, dtype: dtype)
        guard norm == .l2 else { return drawn }
        return scaleRows(drawn, zip(rowNorms(drawn), radii).map { $1 / Swift.max($0, 1e-12) })
    }

    /// Onto the ε-ball around `center`, then into [0, 1].
    func project(_ x: Tensor, around center: Tensor) -> Tensor {
        let delta = x - center
        let inBall: Tensor
        switch norm {
        case .linf: inBall = delta.map(.clamp(min: -epsilon, max: epsilon))
        case .l2: inBall = scaleRows(delta, rowNorms(delta).map { Swift.min(1, epsilon / Swift.max($0, 1e-12)) })
        }
        return (center + inBall).map(.clamp(min: 0, max: 1))
    }
}

/// The fast gradient sign method (Goodfellow et al.): one ℓ∞ step of size ε, clipped to [0, 1].
public func fgsm(_ model: Classifier, _ images: Tensor, _ labels: [Int], epsilon: Double) -> Tensor {
    let g = inputGradient(model, images, labels).gradient
    return (images + g.map(.sign) * epsilon).map(.clamp(min: 0, max: 1))
}

/// Scales each sample (row of axis 0) by its own factor.
func scaleRows(_ t: Tensor, _ factors: [Double]) -> Tensor {
    var shape = [Int](repeating: 1, count: t.rank)
    shape[0] = t.shape[0]
    return t * Tensor(shape: shape, scalars: factors, dtype: t.dtype)
}
