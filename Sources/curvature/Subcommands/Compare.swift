import ArgumentParser
import Curvature
import Foundation

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare the curvature and robustness of several models on the same samples.",
        discussion: """
            Writes into --out-dir: profile.csv (`model,rank,mean,median,p10,p90,samples`), spectra.csv \
            (`model,sample,label,predicted,rank,eigenvalue,residual`), eval.csv (`model,attack,epsilon,accuracy`, \
            PGD-20 ℓ∞ on the same samples), images.csv and images.titles (inputs, input-gradients and PGD \
            perturbations of the first --figure-samples samples for every model: `panel,row,col,value`), \
            then prints a table of the headline numbers.
            """)

    @Option(help: "Comma-separated model files (.safetensors).")
    var models: String

    @Option(help: "Comma-separated names, one per model (default: file names).")
    var names: String?

    @Option(help: "Architecture for models without one in their metadata (name or JSON file).")
    var arch: String?

    @OptionGroup var data: DataOptions

    @Option(help: "lanczos or dense.") var method: String = "lanczos"
    @Option(help: "Eigenvalues per sample.") var k: Int = 20
    @Option(help: "Lanczos steps.") var steps: Int = 40
    @OptionGroup var hessianOptions: HessianOptions
    @Option(help: "Comma-separated ε for the PGD-20 ℓ∞ evaluation.") var epsilons: String = "0,0.05,0.1,0.15,0.2"
    @Option(name: .customLong("pgd-steps")) var pgdSteps: Int = 20
    @Option(name: .customLong("figure-samples"), help: "Samples in the image figure.") var figureSamples: Int = 4
    @Option(name: .customLong("batch-size")) var batchSize: Int = 50
    @Option var seed: UInt64 = 0
    @OptionGroup var threads: ThreadOptions

    @Option(name: .customLong("out-dir"), help: "Folder for the results (created if needed).")
    var outDir: String

    var modelPaths: [String] { models.split(separator: ",").map(String.init) }
    var modelNames: [String] {
        names?.split(separator: ",").map(String.init) ?? modelPaths.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
    }
    var epsilonValues: [Double] { epsilons.split(separator: ",").compactMap { Double($0) } }

    func validate() throws {
        guard !modelPaths.isEmpty else { throw ValidationError("--models needs at least one file") }
        for path in modelPaths where !FileManager.default.fileExists(atPath: path) { throw ValidationError("--models: no file at \(path)") }
        guard modelNames.count == modelPaths.count else { throw ValidationError("--names gives \(modelNames.count) names for \(modelPaths.count) models") }
        guard Set(modelNames).count == modelNames.count, modelNames.allSatisfy({ !$0.contains(",") && !$0.isEmpty }) else {
            throw ValidationError("--names must be distinct, non-empty and without commas")
        }
        guard ["lanczos", "dense"].contains(method) else { throw ValidationError("--method must be lanczos or dense, got '\(method)'") }
        guard k >= 1, steps >= 1, pgdSteps >= 1, batchSize >= 1, figureSamples >= 0 else { throw ValidationError("--k, --steps, --pgd-steps, --batch-size must be ≥ 1") }
        if method == "lanczos" && k > steps { throw ValidationError("--k \(k) is larger than --steps \(steps); raise --steps to at least \(k)") }
        guard epsilonValues.count == epsilons.split(separator: ",").count else { throw ValidationError("--epsilons must be comma-separated numbers") }
    }

    struct Summary {
        var name: String
        var medianTop: Double, meanTop: Double
        var accuracies: [(epsilon: Double, accuracy: Double)]
    }

    func run() throws {
        threads.apply()
        let folder = URL(fileURLWithPath: outDir)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let images = try data.load()
        let range = try data.range(in: images)
        let architecture = try arch.map(loadArchitecture)
        var settings = SpectrumSettings()
        (settings.method, settings.k, settings.steps, settings.seed) = (SpectrumMethod(rawValue: method)!, k, steps, seed)
        (settings.hessian, settings.h) = (HessianKind(rawValue: hessianOptions.hessian)!, hessianOptions.h)
        let batches = stride(from: range.lowerBound, to: range.upperBound, by: batchSize).map { $0..<Swift.min($0 + batchSize, range.upperBound) }
        let progress = ProgressLine()
        var profile = [ProfilePoint.header], spectra = ["model," + SpectrumRow.header], evaluation = ["model,attack,epsilon,accuracy"]
        var modelPanels: [[(title: String, pixels: [Double])]] = []  // per model: per sample ∇, δ
        var summaries: [Summary] = []
        let figureBatch = images.batch(at: Array(range.prefix(figureSamples)))
        for (name, path) in zip(modelNames, modelPaths) {
            let network = try Sequential.load(from: URL(fileURLWithPath: path), architecture: architecture)
            try checkInput(network, fits: images, dataName: data.data)
            settings.steps = Swift.min(steps, network.inputShape.reduce(1, *))
            let job = SpectrumJob(model: { network($0) }, settings: settings)
            var rows: [SpectrumRow] = []
            for (i, samples) in batches.enumerated() {
                if Interruption.requested { exitInterrupted("curvature compare: interrupted; nothing written for \(name)") }
                progress.update("\(name): spectra \(i + 1)/\(batches.count) batches", force: true)
                rows += try job.rows(for: images.batch(at: Array(samples)))
            }
            profile += eigenvalueProfile(rows).map { $0.csv(model: name) }
            spectra += rows.map { "\(name),\($0.csv)" }
            let classifier: Classifier = { network($0) }
            var accuracies: [(Double, Double)] = []
            for epsilon in epsilonValues {
                progress.update("\(name): PGD-\(pgdSteps) at ε = \(epsilon)", force: true)
                let value = accuracy(classifier, on: images, range: range, batchSize: 200, attack: epsilon == 0 ? nil : { batch in
                    AttackKind.pgdLinf.images(classifier, batch, epsilon: epsilon, steps: pgdSteps, restarts: 1, seed: seed)
                })
                accuracies.append((epsilon, value))
                evaluation.append("\(name),pgd-linf,\(epsilon),\(String(format: "%.4f", value))")
            }
            let tops = rows.filter { $0.rank == 1 }.map(\.eigenvalue).sorted()
            summaries.append(Summary(name: name, medianTop: quantile(tops, 0.5), meanTop: tops.reduce(0, +) / Double(Swift.max(tops.count, 1)),
                                     accuracies: accuracies))
            if figureBatch.count > 0 {
                modelPanels.append(figurePanels(name: name, model: classifier, batch: figureBatch,
                                                epsilon: epsilonValues.first(where: { $0 > 0 }) ?? 0.1))
            }
        }
        progress.finish()
        try AtomicFile.write(profile.joined(separator: "\n") + "\n", to: folder.appendingPathComponent("profile.csv"))
        try AtomicFile.write(spectra.joined(separator: "\n") + "\n", to: folder.appendingPathComponent("spectra.csv"))
        try AtomicFile.write(evaluation.joined(separator: "\n") + "\n", to: folder.appendingPathComponent("eval.csv"))
        // One figure row per sample: the input, then each model's gradient and perturbation.
        let d = images.pixelsPerImage
        var panels: [(title: String, pixels: [Double])] = []
        for n in 0..<figureBatch.count {
            panels.append(("label \(figureBatch.labels[n])", Array(figureBatch.images.scalars[(n * d)..<((n + 1) * d)])))
            for perModel in modelPanels { panels += perModel[(2 * n)..<(2 * n + 2)] }
        }
        if !panels.isEmpty {
            var lines = ["panel,row,col,value"]
            let side = images.width
            for (p, panel) in panels.enumerated() {
                for (i, v) in panel.pixels.enumerated() { lines.append("\(p),\(i / side),\(i % side),\(String(format: "%.5g", v))") }
            }
            try AtomicFile.write(lines.joined(separator: "\n") + "\n", to: folder.appendingPathComponent("images.csv"))
            try AtomicFile.write(panels.map(\.title).joined(separator: "|") + "\n", to: folder.appendingPathComponent("images.titles"))
            try AtomicFile.write("\(1 + 2 * modelPanels.count)\n", to: folder.appendingPathComponent("images.columns"))
        }
        print(table(summaries))
    }

    /// Per figure sample: this model's normalised input-gradient and its PGD perturbation.
    private func figurePanels(name: String, model: @escaping Classifier, batch: Batch, epsilon: Double) -> [(title: String, pixels: [Double])] {
        let d = batch.images.count / batch.count
        let gradient = inputGradient(model, batch.images, batch.labels).gradient.scalars
        let adversarial = AttackKind.pgdLinf.images(model, batch, epsilon: epsilon, steps: pgdSteps, restarts: 1, seed: seed)
        let delta = (adversarial - batch.images).scalars
        let after = predictions(evaluate(model, adversarial))
        var result: [(String, [Double])] = []
        for n in 0..<batch.count {
            let g = Array(gradient[(n * d)..<((n + 1) * d)]), scale = g.map(Swift.abs).max() ?? 1
            result.append(("\(name) ∇", g.map { $0 / Swift.max(scale, 1e-30) }))
            result.append(("\(name) δ→\(after[n])", Array(delta[(n * d)..<((n + 1) * d)])))
        }
        return result
    }

    private func table(_ summaries: [Summary]) -> String {
        let epsilonsShown = summaries.first?.accuracies.map(\.epsilon) ?? []
        var lines = ["| model | median λ₁ | mean λ₁ | " + epsilonsShown.map { $0 == 0 ? "clean acc" : "PGD-\(pgdSteps) ε=\($0)" }.joined(separator: " | ") + " |"]
        lines.append("|" + String(repeating: " --- |", count: 3 + epsilonsShown.count))
        for s in summaries {
            lines.append("| \(s.name) | \(String(format: "%.4g", s.medianTop)) | \(String(format: "%.4g", s.meanTop)) | "
                + s.accuracies.map { String(format: "%.1f %%", 100 * $0.accuracy) }.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }
}
