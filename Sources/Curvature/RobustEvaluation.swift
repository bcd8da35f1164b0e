import Foundation
import Robustness

/// One model's accuracies under one of a study's attacks at every ε (ε = 0: the clean accuracy).
public struct RobustEvaluation {
    public var attack: RobustAttack
    public var accuracies: [(epsilon: Double, accuracy: Double)]
    /// AutoAttack's masking checks summed over the positive ε, as `eval --attack autoattack-linf`
    /// reports them for the same ε (nil for PGD, and without a positive ε).
    public var masking: MaskingReport?

    /// The work folder's file of a model's finished ε: PGD's keeps the name it had before
    /// AutoAttack joined the study, so an earlier run's work still resumes.
    static func fileName(model index: Int, attack: RobustAttack) -> String {
        attack == .pgd ? "\(index).eval.csv" : "\(index).\(attack.rawValue).eval.csv"
    }
}

/// One finished ε of an evaluation as kept in the work folder: `epsilon,accuracy`, and for
/// AutoAttack its masking counts `,samples,square_only,zero_gradient,probability_batches,batches`.
struct EvaluationRecord {
    var epsilon: Double
    var accuracy: Double
    var masking: MaskingReport?

    var line: String {
        var fields = ["\(epsilon)", String(format: "%.4f", accuracy)]
        if let m = masking { fields += [m.samples, m.brokenOnlyBySquare, m.zeroGradient, m.probabilityBatches, m.batches].map(String.init) }
        return fields.joined(separator: ",")
    }

    init(epsilon: Double, accuracy: Double, masking: MaskingReport?) {
        (self.epsilon, self.accuracy, self.masking) = (epsilon, accuracy, masking)
    }

    init?(line: Substring) {
        let fields = line.split(separator: ",")
        guard fields.count == 2 || fields.count == 7, let epsilon = Double(fields[0]), let accuracy = Double(fields[1]) else { return nil }
        (self.epsilon, self.accuracy) = (epsilon, accuracy)
        guard fields.count == 7 else { return }
        let counts = fields.dropFirst(2).compactMap { Int($0) }
        guard counts.count == 5 else { return nil }
        var m = MaskingReport()
        (m.samples, m.brokenOnlyBySquare, m.zeroGradient, m.probabilityBatches, m.batches) = (counts[0], counts[1], counts[2], counts[3], counts[4])
        masking = m
    }

    /// The records of a finished evaluation's file; none if it does not exist.
    static func read(_ url: URL) throws -> [EvaluationRecord] {
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        return try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { line in
            guard let record = EvaluationRecord(line: line) else {
                throw RunError("\(url.path): '\(line.prefix(80))' is not a finished evaluation; delete the folder to start afresh")
            }
            return record
        }
    }
}
