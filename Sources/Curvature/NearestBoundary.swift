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
    /// Converged when the linearised distance left, |g_t|/‖∇g_t‖, and the last move are both at
    /// most `tolerance` × max(distance, 1e-3·√d) (the image's scale when x sits almost on it).
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
        /// Whether the tolerance was met with y and t the two largest logits at x_b.
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
        var active = Array(0..<n)
        for iteration in 1...Swift.max(1, maxIterations) {
            guard !active.isEmpty else { break }
            let points = Self.gather(current, rows: active)
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
                let converged = residualDistance <= tolerance * scale && previousMove[b] <= tolerance * scale && topTwo
                if converged || iteration == maxIterations {
                    let cosine = distance > 0 ? (0..<d).reduce(0) { $0 + offset[$1] * target.w[$1] } / (distance * target.norm) : .nan
                    results[b] = Point(target: target.k, point: p, distance: distance, normalCosine: cosine, gradientNorm: target.norm,
                                       residualDistance: residualDistance, iterations: iteration, converged: converged)
                    continue
                }
                // Move to the nearest point of the linearised boundary, seen from x.
                var move = 0.0
                for i in 0..<d {
                    var q = x[b * d + i] - target.a / (target.norm * target.norm) * target.w[i]
                    if box { q = Swift.min(Swift.max(q, 0), 1) }
                    move += (q - p[i]) * (q - p[i])
                    next[b * d + i] = q
                }
                previousMove[b] = move.squareRoot()
                stillActive.append(b)
            }
            current = Tensor(shape: images.shape, scalars: next, dtype: images.dtype)
            active = stillActive
        }
        return results.map { $0! }
    }

    /// The logits at `points` and, per class, every row's gradient of that logit (one backward
    /// pass per class, as DeepFool takes them).
    static func logitsAndGradients(_ model: Classifier, _ points: Tensor) -> (Tensor, [[Double]]) {
        let input = Variable(points, requiresGradient: true)
        let logits = model(input)
        let (rows, classes) = (logits.shape[0], logits.shape[1])
        let perClass = (0..<classes).map { c -> [Double] in
            var seed = [Double](repeating: 0, count: rows * classes)
            for row in 0..<rows { seed[row * classes + c] = 1 }
            return gradients(of: logits, withRespectTo: [input], seed: Tensor(shape: logits.shape, scalars: seed, dtype: logits.dtype))[0].value.scalars
        }
        return (logits.value, perClass)
    }

    /// The rows of a [N, …] tensor at `rows`, in that order.
    static func gather(_ t: Tensor, rows: [Int]) -> Tensor {
        let d = t.count / t.shape[0], values = t.scalars
        var picked = [Double]()
        picked.reserveCapacity(rows.count * d)
        for r in rows { picked += values[(r * d)..<((r + 1) * d)] }
        return Tensor(shape: [rows.count] + Array(t.shape.dropFirst()), scalars: picked, dtype: t.dtype)
    }
}

