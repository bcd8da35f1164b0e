import ArgumentParser
import Curvature
import Foundation

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Clean and robust accuracy of a model.",
        discussion: "Writes CSV `attack,epsilon,samples,accuracy`, one row per ε (and prints it).")

    @OptionGroup var model: ModelOptions
    @OptionGroup var data: DataOptions

    @Option(help: "none, fgsm, pgd-linf or pgd-l2.")
    var attack: String = "none"

    @Option(help: "Comma-separated ε values.")
    var epsilon: String = "0"

    @Option(help: "PGD steps (α = 2.5ε/steps).")
    var steps: Int = 20

    @Option(help: "PGD random restarts.")
    var restarts: Int = 1

    @Option(name: .customLong("batch-size")) var batchSize: Int = 500
    @Option var seed: UInt64 = 0
    @OptionGroup var threads: ThreadOptions

    @Option(help: "Output CSV.")
    var out: String

    var epsilons: [Double] { epsilon.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        guard AttackKind(rawValue: attack) != nil else {
            throw ValidationError("--attack must be one of \(AttackKind.allCases.map(\.rawValue).joined(separator: ", ")), got '\(attack)'")
        }
        guard epsilons.count == epsilon.split(separator: ",").count, epsilons.allSatisfy({ $0 >= 0 }) else {
            throw ValidationError("--epsilon must be comma-separated non-negative numbers, got '\(epsilon)'")
        }
        guard steps >= 1, restarts >= 1, batchSize >= 1 else { throw ValidationError("--steps, --restarts and --batch-size must be ≥ 1") }
    }

    func run() throws {
        threads.apply()
        let network = try model.load()
        let images = try data.load()
        try checkInput(network, fits: images, dataName: data.data)
        let range = try data.range(in: images)
        let kind = AttackKind(rawValue: attack)!
        let classifier: Classifier = { network($0) }
        let progress = ProgressLine()
        var rows = ["attack,epsilon,samples,accuracy"]
        for (i, eps) in epsilons.enumerated() {
            if Interruption.requested { exitInterrupted("curvature eval: interrupted; no output written") }
            progress.update("ε = \(eps) (\(i + 1)/\(epsilons.count)) on \(range.count) samples", force: true)
            let value = accuracy(classifier, on: images, range: range, batchSize: batchSize, attack: kind == .none ? nil : { batch in
                kind.images(classifier, batch, epsilon: eps, steps: steps, restarts: restarts, seed: seed)
            })
            rows.append("\(attack),\(eps),\(range.count),\(String(format: "%.4f", value))")
        }
        progress.finish()
        let text = rows.joined(separator: "\n") + "\n"
        try AtomicFile.write(text, to: URL(fileURLWithPath: out))
        print(text, terminator: "")
    }
}
