/// AutoAttack's reliability checks (Croce & Hein 2020, and the `checks.py` of their code), summed
/// over the batches of one evaluation: signs that a gradient-based robustness figure is inflated.
public struct MaskingReport: Sendable, Equatable {
    /// All samples evaluated (misclassified ones included), the denominator of the accuracies.
    public var samples = 0
    /// Samples only the score-based Square attack broke, after the white-box attacks failed.
    public var brokenOnlyBySquare = 0
    /// Samples where APGD-CE's or APGD-T's loss had ‖∇ₓ‖₁ ≤ `zeroGradientThreshold` at the start.
    public var zeroGradient = 0
    /// Batches whose outputs looked like probabilities (every value in [0, 1] and every row summing
    /// to 1 within `probabilityTolerance`), out of `batches`.
    public var probabilityBatches = 0
    public var batches = 0

    /// The reference check's share: Square lowering the robust accuracy by more than 0.2 points.
    public static let squareShare = 0.002
    public static let probabilityTolerance = 1e-5

    public init() {}

    public mutating func add(_ other: MaskingReport) {
        samples += other.samples
        brokenOnlyBySquare += other.brokenOnlyBySquare
        zeroGradient += other.zeroGradient
        probabilityBatches += other.probabilityBatches
        batches += other.batches
    }

    /// Whether row-major [N, C] outputs look like probabilities rather than logits.
    public static func looksLikeProbabilities(_ outputs: [Double], classes: Int) -> Bool {
        guard !outputs.isEmpty, outputs.allSatisfy({ $0 > -probabilityTolerance && $0 < 1 + probabilityTolerance }) else { return false }
        return (0..<(outputs.count / classes)).allSatisfy { row in
            Swift.abs(outputs[(row * classes)..<((row + 1) * classes)].reduce(0, +) - 1) < probabilityTolerance
        }
    }

    /// One sentence per failed check, empty when the evaluation looks sound.
    public var warnings: [String] {
        var out: [String] = []
        if samples > 0, Double(brokenOnlyBySquare) / Double(samples) > Self.squareShare {
            out.append("the black-box Square attack broke \(brokenOnlyBySquare) of \(samples) samples that APGD-CE, APGD-T and FAB-T did not: "
                       + "the gradients may be masked and the white-box figure unreliable")
        }
        if zeroGradient > 0 {
            out.append("\(zeroGradient) of \(samples) samples had a zero input gradient (‖∇‖₁ ≤ 1e-12) at the start of APGD: "
                       + "gradient-based attacks cannot move them")
        }
        if probabilityBatches > 0 {
            out.append("the model's outputs look like probabilities (in [0, 1], rows summing to 1) in \(probabilityBatches) of \(batches) batches: "
                       + "attacks need logits; a softmax output flattens the losses' gradients")
        }
        return out
    }
}
