import Autodiff
import Classifiers
import Randomness
import Tensors

/// APGD-T (Croce & Hein 2020): APGD on the targeted DLR loss, one run per target class, the
/// targets being the `targetClasses` highest-scoring other classes at the clean image (2nd, 3rd, …
/// highest logit), each run only on the samples no earlier run has fooled.
public struct APGDTargeted: Sendable {
    public var apgd: APGD
    public var targetClasses: Int

    public init(norm: ThreatNorm, epsilon: Double, iterations: Int = 100, targetClasses: Int = 9) {
        apgd = APGD(norm: norm, epsilon: epsilon, iterations: iterations)
        self.targetClasses = targetClasses
    }

    public func perturb(_ model: Classifier, _ images: Tensor, _ labels: [Int], generators: inout [Xoshiro256StarStar]) -> AttackResult {
        let clean = images.scalars, n = labels.count, d = clean.count / Swift.max(n, 1)
        let logits = evaluate(model, images).scalars, classes = logits.count / Swift.max(n, 1)
        // Classes of each row by clean logit, highest first (stable on ties).
        let ranked = (0..<n).map { row -> [Int] in
            let z = logits[(row * classes)..<((row + 1) * classes)]
            return (0..<classes).sorted { z[row * classes + $0] != z[row * classes + $1] ? z[row * classes + $0] > z[row * classes + $1] : $0 < $1 }
        }
        var fooled = [Bool](repeating: false, count: n), zeroGradient = fooled
        var found = clean
        for k in 1...Swift.max(1, Swift.min(targetClasses, classes - 1)) {
            let rows = (0..<n).filter { !fooled[$0] }
            if rows.isEmpty { break }
            // The k-th other class: for a correctly classified sample ranked[k] is the (k+1)-th
            // highest logit; for a sample whose label is not on top the label is skipped.
            let targets = (0..<n).map { row in ranked[row].filter { $0 != labels[row] }[k - 1] }
            let run = apgd.run(model, clean: clean, rows: rows, shape: images.shape, dtype: images.dtype, labels: labels,
                               loss: .targetedDLR(targets: rows.map { targets[$0] }), generators: &generators)
            for (j, row) in rows.enumerated() {
                if k == 1 && run.zeroGradient[j] { zeroGradient[row] = true }
                guard run.fooled[j] else { continue }
                fooled[row] = true
                found.scatterRows([row], from: run.adversarial.gatherRows([j], width: d), width: d)
            }
        }
        var result = AttackResult(model, clean: clean, candidates: found, claimed: fooled, shape: images.shape, dtype: images.dtype,
                                  labels: labels, ball: ThreatBall(norm: apgd.norm, epsilon: apgd.epsilon))
        result.zeroGradient = zeroGradient
        return result
    }
}
