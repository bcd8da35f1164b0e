import ArgumentParser
import Curvature
import Foundation

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Clean and robust accuracy of a model.",
        discussion: "Writes CSV `attack,epsilon,samples,accuracy`, one row per ε (and prints it).")

    @OptionGroup var model: ModelOptions
    @OptionGroup var data: DataOptions

    @Option(help: "The attack (none: clean accuracy).")
    var attack: AttackKind = .none

    @Option(help: "Comma-separated ε values.")
    var epsilon = CommaSeparated<Double>(argument: "0")!

    @Option(help: "PGD steps (α = 2.5ε/steps).")
    var steps: Int = 20

    @Option(help: "PGD random restarts.")
    var restarts: Int = 1

    @Option(name: .customLong("batch-size")) var batchSize: Int = 500
    @Option var seed: UInt64 = 0
    @OptionGroup var threads: ThreadOptions

    @Option(help: "Output CSV.")
    var out: String

    var epsilons: [Double] { epsilon.values }

    func validate() throws {
        guard epsilons.allSatisfy({ $0 >= 0 }) else {
            throw ValidationError("--epsilon must be comma-separated non-negative numbers, got '\(epsilon.text)'")
        }
        guard steps >= 1, restarts >= 1, batchSize >= 1 else { throw ValidationError("--steps, --restarts and --batch-size must be ≥ 1") }
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
                attack.images(classifier, batch, epsilon: eps, steps: steps, restarts: restarts, seed: seed)
            })
            rows.append("\(attack.rawValue),\(eps),\(range.count),\(String(format: "%.4f", value))")
        }
        progress.finish()
        let text = rows.joined(separator: "\n") + "\n"
        try AtomicFile.write(text, to: URL(fileURLWithPath: out))
        print(text, terminator: "")
    }
}
