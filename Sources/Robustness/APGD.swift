import Autodiff
import Classifiers
import Foundation
import Randomness
import Tensors

/// Auto-PGD (Croce & Hein 2020, Algorithm 1), ℓ∞ and ℓ2: PGD with momentum 0.75 whose per-sample
/// step size starts at 2ε and is halved at the checkpoints p_j when (1) the loss rose in at most
/// 75 % of the steps since the last checkpoint or (2) the step size was not halved at the last
/// checkpoint and the best loss has not improved since; a halving restarts from the best point.
public struct APGD: Sendable {
    public var norm: ThreatNorm
    public var epsilon: Double
    public var iterations: Int
    /// The restarts of APGD-CE (AutoAttack's standard version uses 1).
    public var restarts: Int

    public static let momentum = 0.75
    /// ρ: the share of rising steps below which a checkpoint halves the step size.
    public static let rho = 0.75

    public init(norm: ThreatNorm, epsilon: Double, iterations: Int = 100, restarts: Int = 1) {
        precondition(epsilon >= 0 && iterations >= 1 && restarts >= 1, "APGD: ε \(epsilon), iterations \(iterations), restarts \(restarts)")
        self.norm = norm
        self.epsilon = epsilon
        self.iterations = iterations
        self.restarts = restarts
    }

    /// The checkpoints, as iteration counts between them: p₁ = 0.22·N, then segments shrinking by
    /// 0.03·N down to 0.06·N (the reference code's n_iter_2, size_decr, n_iter_min).
    var segments: (first: Int, decrease: Int, minimum: Int) {
        (Swift.max(Int(0.22 * Double(iterations)), 1), Swift.max(Int(0.03 * Double(iterations)), 1),
         Swift.max(Int(0.06 * Double(iterations)), 1))
    }

    /// APGD-CE: untargeted, on the cross-entropy. Sample `i` draws its random starts from
    /// `generators[i]`.
    public func crossEntropy(_ model: Classifier, _ images: Tensor, _ labels: [Int],
                             generators: inout [Xoshiro256StarStar]) -> AttackResult {
        let clean = images.scalars
        var fooled = [Bool](repeating: false, count: labels.count)
        var found = clean
        var zeroGradient = [Bool](repeating: false, count: labels.count)
        for _ in 0..<restarts {
            let rows = labels.indices.filter { !fooled[$0] }
            if rows.isEmpty { break }
            let run = self.run(model, clean: clean, rows: rows, shape: images.shape, dtype: images.dtype, labels: labels,
                               loss: .crossEntropy, generators: &generators)
            for (k, row) in rows.enumerated() where run.zeroGradient[k] { zeroGradient[row] = true }
            for (k, row) in rows.enumerated() where run.fooled[k] {
                fooled[row] = true
                found.scatterRows([row], from: run.adversarial.gatherRows([k], width: clean.count / labels.count), width: clean.count / labels.count)
            }
        }
        var result = AttackResult(model, clean: clean, candidates: found, claimed: fooled, shape: images.shape, dtype: images.dtype,
                                  labels: labels, ball: ThreatBall(norm: norm, epsilon: epsilon))
        result.zeroGradient = zeroGradient
        return result
    }

