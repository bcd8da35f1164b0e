import ArgumentParser
import Curvature
import Foundation

struct Attack: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Attack samples and report each one's perturbation.",
        discussion: """
            Writes CSV `sample,label,predicted,adversarial_predicted,norm_l2,norm_linf,status,broken_by`, one row per sample \
            (`sample` is the index within the split; `broken_by` names the attack that fooled it — for \
            autoattack-* the ensemble's member apgd-ce, apgd-t, fab-t or square — and is empty otherwise). `status` is `misclassified` for a sample the model \
            gets wrong before any attack (it is not attacked: its adversarial image is the clean one, norms 0), \
            `fooled` when the attack changed the prediction and `robust` when it did not. Adversarial images \
            stay in [0, 1]. --images also saves the perturbed images as a \
            float32 .npy of shape [N, C, H, W]. DeepFool (ℓ2, overshoot 0.02, ≤ 50 iterations) gives each \
            sample's minimal perturbation norm. PGD's random start for a sample depends only on --seed and \
            the sample's index, so results do not depend on --batch-size.

            Examples:
              M=Data/models/mnist5k-cnn-small-standard.safetensors
              curvature attack --model $M --data mnist5k --samples 100 --out deepfool.csv
              curvature attack --model $M --data mnist5k --samples 100 \\
                --method pgd-linf --epsilon 0.1 --images adversarial.npy --out pgd.csv
            """)

    @OptionGroup var model: ModelOptions
    @OptionGroup var data: DataOptions

    @Option(help: "The attack: DeepFool finds each sample's minimal ℓ2 perturbation, the others attack at --epsilon.")
    var method: AttackMethod = .deepfool

    @Option(parsing: .unconditional, help: "ε of fgsm and pgd: the bound on the perturbation's ℓ∞ (ℓ2 for pgd-l2) norm, pixels in [0, 1] (default 0.1).", transform: realNumber)
    var epsilon: Double?

    @OptionGroup var pgd: PGDOptions

    @Option(parsing: .unconditional, help: "DeepFool's overshoot: the perturbation is scaled by 1 + overshoot (default 0.02).")
    var overshoot: Double?

    @Option(name: .customLong("max-iterations"), parsing: .unconditional, help: "DeepFool's iteration limit (default 50).")
    var maxIterations: Int?

    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Samples attacked together (does not change the results).")
    var batchSize: Int = 100

    @OptionGroup var threads: ThreadOptions

    @Option(help: "Also write the perturbed images here (.npy, float32 [N, C, H, W]).")
    var images: String?

    @Option(help: "Output CSV (the same rows are printed).")
    var out: String

    func validate() throws {
        try pgd.check(attack: method.fixedEpsilon, named: "--method \(method.rawValue)")
        for (option, given, applies, to) in [
            ("--epsilon", epsilon != nil, method != .deepfool, "every method but deepfool"),
            ("--overshoot", overshoot != nil, method == .deepfool, "deepfool"),
            ("--max-iterations", maxIterations != nil, method == .deepfool, "deepfool"),
        ] where given && !applies {
            throw ValidationError("\(option) has no effect with --method \(method.rawValue); it applies to \(to)")
        }
        if let epsilon, !(epsilon >= 0) { throw ValidationError("--epsilon must be ≥ 0, got \(epsilon)") }
        if let overshoot, !(overshoot >= 0) { throw ValidationError("--overshoot must be ≥ 0, got \(overshoot)") }
        for (option, value) in [("--max-iterations", maxIterations), ("--batch-size", batchSize)] {
            if let value, value < 1 { throw ValidationError("\(option) must be ≥ 1, got \(value)") }
        }
        try OutputPath.checkFile(out, option: "--out")
        if let images { try OutputPath.checkFile(images, option: "--images") }
    }

    func run() throws {
        let prepared = try PreparedSampleJob(model: model, data: data, threads: threads)
        let (dataset, range, classifier) = (prepared.images, prepared.range, prepared.classifier)
        var rows = ["sample,label,predicted,adversarial_predicted,norm_l2,norm_linf,status,broken_by"]
        var masking: MaskingReport?
        var perturbed: [Float] = []
        let progress = ProgressLine()
        let start = Date()
        var done = 0
        for batch in dataset.batches(in: range, size: batchSize) {
            if Interruption.requested { exitInterrupted("curvature attack: interrupted; no output written") }
            let clean = predictions(evaluate(classifier, batch.images))
            var brokenBy: [String?]
            // Misclassified samples are not attacked: their "adversarial" image is the clean one.
            let adversarial: Tensor, attacked: [Bool]
            if let attack = method.fixedEpsilon {
                let result = pgd.outcomeOfCorrectlyClassified(attack, classifier, batch, clean: clean, epsilon: epsilon ?? 0.1)
                (adversarial, attacked) = (result.outcome.images, result.attacked)
                if !attack.autoAttackComponents.isEmpty {
                    var report = result.outcome.masking ?? MaskingReport()
                    report.samples = batch.count
                    masking = masking ?? MaskingReport()
                    masking?.add(report)
                }
                brokenBy = result.outcome.brokenBy
            } else {
                let result = DeepFool(overshoot: overshoot ?? 0.02, maxIterations: maxIterations ?? 50).perturb(classifier, batch.images, labels: batch.labels)
                (adversarial, attacked) = (result.images, result.attacked)
                brokenBy = result.fooled.map { $0 ? "deepfool" : nil }
            }
            let after = predictions(evaluate(classifier, adversarial))
            let delta = adversarial - batch.images
            let l2 = rowNorms(delta), linf = rowMaxNorms(delta)
            for i in 0..<batch.count {
                let predictedAfter = attacked[i] ? after[i] : clean[i]
                let status = !attacked[i] ? "misclassified" : predictedAfter != clean[i] ? "fooled" : "robust"
                let (normL2, normLinf) = attacked[i] ? (l2[i], linf[i]) : (0, 0)
                rows.append("\(batch.indices[i]),\(batch.labels[i]),\(clean[i]),\(predictedAfter),"
                            + "\(String(format: "%.6g", normL2)),\(String(format: "%.6g", normLinf)),\(status),"
                            + (status == "fooled" ? brokenBy[i] ?? "" : ""))
            }
            if images != nil { perturbed += adversarial.floats }
            done += batch.count
            let rate = Double(done) / Date().timeIntervalSince(start)
            progress.update(String(format: "%d/%d samples  %.1f samples/s  ETA %@", done, range.count, rate,
                                   ProgressLine.duration(Double(range.count - done) / rate)))
        }
        progress.finish()
        if let images {
            try AtomicFile.write(NumPyWriter.float32(perturbed, shape: [range.count, dataset.channels, dataset.height, dataset.width]),
                                 to: URL(fileURLWithPath: images))
        }
        let text = rows.joined(separator: "\n") + "\n"
        try AtomicFile.write(text, to: URL(fileURLWithPath: out))
        if let attack = method.fixedEpsilon, !attack.autoAttackComponents.isEmpty {
            printMaskingWarnings(masking, command: "curvature attack")
            try writeMeta(for: URL(fileURLWithPath: out), model: model.url, seed: pgd.seed ?? 0,
                          settings: pgd.settings(for: attack).merging(["epsilon": "\(epsilon ?? 0.1)",
                                                                       "samples": "\(range.lowerBound)..<\(range.upperBound)"].merging(data.record) { $1 }) { $1 },
                          start: prepared.start, masking: masking ?? MaskingReport())
        }
        print(text, terminator: "")
    }
}
