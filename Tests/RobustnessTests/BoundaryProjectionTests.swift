import Randomness
@testable import Robustness
import XCTest

/// FAB's projection onto {z : w·z = b} ∩ [0, 1]^d against a reference computed independently: the
/// level λ found by bisection on the total gain f(λ) = Σ s_i·min(λ, β_i), then each coordinate's
/// step from the closed form, on random problems with zero weights, ties and unreachable planes.
final class BoundaryProjectionTests: XCTestCase {
    func reference(_ t: [Double], _ w: [Double], _ b: Double, _ norm: ThreatNorm) -> [Double] {
        var c = b
        for i in t.indices { c -= w[i] * t[i] }
        let flip: Double = c < 0 ? -1 : 1
        c *= flip
        let moving = t.indices.filter { norm == .l2 ? Swift.abs(w[$0]) >= 1e-8 : w[$0] != 0 }
        let room = t.indices.map { w[$0] * flip > 0 ? 1 - t[$0] : t[$0] }
        func size(_ i: Int, _ lambda: Double) -> Double {
            norm == .linf ? Swift.min(lambda, room[i]) : Swift.min(lambda * Swift.abs(w[i]), room[i])
        }
        func gain(_ lambda: Double) -> Double { moving.reduce(0) { $0 + Swift.abs(w[$1]) * size($1, lambda) } }
        var lambda = Double.infinity
        if gain(.greatestFiniteMagnitude) >= c {
            var (low, high) = (0.0, 1.0)
            while gain(high) < c { high *= 2 }
            for _ in 0..<200 { let middle = (low + high) / 2; if gain(middle) >= c { high = middle } else { low = middle } }
            lambda = high
        }
        var out = [Double](repeating: 0, count: t.count)
        for i in moving { out[i] = (w[i] * flip > 0 ? 1 : -1) * size(i, lambda) }
        return out
    }

    func testAgreesWithBisectionOnRandomProblems() {
        var generator = Xoshiro256StarStar(seed: 7)
        for trial in 0..<400 {
            let d = 1 + Int(generator.uniform() * 40)
            // Pixels at the box's faces and repeated values make ties among the breakpoints.
            let t = (0..<d).map { _ -> Double in
                let u = generator.uniform()
                return u < 0.2 ? 0 : u < 0.3 ? 1 : u < 0.4 ? 0.5 : generator.uniform()
            }
            let w = (0..<d).map { _ -> Double in generator.uniform() < 0.15 ? 0 : generator.normal() }
            let current = zip(w, t).reduce(0) { $0 + $1.0 * $1.1 }
            let b = current + (generator.uniform() - 0.5) * (trial % 4 == 0 ? 40 : 2)
            for norm in ThreatNorm.allCases {
                var out = [Double](repeating: .nan, count: d)
                t.withUnsafeBufferPointer { t in
                    w.withUnsafeBufferPointer { w in
                        out.withUnsafeMutableBufferPointer { out in
                            BoundaryProjection.project(t.baseAddress!, w: w.baseAddress!, b: b, count: d, norm: norm, into: out.baseAddress!)
                        }
                    }
                }
                let expected = reference(t, w, b, norm)
                for i in 0..<d {
                    XCTAssertEqual(out[i], expected[i], accuracy: 1e-9, "trial \(trial) \(norm) coordinate \(i)")
                    XCTAssertTrue(t[i] + out[i] >= -1e-12 && t[i] + out[i] <= 1 + 1e-12, "trial \(trial) \(norm): inside the box")
                }
                // Where the box lets the plane be reached, the step lands on it.
                let reach = zip(w, t).reduce(0) { $0 + Swift.abs($1.0) * ($1.0 * (b - current) > 0 ? 1 - $1.1 : $1.1) }
                if reach > Swift.abs(b - current) * (1 + 1e-9) {
                    let landed = zip(w, zip(t, out)).reduce(0) { $0 + $1.0 * ($1.1.0 + $1.1.1) }
                    XCTAssertEqual(landed, b, accuracy: 1e-9 * Swift.max(1, Swift.abs(b)), "trial \(trial) \(norm): on the plane")
                }
            }
        }
    }
}
