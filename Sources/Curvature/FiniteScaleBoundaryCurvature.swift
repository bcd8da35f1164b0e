import Robustness
import Tensors

/// The boundary's curvature at a finite scale h, for any network (a ReLU network's ∇²g is zero
/// almost everywhere, so only a finite scale shows how its piecewise-linear boundary bends).
///
/// Along a unit tangent u at the boundary point x_b with unit normal n, the boundary crosses the
/// line x_b + s·u + o·n at an offset o(s) towards the label's side; κ_h(u) = (o(h) + o(−h))/h², which
/// tends to κ(u) as h → 0 on a smooth boundary (o(s) = κs²/2 + O(s³)). o is the root of the margin
/// z_y − max_{k≠y} z_k along the line in n (positive on the label's side), bracketed by doubling
/// from ±h and then bisected to `tolerance`·h², so κ_h is resolved to 2·tolerance (the `residual`).
public struct FiniteScaleBoundaryCurvature: Sendable {
    public var tolerance: Double
    public var maxExpansions = 30

    public init(tolerance: Double) { self.tolerance = tolerance }

    /// One query: a boundary point, its label, normal and a tangent direction, at scale h.
    public struct Query: Sendable {
        public var point: [Double], label: Int, normal: [Double], direction: [Double], h: Double
        public init(point: [Double], label: Int, normal: [Double], direction: [Double], h: Double) {
            (self.point, self.label, self.normal, self.direction, self.h) = (point, label, normal, direction, h)
        }
    }

    /// κ_h for each query, nil where no crossing was bracketed on one side.
    public func curvatures(_ model: Classifier, _ queries: [Query], imageShape: [Int], dtype: DType) -> [Double?] {
        // Two root searches per query: s = +h and s = −h.
        let searches = queries.flatMap { q in [1.0, -1.0].map { (query: q, s: $0 * q.h) } }
        let d = queries.first?.point.count ?? 0
        func margins(_ offsets: [Double], _ rows: [Int]) -> [Double] {
            var pixels = [Double]()
            pixels.reserveCapacity(rows.count * d)
            for (r, i) in rows.enumerated() {
                let (q, s) = searches[i]
                for j in 0..<d { pixels.append(q.point[j] + s * q.direction[j] + offsets[r] * q.normal[j]) }
            }
            let logits = evaluate(model, Tensor(shape: [rows.count] + imageShape, scalars: pixels, dtype: dtype))
            return decisionMargins(logits.scalars, classes: logits.shape[1], labels: rows.map { searches[$0].query.label })
        }
        // Bracket: the margin is positive on the label's side (o > 0) and negative across.
        var low = searches.map { -$0.query.h }, high = searches.map { $0.query.h }
        var bracketed = [Bool](repeating: false, count: searches.count)
        var pending = Array(searches.indices)
        for _ in 0...maxExpansions where !pending.isEmpty {
            let below = margins(pending.map { low[$0] }, pending), above = margins(pending.map { high[$0] }, pending)
            var next: [Int] = []
            for (r, i) in pending.enumerated() {
                if below[r] <= 0 && above[r] > 0 { bracketed[i] = true; continue }
                if below[r] > 0 { low[i] *= 2 }
                if above[r] <= 0 { high[i] *= 2 }
                next.append(i)
            }
            pending = next
        }
        // Bisection to tolerance·h², every search in lock-step.
        var active = searches.indices.filter { bracketed[$0] }
        while !active.isEmpty {
            let middle = active.map { (low[$0] + high[$0]) / 2 }
            let values = margins(middle, active)
            var next: [Int] = []
            for (r, i) in active.enumerated() {
                if values[r] > 0 { high[i] = middle[r] } else { low[i] = middle[r] }
                let h = searches[i].query.h
                if high[i] - low[i] > tolerance * h * h { next.append(i) }
            }
            active = next
        }
        return queries.indices.map { q in
            let (plus, minus) = (2 * q, 2 * q + 1)
            guard bracketed[plus], bracketed[minus] else { return nil }
            let h = queries[q].h
            return ((low[plus] + high[plus]) / 2 + (low[minus] + high[minus]) / 2) / (h * h)
        }
    }
}
