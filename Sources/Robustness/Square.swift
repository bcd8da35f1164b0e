import Autodiff
import Classifiers
import Foundation
import Randomness
import Tensors

/// The Square attack (Andriushchenko et al. 2020), ℓ∞ and ℓ2: a score-based random search that
/// uses only the model's outputs, never its gradients. Each query changes one random square window
/// (ℓ2: moves mass between two windows) and keeps the change when the margin z_y − max_{j≠y} z_j
/// drops; the window's share p of the image shrinks on the reference schedule from p_init.
public struct SquareAttack: Sendable {
    public var norm: ThreatNorm
    public var epsilon: Double
    public var queries: Int
    public var pInit: Double

    public init(norm: ThreatNorm, epsilon: Double, queries: Int = 5000, pInit: Double = 0.8) {
        precondition(epsilon >= 0 && queries >= 0 && pInit > 0 && pInit <= 1, "Square: ε \(epsilon), queries \(queries), p_init \(pInit)")
        self.norm = norm
        self.epsilon = epsilon
        self.queries = queries
        self.pInit = pInit
    }

    /// The window's share of the image at query `i` (0-based), for 5,000 queries or more; the
    /// halvings fall at queries 10, 50, 200, 500, 1000, 2000, 4000, 6000 and 8000.
    public func p(atQuery i: Int) -> Double {
        let bounds = [10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000]
        return pInit / Double(1 << bounds.filter { i > $0 }.count)
    }

