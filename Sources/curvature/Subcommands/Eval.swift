import ArgumentParser
import Curvature
import Foundation

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Clean and robust accuracy of a model.",
        discussion: """
            Writes CSV `attack,epsilon,samples,accuracy`, one row per ε (and prints it): the fraction \
            of the samples classified correctly after the attack (ℓ∞ for fgsm and the *-linf attacks, ℓ2 \
            for the *-l2 ones; pixels in [0, 1]). apgd-ce, apgd-t, fab-t and square are AutoAttack's \
            attacks (Croce & Hein 2020) with their published defaults; autoattack-* is the standard \
            ensemble of all four. These also write <out>.meta.json with AutoAttack's masking checks, \
            and print a warning when one fails.

            Examples:
              curvature eval \\
                --model Data/models/mnist5k-cnn-small-standard.safetensors \\
                --data mnist5k --logits clean-logits.npy --out clean.csv
              curvature eval \\
                --model Data/models/mnist5k-cnn-small-standard.safetensors \\
                --data mnist5k --samples 200 --attack pgd-linf --epsilon 0,0.05,0.1 \\
                --out robust.csv
              curvature eval \\
                --model Data/models/mnist5k-cnn-small-standard.safetensors \\
                --data mnist5k --samples 200 --attack autoattack-linf --epsilon 0.1 \\
                --out autoattack.csv
            """)

    @OptionGroup var model: ModelOptions
    @OptionGroup var data: DataOptions

    @Option(help: "The attack the accuracy is measured under (none: clean accuracy).")
    var attack: AttackKind = .none

    @Option(parsing: .unconditional, help: "Comma-separated ε values of the attack, in pixel units (pixels in [0, 1]; default 0 without --attack).")
    var epsilon: CommaSeparated<Double>?

    @OptionGroup var pgd: PGDOptions

    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Images evaluated together (does not change the results).")
    var batchSize: Int = 500

    @OptionGroup var threads: ThreadOptions

    @Option(help: "Arithmetic of the model (and of the --logits file).")
    var dtype: DType = .float32

    @Option(help: "Also write the clean images' logits here: .npy (N, C) in sample order, float32 or float64 as --dtype (to check an import against its source, e.g. scripts/check_onnx_import.py).")
    var logits: String?

    @Option(help: "Output CSV (the same rows are printed).")
    var out: String

    var epsilons: [Double] { epsilon?.values ?? [0] }

    func validate() throws {
        if attack == .none, let epsilon, epsilon.values.contains(where: { $0 != 0 }) {
            throw ValidationError("--epsilon \(epsilon.text) has no effect without --attack (the clean accuracy has no ε); add --attack")
        }
        try pgd.check(attack: attack, named: "--attack \(attack.rawValue)")
        if let bad = epsilons.first(where: { !($0 >= 0) }) { throw ValidationError("--epsilon must be ≥ 0, got \(bad)") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be ≥ 1, got \(batchSize)") }
        try OutputPath.checkFile(out, option: "--out")
        if let logits { try OutputPath.checkFile(logits, option: "--logits") }
    }

    func run() throws {
        let prepared = try PreparedSampleJob(model: model, data: data, threads: threads, dtype: dtype)
        let (images, range, classifier) = (prepared.images, prepared.range, prepared.classifier)
        let progress = ProgressLine()
        var rows = ["attack,epsilon,samples,accuracy"]
        let checked = !attack.autoAttackComponents.isEmpty
        var masking = MaskingReport()
        for (i, eps) in epsilons.enumerated() {
            if Interruption.requested { exitInterrupted("curvature eval: interrupted; no output written") }
            progress.update("ε = \(eps) (\(i + 1)/\(epsilons.count)) on \(range.count) samples", force: true)
            let value = accuracy(classifier, on: images, range: range, batchSize: batchSize, dtype: dtype, attack: attack == .none ? nil : { batch in
                let outcome = pgd.outcome(attack, classifier, batch, epsilon: eps)
                if let report = outcome.masking { masking.add(report) }
                return outcome.images
            })
            rows.append("\(attack.rawValue),\(eps),\(range.count),\(String(format: "%.4f", value))")
        }
        if let logits { try writeLogits(classifier, images, range, to: logits, progress: progress) }
        progress.finish()
        let text = rows.joined(separator: "\n") + "\n"
        try AtomicFile.write(text, to: URL(fileURLWithPath: out))
        if checked {
            // The accuracy attacks only the correctly classified samples; the checks count every one.
            masking.samples = range.count * epsilons.count
            printMaskingWarnings(masking, command: "curvature eval")
            try writeMeta(for: URL(fileURLWithPath: out), model: model.url, seed: pgd.seed ?? 0,
                          settings: pgd.settings(for: attack).merging(["epsilon": epsilons.map { "\($0)" }.joined(separator: ","),
                                                                       "samples": "\(range.lowerBound)..<\(range.upperBound)"].merging(data.record) { $1 }) { $1 },
                          start: prepared.start, masking: masking)
        }
        print(text, terminator: "")
    }

    /// The clean logits of `range`, batch by batch in sample order, as one (N, C) .npy in --dtype.
    private func writeLogits(_ classifier: Classifier, _ images: LabeledImages, _ range: Range<Int>, to path: String, progress: ProgressLine) throws {
        progress.update("logits of \(range.count) samples", force: true)
        var values: [Double] = []
        var classes = 0
        for batch in images.batches(in: range, size: batchSize, dtype: dtype) {
            if Interruption.requested { exitInterrupted("curvature eval: interrupted; no output written") }
            let output = evaluate(classifier, batch.images)
            classes = output.shape.last ?? 0
            values += output.scalars
        }
        let shape = [range.count, classes]
        let file = dtype == .float64 ? NumPyWriter.float64(values, shape: shape) : NumPyWriter.float32(values.map(Float.init), shape: shape)
        try AtomicFile.write(file, to: URL(fileURLWithPath: path))
    }
}
