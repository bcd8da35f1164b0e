import Autodiff
import Robustness
import Tensors

/// The point of the decision boundary nearest (in ℓ2) to each sample.
///
/// For the label y and each other class k, g_k = z_y − z_k. From the current point p, the boundary
/// of class k linearised at p is {q : g_k(p) + ∇g_k(p)·(q − p) = 0}; its point nearest to the
/// sample x is q_k = x − a_k ∇g_k/‖∇g_k‖², a_k = g_k(p) + ∇g_k(p)·(x − p), at distance |a_k|/‖∇g_k‖.
/// Each iteration moves p to the nearest q_k over k (DeepFool's choice of class, projected from x
/// rather than stepped from p). A fixed point has g_t(p) = 0 and x − p parallel to ∇g_t(p): the
/// first-order conditions of the nearest boundary point. Near it the iteration is Newton's method
/// for those conditions, so it converges quickly while curvature × distance stays below 1.
public struct NearestBoundarySearch: Sendable {
    /// Converged when the linearised distance left, |g_t|/‖∇g_t‖, and the misalignment of x − p
    /// with the normal (its component across it; with the box, the last move) are both at most
    /// `tolerance` × max(distance, 1e-3·√d) (the image's scale when x sits almost on it).
    public var tolerance: Double
    public var maxIterations: Int
    /// Keep every iterate in the image box [0, 1] (the nearest *image* on the boundary); without
    /// it, the geometry of the function itself.
    public var box: Bool

    public init(tolerance: Double, maxIterations: Int = 200, box: Bool = false) {
        self.tolerance = tolerance
        self.maxIterations = maxIterations
        self.box = box
    }

    /// One sample's outcome.
    public struct Point: Sendable {
        /// The class across the boundary.
        public var target: Int
        /// The boundary point, `d` values.
        public var point: [Double]
        /// ‖x_b − x‖₂.
        public var distance: Double
        /// (x − x_b)·n/‖x − x_b‖ with n = ∇g/‖∇g‖: 1 when x_b is locally nearest.
        public var normalCosine: Double
        /// ‖∇g(x_b)‖.
        public var gradientNorm: Double
        /// |g(x_b)|/‖∇g(x_b)‖: the distance left to the boundary, to first order.
        public var residualDistance: Double
        public var iterations: Int
        /// Whether x_b is on the boundary to the tolerance, with y and t the two largest logits
        /// there (how near to locally nearest it is, `normalCosine` says).
        public var converged: Bool
    }

    /// The nearest boundary point of each sample of `images` away from `labels` (each sample's own
    /// class: its prediction); samples run independently, each to its own convergence.
    public func search(_ model: Classifier, images: Tensor, labels: [Int]) -> [Point] {
        let n = labels.count, d = images.count / Swift.max(n, 1)
        let x = images.scalars
        var current = images
        var results = [Point?](repeating: nil, count: n)
        var previousMove = [Double](repeating: .infinity, count: n)
        // Damping: each sample's last accepted point, its merit and its projection F(p), and the
        // step fraction α. Where curvature × distance nears 1, the full step overshoots and the
        // iterates circle the nearest point; a step that raises the merit ½‖p − x‖² + μ|g|/‖∇g‖
        // (the ℓ1 merit of sequential quadratic programming; μ twice the first linearised distance,
        // above the multiplier's size, so the nearest boundary point minimises it) is undone and
        // retried at half the length.
        var accepted = [(point: [Double], merit: Double, projection: [Double])?](repeating: nil, count: n)
        var alpha = [Double](repeating: 1, count: n)
        var weight = [Double](repeating: 0, count: n)
        var active = Array(0..<n)
        for iteration in 1...Swift.max(1, maxIterations) {
            guard !active.isEmpty else { break }
            let points = current.rows(at: active)
            let (logits, classGradients) = Self.logitsAndGradients(model, points)
            let classes = logits.shape[1], z = logits.scalars
            var next = current.scalars
            var stillActive: [Int] = []
            for (r, b) in active.enumerated() {
                let y = labels[b]
                let p = Array(points.scalars[(r * d)..<((r + 1) * d)])
                var best: (k: Int, a: Double, w: [Double], norm: Double, linearDistance: Double)?
                for k in 0..<classes where k != y {
                    let w = (0..<d).map { classGradients[y][r * d + $0] - classGradients[k][r * d + $0] }
                    let norm2 = w.reduce(0) { $0 + $1 * $1 }
                    guard norm2 > 0 else { continue }
                    let g = z[r * classes + y] - z[r * classes + k]
                    var a = g
                    for i in 0..<d { a += w[i] * (x[b * d + i] - p[i]) }
                    let linearDistance = Swift.abs(a) / norm2.squareRoot()
                    if best == nil || linearDistance < best!.linearDistance { best = (k, a, w, norm2.squareRoot(), linearDistance) }
                }
                guard let target = best else {
                    results[b] = Point(target: -1, point: p, distance: .nan, normalCosine: .nan, gradientNorm: 0, residualDistance: .nan,
                                       iterations: iteration, converged: false)
                    continue
                }
                // The state at p: its own distance to the boundary and its alignment.
                let g = z[r * classes + y] - z[r * classes + target.k]
                let offset = (0..<d).map { x[b * d + $0] - p[$0] }
                let distance = offset.reduce(0) { $0 + $1 * $1 }.squareRoot()
                let scale = Swift.max(distance, 1e-3 * Double(d).squareRoot())
                let others = (0..<classes).filter { $0 != y && $0 != target.k }.map { z[r * classes + $0] }
                let topTwo = others.allSatisfy { $0 <= Swift.max(z[r * classes + y], z[r * classes + target.k]) }
                let residualDistance = Swift.abs(g) / target.norm
                let along = (0..<d).reduce(0) { $0 + offset[$1] * target.w[$1] } / target.norm
                let misalignment = Swift.max(distance * distance - along * along, 0).squareRoot()
                let aligned = box ? previousMove[b] <= tolerance * scale : misalignment <= tolerance * scale
                let converged = residualDistance <= tolerance * scale && aligned && topTwo
                let stalled = alpha[b] < 1.0 / 1024
                if converged || stalled || iteration == maxIterations {
                    // The point of least merit, whose state the closing projection recomputes.
                    let best = converged ? p : (accepted[b]?.point ?? p)
                    results[b] = Point(target: target.k, point: best, distance: distance, normalCosine: .nan, gradientNorm: target.norm,
                                       residualDistance: residualDistance, iterations: iteration, converged: converged)
                    continue
                }
                // F(p): the nearest point of the boundary linearised at p, seen from x.
                var projection = [Double](repeating: 0, count: d)
                for i in 0..<d {
                    projection[i] = x[b * d + i] - target.a / (target.norm * target.norm) * target.w[i]
                    if box { projection[i] = Swift.min(Swift.max(projection[i], 0), 1) }
                }
                if iteration == 1 { weight[b] = 2 * target.linearDistance }
                let merit = distance * distance / 2 + weight[b] * residualDistance
                if let last = accepted[b], merit > last.merit {
                    alpha[b] /= 2
                } else {
                    accepted[b] = (p, merit, projection)
                    if iteration > 1 { alpha[b] = Swift.min(1, 2 * alpha[b]) }
                }
                let base = accepted[b]!
                var move = 0.0
                for i in 0..<d {
                    let q = base.point[i] + alpha[b] * (base.projection[i] - base.point[i])
                    move += (q - p[i]) * (q - p[i])
                    next[b * d + i] = q
                }
                previousMove[b] = move.squareRoot()
                stillActive.append(b)
            }
            current = Tensor(shape: images.shape, scalars: next, dtype: images.dtype)
            active = stillActive
        }
        return closingProjection(model, images: images, labels: labels, found: results.map { $0! })
    }

