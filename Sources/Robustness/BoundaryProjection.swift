/// FAB's projection step (Croce & Hein 2019, Sec. 3.1): the shortest `d` (ℓ∞ or ℓ2) with
/// w·(t + d) = b and t + d inside the box [0, 1]. When the box keeps the hyperplane out of reach, the
/// box point that gets closest to it (every coordinate pushed to its bound) is returned, as the
/// reference code does.
///
/// Both norms reduce to one monotone function of a scalar: with the sign of w chosen so that the
/// plane lies ahead (c = b − w·t ≥ 0), coordinate i moves by sign(w_i)·min(τ_i(λ), room_i), where
/// room_i is the distance to the box in that direction, and gains s_i·min(λ, β_i) towards c
/// (ℓ∞: s = |w_i|, β = room_i; ℓ2: s = w_i², β = room_i/|w_i|). λ is the smallest value whose
/// total gain f(λ) = Σ s_i·min(λ, β_i) reaches c. It is found by selection (three-way partitions
/// around a breakpoint, expected O(d)) rather than by sorting the breakpoints: FAB projects twice
/// per sample and iteration, and the sort was a tenth of an AutoAttack run.
enum BoundaryProjection {
    /// `out[i]` = the step of coordinate i; `t`, `w` and `out` hold `d` values each.
    static func project(_ t: UnsafePointer<Double>, w: UnsafePointer<Double>, b: Double, count d: Int,
                        norm: ThreatNorm, into out: UnsafeMutablePointer<Double>) {
        var c = b
        for i in 0..<d { c -= w[i] * t[i] }
        let flip: Double = c < 0 ? -1 : 1
        c *= flip
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 3 * d) { scratch in
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: d) { candidates in
                let breakpoint = scratch.baseAddress!, slope = breakpoint + d, room = slope + d
                var count = 0
                for i in 0..<d {
                    out[i] = 0
                    let wi = w[i] * flip
                    let negligible = norm == .l2 ? Swift.abs(wi) < 1e-8 : wi == 0
                    guard !negligible else { continue }
                    room[i] = wi > 0 ? 1 - t[i] : t[i]
                    let a = Swift.abs(wi)
                    (breakpoint[i], slope[i]) = norm == .linf ? (room[i], a) : (room[i] / a, a * a)
                    candidates[count] = Int32(i)
                    count += 1
                }
                let lambda = level(reaching: c, breakpoint, slope, candidates.baseAddress!, count)
                for k in 0..<count {
                    let i = Int(candidates[k])
                    let direction: Double = w[i] * flip > 0 ? 1 : -1
                    let size = norm == .linf ? Swift.min(lambda, room[i]) : Swift.min(lambda * slope[i].squareRoot(), room[i])
                    out[i] = direction * size
                }
            }
        }
    }

    /// The smallest λ ≥ 0 with Σ s_i·min(λ, β_i) ≥ c over the candidates, or infinity when even
    /// λ = ∞ falls short. Reorders `candidates` (the set, not its meaning, is what callers read).
    private static func level(reaching c: Double, _ breakpoint: UnsafePointer<Double>, _ slope: UnsafePointer<Double>,
                              _ candidates: UnsafeMutablePointer<Int32>, _ count: Int) -> Double {
        // Coordinates already known to lie below λ* contribute s·β (`below`), those above it s·λ
        // (`above` sums their s); the rest, [low, high), are still undecided.
        var (below, above) = (0.0, 0.0)
        var (low, high) = (0, count)
        func swapAt(_ a: Int, _ b: Int) { (candidates[a], candidates[b]) = (candidates[b], candidates[a]) }
        while low < high {
            let pivot = breakpoint[Int(candidates[low + (high - low) / 2])]
            // Dutch-flag partition: [low, less) < pivot, [less, next) == pivot, (greater, high) > pivot.
            var (less, next, greater) = (low, low, high - 1)
            var (lessGain, equalSlope, greaterSlope) = (0.0, 0.0, 0.0)
            while next <= greater {
                let i = Int(candidates[next]), beta = breakpoint[i]
                if beta < pivot {
                    lessGain += slope[i] * beta
                    swapAt(less, next)
                    less += 1
                    next += 1
                } else if beta > pivot {
                    greaterSlope += slope[i]
                    swapAt(next, greater)
                    greater -= 1
                } else {
                    equalSlope += slope[i]
                    next += 1
                }
            }
            if below + lessGain + pivot * (above + equalSlope + greaterSlope) >= c {
                above += equalSlope + greaterSlope  // λ* ≤ pivot: the rest lie above it
                high = less
            } else {
                below += lessGain + pivot * equalSlope  // λ* > pivot: these are saturated
                low = next
            }
        }
        return above > 0 ? Swift.max((c - below) / above, 0) : .infinity
    }
}