    public func perturb(_ model: Classifier, _ images: Tensor, _ labels: [Int], generators: inout [Xoshiro256StarStar]) -> AttackResult {
        precondition(images.rank == 4, "Square: images must be [N, C, H, W], got \(images.shape)")
        let (n, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
        let d = c * h * w, clean = images.scalars
        let ball = ThreatBall(norm: norm, epsilon: epsilon)
        var best = clean
        for row in 0..<n {
            var delta = [Double](repeating: 0, count: d)
            switch norm {
            case .linf:
                // Vertical stripes of ±ε, one sign per channel and column.
                for ch in 0..<c {
                    for col in 0..<w {
                        let sign = generators[row].rademacher()
                        for r in 0..<h { delta[(ch * h + r) * w + col] = epsilon * sign }
                    }
                }
            case .l2:
                // A grid of 5×5 blocks, each holding ±η(s) per channel, rescaled to ‖δ‖₂ = ε.
                let s = h / 5, start = (h - s * 5) / 2
                if s > 0 {
                    for bh in 0..<(h / s) {
                        for bw in 0..<(w / s) {
                            let (vh, vw) = (start + bh * s, start + bw * s)
                            let shape = Self.eta(s, transposed: generators[row].uniform() > 0.5)
                            for ch in 0..<c {
                                let sign = generators[row].rademacher()
                                for a in 0..<s where vh + a < h {
                                    for b in 0..<s where vw + b < w { delta[(ch * h + vh + a) * w + vw + b] += shape[a * s + b] * sign }
                                }
                            }
                        }
                    }
                }
                let scale = epsilon / (ball.length(delta[...]) + 1e-12)
                for i in 0..<d { delta[i] *= scale }
            }
            for i in 0..<d { best[row * d + i] = Swift.min(Swift.max(clean[row * d + i] + delta[i], 0), 1) }
        }
        let firstLogits = logitRows(model, best, shape: images.shape, dtype: images.dtype)
        let classes = firstLogits.count / Swift.max(n, 1)
        var margin = decisionMargins(firstLogits, classes: classes, labels: labels)

        for query in 0..<queries {
            let active = (0..<n).filter { margin[$0] > 0 }
            if active.isEmpty { break }
            let p = p(atQuery: query)
            var candidates = [Double]()
            candidates.reserveCapacity(active.count * d)
            for row in active {
                let x = Array(clean[(row * d)..<((row + 1) * d)])
                var z = Array(best[(row * d)..<((row + 1) * d)])
                switch norm {
                case .linf:
                    let s = Swift.min(Swift.max(Int((p * Double(d) / Double(c)).squareRoot().rounded(.toNearestOrEven)), 1), h, w)
                    let vh = Self.position(h - s, &generators[row]), vw = Self.position(w - s, &generators[row])
                    for ch in 0..<c {
                        let step = 2 * epsilon * generators[row].rademacher()
                        for a in vh..<(vh + s) {
                            for b in vw..<(vw + s) {
                                let i = (ch * h + a) * w + b
                                z[i] = Swift.min(Swift.max(z[i] + step, x[i] - epsilon, 0), x[i] + epsilon, 1)
                            }
                        }
                    }
                case .l2:
                    z = l2Candidate(x: x, best: z, p: p, c: c, h: h, w: w, generator: &generators[row])
                }
                candidates += z
            }
            let logits = logitRows(model, candidates, shape: batchShape(images.shape, active.count), dtype: images.dtype)
            let newMargin = decisionMargins(logits, classes: classes, labels: active.map { labels[$0] })
            for (k, row) in active.enumerated() where newMargin[k] < margin[row] || newMargin[k] <= 0 {
                margin[row] = newMargin[k]
                for i in 0..<d { best[row * d + i] = candidates[k * d + i] }
            }
        }
        return AttackResult(model, clean: clean, candidates: best, claimed: margin.map { $0 <= 0 }, shape: images.shape,
                            dtype: images.dtype, labels: labels, ball: ball)
    }

    /// One ℓ2 proposal: a fresh η(s) pattern plus the old content of window 1 replaces it, window 2
    /// is emptied, and the perturbation is rescaled so that ‖δ‖₂ = ε.
    private func l2Candidate(x: [Double], best: [Double], p: Double, c: Int, h: Int, w: Int,
                             generator: inout Xoshiro256StarStar) -> [Double] {
        let d = x.count
        var delta = (0..<d).map { best[$0] - x[$0] }
        var s = Swift.max(Int((p * Double(d) / Double(c)).squareRoot().rounded(.toNearestOrEven)), 3)
        if s % 2 == 0 { s += 1 }
        s = Swift.min(s, h, w)
        let vh = Self.position(h - s, &generator), vw = Self.position(w - s, &generator)
        let vh2 = Self.position(h - s, &generator), vw2 = Self.position(w - s, &generator)
        func inWindow(_ a: Int, _ b: Int, _ top: Int, _ left: Int) -> Bool { a >= top && a < top + s && b >= left && b < left + s }
        let imageNorm2 = delta.reduce(0) { $0 + $1 * $1 }
        let budget = Swift.max(epsilon * epsilon - imageNorm2, 0) / Double(c)
        let signs = (0..<c).map { _ in generator.rademacher() }
        let shape = Self.eta(s, transposed: generator.uniform() > 0.5)
        var updates = [[Double]]()
        for ch in 0..<c {
            var window1 = 0.0, union = 0.0
            for a in 0..<h {
                for b in 0..<w {
                    let v = delta[(ch * h + a) * w + b]
                    if inWindow(a, b, vh, vw) { window1 += v * v }
                    if inWindow(a, b, vh, vw) || inWindow(a, b, vh2, vw2) { union += v * v }
                }
            }
            let old = window1.squareRoot()
            var fresh = (0..<(s * s)).map { k in shape[k] * signs[ch] + delta[(ch * h + vh + k / s) * w + vw + k % s] / (1e-12 + old) }
            let length = fresh.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let target = (budget + union).squareRoot()
            for k in fresh.indices { fresh[k] = fresh[k] / (1e-12 + length) * target }
            updates.append(fresh)
        }
        for ch in 0..<c {
            for a in vh2..<(vh2 + s) { for b in vw2..<(vw2 + s) { delta[(ch * h + a) * w + b] = 0 } }
            for k in 0..<(s * s) { delta[(ch * h + vh + k / s) * w + vw + k % s] = updates[ch][k] }
        }
        let scale = epsilon / (delta.reduce(0) { $0 + $1 * $1 }.squareRoot() + 1e-12)
        return (0..<d).map { Swift.min(Swift.max(x[$0] + delta[$0] * scale, 0), 1) }
    }

    /// A window's offset, uniform in 0…`last`. The reference code draws from 0..<last, so the last
    /// row and column are never changed after the start; on 28×28 images that hardly matters, on
    /// small ones it leaves pixels out, so every position is allowed here, as the paper describes.
    static func position(_ last: Int, _ generator: inout Xoshiro256StarStar) -> Int {
        Swift.min(Int(generator.uniform() * Double(last + 1)), last)
    }

    /// The s×s ℓ2 proposal pattern of the reference code: two halves of nested squares weighted
    /// 1/(k+1)², of opposite sign, the whole of unit ℓ2 norm; `transposed` flips its orientation.
    static func eta(_ s: Int, transposed: Bool) -> [Double] {
        func rectangles(_ x: Int, _ y: Int) -> [Double] {
            var delta = [Double](repeating: 0, count: x * y)
            let (xc, yc) = (x / 2 + 1, y / 2 + 1)
            var (top, left) = (xc - 1, yc - 1)
            for k in 0..<Swift.max(xc, yc) {
                for a in Swift.max(top, 0)..<Swift.max(Swift.min(top + 2 * k + 1, x), Swift.max(top, 0)) {
                    for b in Swift.max(left, 0)..<Swift.max(Swift.min(left + 2 * k + 1, y), Swift.max(left, 0)) {
                        delta[a * y + b] += 1 / Double((k + 1) * (k + 1))
                    }
                }
                top -= 1
                left -= 1
            }
            let norm = delta.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return norm > 0 ? delta.map { $0 / norm } : delta
        }
        var delta = rectangles(s / 2, s) + rectangles(s - s / 2, s).map { -$0 }
        let norm = delta.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if norm > 0 { delta = delta.map { $0 / norm } }
        guard transposed else { return delta }
        return (0..<(s * s)).map { k in delta[(k % s) * s + k / s] }
    }
}