    /// Newton's method on g_t alone (p ← p − g ∇g/‖∇g‖², the class t held) from each search's
    /// point, until |g|/‖∇g‖ meets the tolerance: a point where the search stalled short of
    /// alignment is still put on the boundary, its curvature there exact; `normalCosine` then
    /// says how far from locally nearest it is. Recomputes every reported quantity at the end.
    func closingProjection(_ model: Classifier, images: Tensor, labels: [Int], found: [Point]) -> [Point] {
        let n = labels.count, d = images.count / Swift.max(n, 1), x = images.scalars
        var results = found
        var current = found.flatMap(\.point)
        // Only the points still moving are evaluated again.
        var pending = (0..<n).filter { found[$0].target >= 0 }
        for round in 0...20 where !pending.isEmpty {
            let points = Tensor(shape: images.shape, scalars: current, dtype: images.dtype).rows(at: pending)
            let (logits, classGradients) = Self.logitsAndGradients(model, points)
            let classes = logits.shape[1], z = logits.scalars
            var moved: [Int] = []
            for (r, b) in pending.enumerated() {
                let (y, t) = (labels[b], found[b].target)
                let w = (0..<d).map { classGradients[y][r * d + $0] - classGradients[t][r * d + $0] }
                let norm = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
                let g = z[r * classes + y] - z[r * classes + t]
                let offset = (0..<d).map { x[b * d + $0] - current[b * d + $0] }
                let distance = offset.reduce(0) { $0 + $1 * $1 }.squareRoot()
                let scale = Swift.max(distance, 1e-3 * Double(d).squareRoot())
                let residualDistance = norm > 0 ? Swift.abs(g) / norm : .infinity
                let topTwo = (0..<classes).allSatisfy { $0 == y || $0 == t || z[r * classes + $0] <= Swift.max(z[r * classes + y], z[r * classes + t]) }
                let onBoundary = residualDistance <= tolerance * scale && topTwo
                let along = norm > 0 ? (0..<d).reduce(0) { $0 + offset[$1] * w[$1] } / norm : 0
                results[b] = Point(target: t, point: Array(current[(b * d)..<((b + 1) * d)]), distance: distance,
                                   normalCosine: distance > 0 ? along / distance : .nan, gradientNorm: norm, residualDistance: residualDistance,
                                   iterations: found[b].iterations + round, converged: onBoundary)
                guard !onBoundary, norm > 0, round < 20 else { continue }
                for i in 0..<d {
                    var q = current[b * d + i] - g / (norm * norm) * w[i]
                    if box { q = Swift.min(Swift.max(q, 0), 1) }
                    current[b * d + i] = q
                }
                moved.append(b)
            }
            pending = moved
        }
        return results
    }

    /// The logits at `points` and, per class, every row's gradient of that logit (one backward
    /// pass per class, as DeepFool takes them).
    static func logitsAndGradients(_ model: Classifier, _ points: Tensor) -> (Tensor, [[Double]]) {
        let input = Variable(points, requiresGradient: true)
        let logits = model(input)
        return (logits.value, classGradients(of: logits, withRespectTo: input))
    }
}

