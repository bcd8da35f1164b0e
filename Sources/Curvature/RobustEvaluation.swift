import Foundation
import Robustness

/// One model's accuracies under one of a study's attacks at every ε (ε = 0: the clean accuracy).
public struct RobustEvaluation {
    public var attack: RobustAttack
    public var accuracies: [(epsilon: Double, accuracy: Double)]
    /// AutoAttack's masking checks summed over the positive ε, as `eval --attack autoattack-linf`
    /// reports them for the same ε (nil for PGD, and without a positive ε).
    public var masking: MaskingReport?
    /// The samples it ran on: the study's, or (AutoAttack) their first part.
    public var samples: Range<Int>
    /// On a part of the study's samples: PGD's accuracies on that part at the positive ε, so that
    /// the gap PGD − AutoAttack compares the same samples (nil otherwise).
    public var pgdOnSameSamples: [(epsilon: Double, accuracy: Double)]?

    public init(attack: RobustAttack, accuracies: [(epsilon: Double, accuracy: Double)], masking: MaskingReport?, samples: Range<Int>) {
        (self.attack, self.accuracies, self.masking, self.samples) = (attack, accuracies, masking, samples)
    }

    /// The work folder's file of a model's finished ε: PGD's keeps the name it had before
    /// AutoAttack joined the study, so an earlier run's work still resumes; an evaluation of the
    /// first `firstSamples` samples only has its own file, so a resume over all of them starts
    /// afresh rather than mixing the two.
    static func fileName(model index: Int, attack: RobustAttack, firstSamples: Int? = nil) -> String {
        let part = firstSamples.map { ".first\($0)" } ?? ""
        return attack == .pgd && part.isEmpty ? "\(index).eval.csv" : "\(index).\(attack.rawValue)\(part).eval.csv"
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