    /// One run on the samples `rows`: per sample (in `rows`' order) the last misclassified iterate
    /// (or the start), whether one was found, and whether the loss's input gradient vanished at the
    /// start (‖∇‖₁ ≤ `zeroGradientThreshold`).
    func run(_ model: Classifier, clean allClean: [Double], rows: [Int], shape: [Int], dtype: DType, labels allLabels: [Int],
             loss: LogitLoss, generators: inout [Xoshiro256StarStar]) -> (adversarial: [Double], fooled: [Bool], zeroGradient: [Bool]) {
        let n = rows.count, d = allClean.count / allLabels.count
        let clean = allClean.gatherRows(rows, width: d), labels = rows.map { allLabels[$0] }
        let ball = ThreatBall(norm: norm, epsilon: epsilon)

        // Random start on the sphere of radius ε (ℓ∞: a uniform direction scaled to ‖·‖∞ = ε).
        var x = clean
        for (k, row) in rows.enumerated() {
            var t = (0..<d).map { _ in norm == .linf ? 2 * generators[row].uniform() - 1 : generators[row].normal() }
            let scale = epsilon / (ball.length(t[...]) + 1e-12)
            for i in 0..<d { t[i] *= scale }
            for i in 0..<d { x[k * d + i] = Swift.min(Swift.max(clean[k * d + i] + t[i], 0), 1) }
        }

        var fooled = [Bool](repeating: false, count: n)
        var adversarial = x
        var step = [Double](repeating: 2 * epsilon, count: n)
        var lossBest = [Double](repeating: 0, count: n)
        var xBest = x, gradient = [Double](repeating: 0, count: n * d), gradientBest = gradient
        var history = [[Double]](repeating: [Double](repeating: 0, count: iterations + 1), count: n)
        var active = Array(0..<n)
        var zeroGradient = [Bool](repeating: false, count: n)

        /// Evaluates the active rows at `x` and records what the algorithm tracks.
        func measure(_ index: Int) {
            let current = x.gatherRows(active, width: d)
            let (values, logits, grad) = lossAndInputGradient(
                model, current, shape: batchShape(shape, active.count), dtype: dtype, labels: active.map { labels[$0] }, loss: loss.rows(active))
            let predicted = argmaxRows(logits, classes: logits.count / active.count)
            for (k, row) in active.enumerated() {
                for i in 0..<d { gradient[row * d + i] = grad[k * d + i] }
                history[row][index] = values[k]
                if predicted[k] != labels[row] {
                    fooled[row] = true
                    for i in 0..<d { adversarial[row * d + i] = x[row * d + i] }
                }
                if index == 0 {
                    lossBest[row] = values[k]
                    for i in 0..<d { gradientBest[row * d + i] = grad[k * d + i] }
                    zeroGradient[row] = grad[(k * d)..<((k + 1) * d)].reduce(0) { $0 + Swift.abs($1) } <= zeroGradientThreshold
                } else if values[k] > lossBest[row] {
                    lossBest[row] = values[k]
                    for i in 0..<d { xBest[row * d + i] = x[row * d + i]; gradientBest[row * d + i] = grad[k * d + i] }
                }
            }
        }
        measure(0)

        var lossBestLastCheck = lossBest
        var reducedLastCheck = [Bool](repeating: true, count: n)
        var (segment, sinceCheck) = (segments.first, 0)
        var previous = x
        for i in 0..<iterations {
            // A fooled sample keeps its adversarial point; the others go on (the reference code
            // carries every sample to the end; dropping the fooled ones changes no outcome).
            active = active.filter { !fooled[$0] }
            if active.isEmpty { break }
            let a = i > 0 ? Self.momentum : 1
            for row in active {
                let range = (row * d)..<((row + 1) * d)
                var z = Array(x[range])
                switch norm {
                case .linf:
                    for j in 0..<d { z[j] += step[row] * (gradient[row * d + j] > 0 ? 1 : gradient[row * d + j] < 0 ? -1 : 0) }
                case .l2:
                    let g = gradient[range]
                    let scale = step[row] / (g.reduce(0) { $0 + $1 * $1 }.squareRoot() + 1e-12)
                    for j in 0..<d { z[j] += scale * g[row * d + j] }
                }
                ball.project(&z, around: clean, rowOffset: row, width: d)
                var next = z
                for j in 0..<d {
                    let xi = x[row * d + j]
                    next[j] = xi + (z[j] - xi) * a + (xi - previous[row * d + j]) * (1 - a)
                }
                ball.project(&next, around: clean, rowOffset: row, width: d)
                for j in 0..<d {
                    previous[row * d + j] = x[row * d + j]
                    x[row * d + j] = next[j]
                }
            }
            measure(i + 1)
            sinceCheck += 1
            if sinceCheck == segment {
                for row in active {
                    var rises = 0
                    for c in 0..<segment where history[row][i + 1 - c] > history[row][i - c] { rises += 1 }
                    let oscillating = Double(rises) <= Double(segment) * Self.rho
                    let stalled = !reducedLastCheck[row] && lossBestLastCheck[row] >= lossBest[row]
                    let halve = oscillating || stalled
                    reducedLastCheck[row] = halve
                    lossBestLastCheck[row] = lossBest[row]
                    if halve {
                        step[row] /= 2
                        for j in (row * d)..<((row + 1) * d) { x[j] = xBest[j]; gradient[j] = gradientBest[j] }
                    }
                }
                segment = Swift.max(segment - segments.decrease, segments.minimum)
                sinceCheck = 0
            }
        }
        return (adversarial, fooled, zeroGradient)
    }
}

/// A point's input gradient counts as vanished when its ℓ1 norm is at most this: far below what any
/// Float32 network's rounding produces on a 784-pixel image unless the gradient is exactly zero
/// (the reference code tests for exact zero; this also catches denormal leftovers).
public let zeroGradientThreshold = 1e-12

extension ThreatBall {
    /// `project(_:around:row:width:)` for a single row `z` (length `d`) whose centre is row
    /// `rowOffset` of `center`.
    func project(_ z: inout [Double], around center: [Double], rowOffset row: Int, width d: Int) {
        let c = Array(center[(row * d)..<((row + 1) * d)])
        project(&z, around: c, row: 0, width: d)
    }
}
