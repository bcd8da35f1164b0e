import ArgumentParser
import Curvature
import Foundation

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Clean and robust accuracy of a model.",
        discussion: """
            Writes CSV `attack,epsilon,samples,accuracy`, one row per ε (and prints it): the fraction \
            of the samples classified correctly after the attack (ℓ∞ for fgsm and pgd-linf, ℓ2 for \
            pgd-l2; pixels in [0, 1]).

            Examples:
              curvature eval \\
                --model Data/models/mnist5k-cnn-small-standard.safetensors \\
                --data mnist5k --out clean.csv
              curvature eval \\
                --model Data/models/mnist5k-cnn-small-standard.safetensors \\
                --data mnist5k --samples 200 --attack pgd-linf --epsilon 0,0.05,0.1 \\
                --out robust.csv
            """)

    @OptionGroup var model: ModelOptions
    @OptionGroup var data: DataOptions

    @Option(help: "The attack the accuracy is measured under (none: clean accuracy).")
    var attack: AttackKind = .none

    @Option(parsing: .unconditional, help: "Comma-separated ε values of the attack, in pixel units (pixels in [0, 1]; default 0 without --attack).")
    var epsilon: CommaSeparated<Double>?

    @Option(parsing: .unconditional, help: "PGD steps (α = 2.5ε/steps; default 20).")
    var steps: Int?

    @Option(parsing: .unconditional, help: "PGD random restarts (default 1).")
    var restarts: Int?

    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Images evaluated together (does not change the results).")
    var batchSize: Int = 500

    @Option(help: "Seed of PGD's random starts (each sample draws from its own stream; default 0).")
    var seed: UInt64?

    @OptionGroup var threads: ThreadOptions

    @Option(help: "Output CSV (the same rows are printed).")
    var out: String

    var epsilons: [Double] { epsilon?.values ?? [0] }

    func validate() throws {
        if attack == .none, let epsilon, epsilon.values.contains(where: { $0 != 0 }) {
            throw ValidationError("--epsilon \(epsilon.text) has no effect without --attack (the clean accuracy has no ε); add --attack")
        }
        let pgd = attack == .pgdLinf || attack == .pgdL2
        for (option, given) in [("--steps", steps != nil), ("--restarts", restarts != nil), ("--seed", seed != nil)] where given && !pgd {
            throw ValidationError("\(option) has no effect with --attack \(attack.rawValue); it applies to pgd-linf and pgd-l2")
        }
        if let bad = epsilons.first(where: { !($0 >= 0) }) { throw ValidationError("--epsilon must be ≥ 0, got \(bad)") }
        if let steps, steps < 1 { throw ValidationError("--steps must be ≥ 1, got \(steps)") }
        if let restarts, restarts < 1 { throw ValidationError("--restarts must be ≥ 1, got \(restarts)") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be ≥ 1, got \(batchSize)") }
        try OutputPath.checkFile(out, option: "--out")
    }

    func run() throws {
        let prepared = try PreparedSampleJob(model: model, data: data, threads: threads)
        let (images, range, classifier) = (prepared.images, prepared.range, prepared.classifier)
        let progress = ProgressLine()
        var rows = ["attack,epsilon,samples,accuracy"]
        for (i, eps) in epsilons.enumerated() {
            if Interruption.requested { exitInterrupted("curvature eval: interrupted; no output written") }
            progress.update("ε = \(eps) (\(i + 1)/\(epsilons.count)) on \(range.count) samples", force: true)
            let value = accuracy(classifier, on: images, range: range, batchSize: batchSize, attack: attack == .none ? nil : { batch in
                attack.images(classifier, batch, epsilon: eps, steps: steps ?? 20, restarts: restarts ?? 1, seed: seed ?? 0)
            })
            rows.append("\(attack.rawValue),\(eps),\(range.count),\(String(format: "%.4f", value))")
        }
        progress.finish()
        let text = rows.joined(separator: "\n") + "\n"
        try AtomicFile.write(text, to: URL(fileURLWithPath: out))
        print(text, terminator: "")
    }
}
