/// FAB's projection step (Croce & Hein 2019, Sec. 3.1): the shortest `d` (ℓ∞ or ℓ2) with
/// w·(t + d) = b and t + d inside the box [0, 1]. When the box keeps the hyperplane out of reach, the
/// box point that gets closest to it (every coordinate pushed to its bound) is returned, as the
/// reference code does.
///
/// Both norms reduce to one monotone function of a scalar: with the sign of w chosen so that the
/// plane lies ahead (c = b − w·t ≥ 0), coordinate i moves by sign(w_i)·min(τ_i(λ), room_i), where
/// room_i is the distance to the box in that direction, and λ is the smallest value reaching c.
/// Sorting the breakpoints gives λ exactly.
enum BoundaryProjection {
    static func project(_ t: ArraySlice<Double>, w: [Double], b: Double, norm: ThreatNorm) -> [Double] {
        let d = w.count
        precondition(t.count == d, "projection: \(t.count) coordinates, \(d) weights")
        var c = b
        for (i, ti) in zip(0..<d, t) { c -= w[i] * ti }
        let flip: Double = c < 0 ? -1 : 1
        c *= flip
        // (breakpoint λ_i, the coordinate's contribution slope, room_i, index)
        var parts: [(lambda: Double, slope: Double, room: Double, index: Int)] = []
        parts.reserveCapacity(d)
        for (i, ti) in zip(0..<d, t) {
            let wi = w[i] * flip
            let negligible = norm == .l2 ? Swift.abs(wi) < 1e-8 : wi == 0
            guard !negligible else { continue }
            let room = wi > 0 ? 1 - ti : ti
            let a = Swift.abs(wi)
            switch norm {
            case .linf: parts.append((room, a, room, i))          // |d_i| = min(λ, room_i), gain a·|d_i|
            case .l2: parts.append((room / a, a * a, room, i))     // |d_i| = min(λ·a, room_i), gain a·|d_i|
            }
        }
        parts.sort { $0.lambda < $1.lambda }
        var slope = parts.reduce(0) { $0 + $1.slope }
        var (gained, previous) = (0.0, 0.0)
        var lambda = Double.infinity
        for part in parts {
            let next = gained + slope * (part.lambda - previous)
            if next >= c {
                lambda = slope > 0 ? previous + (c - gained) / slope : previous
                break
            }
            (gained, previous) = (next, part.lambda)
            slope -= part.slope
        }
        var out = [Double](repeating: 0, count: d)
        for part in parts {
            let direction: Double = w[part.index] * flip > 0 ? 1 : -1
            let size: Double
            switch norm {
            case .linf: size = Swift.min(lambda, part.room)
            case .l2: size = Swift.min(lambda * part.slope.squareRoot(), part.room)
            }
            out[part.index] = direction * size
        }
        return out
    }
}
