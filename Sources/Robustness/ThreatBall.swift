import Classifiers
import Foundation
import Randomness
import Tensors

/// The set an attack may move a sample in: the ε-ball of `norm` around the clean image,
/// intersected with the image box [0, 1]. Rows are flat arrays of one sample's pixels.
struct ThreatBall {
    let norm: ThreatNorm
    let epsilon: Double

    /// ‖v‖ of the `count` values at `v`.
    func length(_ v: UnsafePointer<Double>, count: Int) -> Double {
        length(UnsafeBufferPointer(start: v, count: count))
    }

    /// ‖v‖ in this ball's norm.
    func length<Values: Sequence<Double>>(_ v: Values) -> Double {
        switch norm {
        case .linf: return v.reduce(0) { Swift.max($0, Swift.abs($1)) }
        case .l2: return v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        }
    }

    /// `point` projected onto the ball around `center` and then clipped to [0, 1]. Clipping a
    /// coordinate moves it towards the centre (which is in the box), so the result stays in the ball.
    func project(_ point: inout [Double], around center: [Double], row: Int, width d: Int) {
        let range = (row * d)..<((row + 1) * d)
        switch norm {
        case .linf:
            for i in range { point[i] = Swift.min(Swift.max(point[i], center[i] - epsilon, 0), center[i] + epsilon, 1) }
        case .l2:
            var squared = 0.0
            for i in range { squared += (point[i] - center[i]) * (point[i] - center[i]) }
            let scale = Swift.min(1, epsilon / Swift.max(squared.squareRoot(), 1e-12))
            for i in range { point[i] = Swift.min(Swift.max(center[i] + (point[i] - center[i]) * scale, 0), 1) }
        }
    }
}

/// What an attack returns: the adversarial images (the clean image where it failed) and which
/// samples it fooled, as checked on the returned images themselves.
public struct AttackResult {
    public let images: Tensor
    public let fooled: [Bool]
    /// Samples whose loss had a vanishing input gradient (‖∇‖₁ ≤ `zeroGradientThreshold`) where a
    /// gradient attack started: a sign of gradient masking. All false for score-based attacks.
    public internal(set) var zeroGradient: [Bool]

    /// Clips `candidates` into the ball and the box once more, re-evaluates the model on them and
    /// keeps a candidate only where it really is misclassified: an attack never reports a success
    /// that the returned image does not show. `claimed` rows are the only ones considered.
    init(_ model: Classifier, clean: [Double], candidates: [Double], claimed: [Bool], shape: [Int], dtype: DType,
         labels: [Int], ball: ThreatBall) {
        let n = labels.count, d = clean.count / Swift.max(n, 1)
        var result = clean
        var rows = [Int]()
        var checked = candidates
        for row in 0..<n where claimed[row] {
            ball.project(&checked, around: clean, row: row, width: d)
            rows.append(row)
        }
        var fooled = [Bool](repeating: false, count: n)
        if !rows.isEmpty {
            let subset = rows.flatMap { checked[($0 * d)..<(($0 + 1) * d)] }
            var subShape = shape
            subShape[0] = rows.count
            let logits = logitRows(model, subset, shape: subShape, dtype: dtype)
            let predicted = argmaxRows(logits, classes: logits.count / rows.count)
            for (k, row) in rows.enumerated() where predicted[k] != labels[row] {
                fooled[row] = true
                for i in (row * d)..<((row + 1) * d) { result[i] = checked[i] }
            }
        }
        images = Tensor(shape: shape, scalars: result, dtype: dtype)
        self.fooled = fooled
        zeroGradient = [Bool](repeating: false, count: n)
    }
}

/// One generator per sample for one attack: the stream is the sample's index in its split and the
/// attack's `tag` is mixed into the seed, so the attacks of an ensemble draw independent numbers
/// and a sample's draws do not depend on its batch.
func sampleStreams(seed: UInt64, tag: UInt64, indices: [Int]) -> [Xoshiro256StarStar] {
    let attackSeed = seed ^ SplitMix64.mix(tag &+ 0x9E37_79B9_7F4A_7C15)
    return indices.map { Xoshiro256StarStar(seed: attackSeed, stream: UInt64(bitPattern: Int64($0))) }
}

extension Array where Element == Double {
    /// The rows `rows` (each `d` values wide), concatenated.
    func gatherRows(_ rows: [Int], width d: Int) -> [Double] {
        var out = [Double]()
        out.reserveCapacity(rows.count * d)
        for row in rows { out.append(contentsOf: self[(row * d)..<((row + 1) * d)]) }
        return out
    }

    /// Writes `values` (rows of `d`) into rows `rows`.
    mutating func scatterRows(_ rows: [Int], from values: [Double], width d: Int) {
        for (k, row) in rows.enumerated() {
            for i in 0..<d { self[row * d + i] = values[k * d + i] }
        }
    }
}

/// `shape` with its first dimension set to `count`.
func batchShape(_ shape: [Int], _ count: Int) -> [Int] {
    var s = shape
    s[0] = count
    return s
}
