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
            perturbations of the first --figure-samples samples, or of --figure-indices, for every model: `panel,row,col,value`), \
            spectra.csv.meta.json (command, settings, model checksums), then prints a table of the headline \
            numbers (also kept as summary.md). Finished batches of spectra and finished evaluations are kept in --out-dir/.compare-partial \
            until the run completes: after Ctrl-C or a crash, the same command with --resume finishes the run \
            with the same results as an uninterrupted one.
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
    @Option(help: "largest, smallest or magnitude: which end of each spectrum --k counts from.") var which: String = "largest"
    @OptionGroup var hessianOptions: HessianOptions
    @Option(help: "Comma-separated ε for the PGD-20 ℓ∞ evaluation.") var epsilons: String = "0,0.05,0.1,0.15,0.2"
    @Option(name: .customLong("pgd-steps")) var pgdSteps: Int = 20
    @Option(name: .customLong("figure-samples"), help: "Samples in the image figure: the first N of the range.") var figureSamples: Int = 4
    @Option(name: .customLong("figure-indices"), help: "Comma-separated split indices for the image figure instead (e.g. the 9s of a test set).")
    var figureIndices: String?
    @Option(name: .customLong("figure-attack"), help: "pgd-linf or pgd-l2: the perturbation the figure shows.") var figureAttack: String = "pgd-linf"
    @Option(name: .customLong("figure-epsilon"), help: "ε of the figure's perturbation (default: the first positive --epsilons).")
    var figureEpsilon: Double?
    @Option(name: .customLong("batch-size")) var batchSize: Int = 50
    @Option var seed: UInt64 = 0
    @OptionGroup var threads: ThreadOptions

    @Option(name: .customLong("out-dir"), help: "Folder for the results (created if needed).")
    var outDir: String

    @Flag(help: "Continue an interrupted run from the finished batches and evaluations kept in <out-dir>/.compare-partial.")
    var resume = false

    var modelPaths: [String] { models.split(separator: ",").map(String.init) }
    var modelNames: [String] {
        names?.split(separator: ",").map(String.init) ?? modelPaths.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
    }
    var epsilonValues: [Double] { epsilons.split(separator: ",").compactMap { Double($0) } }
    var figureIndexValues: [Int]? { figureIndices.map { $0.split(separator: ",").compactMap { Int($0) } } }
    var end: SpectrumEnd { SpectrumEnd(rawValue: which)! }

    func validate() throws {
        guard !modelPaths.isEmpty else { throw ValidationError("--models needs at least one file") }
        for path in modelPaths where !FileManager.default.fileExists(atPath: path) { throw ValidationError("--models: no file at \(path)") }
        guard modelNames.count == modelPaths.count else { throw ValidationError("--names gives \(modelNames.count) names for \(modelPaths.count) models") }
        guard Set(modelNames).count == modelNames.count, modelNames.allSatisfy({ !$0.contains(",") && !$0.isEmpty }) else {
            throw ValidationError("--names must be distinct, non-empty and without commas")
        }
        guard ["lanczos", "dense"].contains(method) else { throw ValidationError("--method must be lanczos or dense, got '\(method)'") }
        guard SpectrumEnd(rawValue: which) != nil else { throw ValidationError("--which must be largest, smallest or magnitude, got '\(which)'") }
        guard k >= 1, steps >= 1, pgdSteps >= 1, batchSize >= 1, figureSamples >= 0 else { throw ValidationError("--k, --steps, --pgd-steps, --batch-size must be ≥ 1") }
        if method == "lanczos" && k > steps { throw ValidationError("--k \(k) is larger than --steps \(steps); raise --steps to at least \(k)") }
        guard ["pgd-linf", "pgd-l2"].contains(figureAttack) else { throw ValidationError("--figure-attack must be pgd-linf or pgd-l2, got '\(figureAttack)'") }
        if let figureEpsilon, !(figureEpsilon > 0) { throw ValidationError("--figure-epsilon must be positive") }
        if let figureIndices, figureIndexValues!.count != figureIndices.split(separator: ",").count || figureIndexValues!.contains(where: { $0 < 0 }) {
            throw ValidationError("--figure-indices must be comma-separated indices ≥ 0, got '\(figureIndices)'")
        }
        guard epsilonValues.count == epsilons.split(separator: ",").count else { throw ValidationError("--epsilons must be comma-separated numbers") }
    }

    struct Summary {
        var name: String
        var medianTop: Double, meanTop: Double
        var accuracies: [(epsilon: Double, accuracy: Double)]
    }

    /// Everything that shapes the results (models by checksum, so a moved file still resumes);
    /// a resumed run must match it exactly.
    private func fingerprint(range: Range<Int>) throws -> [String: String] {
        [
            "names": modelNames.joined(separator: ","),
            "model_sha256": try modelPaths.map { try SHA256.hex(fileAt: URL(fileURLWithPath: $0)) }.joined(separator: ","),
            "arch": arch ?? "", "data": data.data, "split": data.split, "samples": "\(range.lowerBound)..<\(range.upperBound)",
            "method": method, "k": String(k), "steps": String(steps), "which": which,
            "hessian": hessianOptions.hessian, "h": String(hessianOptions.h), "epsilons": epsilons,
            "pgd_steps": String(pgdSteps), "batch_size": String(batchSize), "seed": String(seed),
        ]
    }

    func run() throws {
        let start = Date()
        threads.apply()
        let folder = URL(fileURLWithPath: outDir)
        let images = try data.load()
        let range = try data.range(in: images)
        let architecture = try arch.map(loadArchitecture)
        let figureSampleIndices = figureIndexValues ?? Array(range.prefix(figureSamples))
        if let beyond = figureSampleIndices.first(where: { $0 >= images.count }) {
            throw ValidationError("--figure-indices: \(beyond) is beyond the \(images.count) images of \(data.data)'s \(data.split) split")
        }
        let figureBatch = images.batch(at: figureSampleIndices)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var settings = SpectrumSettings()
        (settings.method, settings.k, settings.steps, settings.seed) = (SpectrumMethod(rawValue: method)!, k, steps, seed)
        (settings.hessian, settings.h, settings.end) = (HessianKind(rawValue: hessianOptions.hessian)!, hessianOptions.h, end)
        let batches = stride(from: range.lowerBound, to: range.upperBound, by: batchSize).map { $0..<Swift.min($0 + batchSize, range.upperBound) }
        let record = try fingerprint(range: range)
        let work = try WorkFolder(in: folder, settings: record, resume: resume)
        let progress = ProgressLine()
        var profile = [ProfilePoint.header], spectra = ["model," + SpectrumRow.header], evaluation = ["model,attack,epsilon,accuracy"]
        var modelPanels: [[(title: String, pixels: [Double])]] = []  // per model: per sample ∇, δ
        var summaries: [Summary] = []
        for (index, (name, path)) in zip(modelNames, modelPaths).enumerated() {
            let network = try Sequential.load(from: URL(fileURLWithPath: path), architecture: architecture)
            try checkInput(network, fits: images, dataName: data.data)
            let d = network.inputShape.reduce(1, *)
            settings.steps = Swift.min(steps, d)
            if settings.method == .dense && d > settings.denseLimit {
                throw ValidationError("--method dense: \(name) has d = \(d) > \(settings.denseLimit) input dimensions; use --method lanczos")
            }
            let job = SpectrumJob(model: { network($0) }, settings: settings)
            // The spectra file of a model is complete once renamed from its .partial; the CSV is the
            // record, so a resumed run and an uninterrupted one compute the profile from the same numbers.
            let spectraFile = work.url.appendingPathComponent("\(index).spectra.csv")
            if !FileManager.default.fileExists(atPath: spectraFile.path) {
                let run = BatchedCSVRun(header: SpectrumRow.header, out: spectraFile, resume: true, label: "compare \(name): spectra")
                _ = try run.run(batches) { samples in try job.rows(for: images.batch(at: Array(samples))).map(\.csv) }
            }
            let rows = try readSpectrum(spectraFile)
            profile += eigenvalueProfile(rows).map { $0.csv(model: name) }
            spectra += rows.map { "\(name),\($0.csv)" }

            let classifier: Classifier = { network($0) }
            let evaluationFile = work.url.appendingPathComponent("\(index).eval.csv")
            var accuracies = try readAccuracies(evaluationFile)
            for (i, epsilon) in epsilonValues.enumerated() where !accuracies.contains(where: { $0.epsilon == epsilon }) {
                if Interruption.requested {
                    progress.finish()
                    exitInterrupted("curvature compare: interrupted; finished work is kept in \(work.url.path); run the same command with --resume to finish")
                }
                let what = epsilon == 0 ? "clean accuracy" : "PGD-\(pgdSteps) accuracy at ε = \(epsilon)"
                progress.update("compare \(name): \(what) (\(i + 1)/\(epsilonValues.count)) on \(range.count) samples", force: true)
                let value = accuracy(classifier, on: images, range: range, batchSize: 200, attack: epsilon == 0 ? nil : { batch in
                    AttackKind.pgdLinf.images(classifier, batch, epsilon: epsilon, steps: pgdSteps, restarts: 1, seed: seed)
                })
                accuracies.append((epsilon, value))
                try AtomicFile.write(accuracies.map { "\($0.epsilon),\(String(format: "%.4f", $0.accuracy))\n" }.joined(), to: evaluationFile)
            }
            progress.finish()
            let ordered = epsilonValues.compactMap { epsilon in accuracies.first { $0.epsilon == epsilon } }
            evaluation += ordered.map { "\(name),pgd-linf,\($0.epsilon),\(String(format: "%.4f", $0.accuracy))" }
            let extremes = extremeEigenvalues(rows).sorted()
            summaries.append(Summary(name: name, medianTop: quantile(extremes, 0.5),
                                     meanTop: extremes.reduce(0, +) / Double(Swift.max(extremes.count, 1)), accuracies: ordered))
            if figureBatch.count > 0 {
                modelPanels.append(figurePanels(name: name, model: classifier, batch: figureBatch,
                                                epsilon: figureEpsilon ?? epsilonValues.first(where: { $0 > 0 }) ?? 0.1))
            }
        }
        try AtomicFile.write(profile.joined(separator: "\n") + "\n", to: folder.appendingPathComponent("profile.csv"))
        try AtomicFile.write(spectra.joined(separator: "\n") + "\n", to: folder.appendingPathComponent("spectra.csv"))
        try AtomicFile.write(evaluation.joined(separator: "\n") + "\n", to: folder.appendingPathComponent("eval.csv"))
        try writeImages(modelPanels, figureBatch: figureBatch, width: images.width, pixelsPerImage: images.pixelsPerImage, folder: folder)
        try writeMeta(for: folder.appendingPathComponent("spectra.csv"), model: nil, seed: seed,
                      settings: record.merging(["models": modelPaths.joined(separator: ",")]) { $1 }, start: start)
        let headline = table(summaries)
        try AtomicFile.write(headline + "\n", to: folder.appendingPathComponent("summary.md"))
        work.remove()
        print(headline)
    }

    /// Per sample, the eigenvalue the headline table summarises: the largest for --which largest,
    /// the smallest for smallest, the one of largest modulus (as |λ|) for magnitude.
    private func extremeEigenvalues(_ rows: [SpectrumRow]) -> [Double] {
        Dictionary(grouping: rows, by: \.sample).values.map { sample in
            let values = sample.map(\.eigenvalue)
            switch end {
            case .largest: return values.max()!
            case .smallest: return values.min()!
            case .magnitude: return values.map(Swift.abs).max()!
            }
        }
    }

    private var extremeName: String {
        switch end {
        case .largest: return "λ₁"
        case .smallest: return "λ_min"
        case .magnitude: return "max |λ|"
        }
    }

    /// One figure row per sample: the input, then each model's gradient and perturbation.
    private func writeImages(_ modelPanels: [[(title: String, pixels: [Double])]], figureBatch: Batch, width: Int, pixelsPerImage d: Int,
                             folder: URL) throws {
        var panels: [(title: String, pixels: [Double])] = []
        for n in 0..<figureBatch.count {
            panels.append(("label \(figureBatch.labels[n])", Array(figureBatch.images.scalars[(n * d)..<((n + 1) * d)])))
            for perModel in modelPanels { panels += perModel[(2 * n)..<(2 * n + 2)] }
        }
        guard !panels.isEmpty else { return }
        var lines = ["panel,row,col,value"]
        for (p, panel) in panels.enumerated() {
            for (i, v) in panel.pixels.enumerated() { lines.append("\(p),\(i / width),\(i % width),\(String(format: "%.5g", v))") }
        }
        try AtomicFile.write(lines.joined(separator: "\n") + "\n", to: folder.appendingPathComponent("images.csv"))
        try AtomicFile.write(panels.map(\.title).joined(separator: "|") + "\n", to: folder.appendingPathComponent("images.titles"))
        try AtomicFile.write("\(1 + 2 * modelPanels.count)\n", to: folder.appendingPathComponent("images.columns"))
    }

    /// Per figure sample: this model's normalised input-gradient and its PGD perturbation.
    private func figurePanels(name: String, model: @escaping Classifier, batch: Batch, epsilon: Double) -> [(title: String, pixels: [Double])] {
        let d = batch.images.count / batch.count
        let gradient = inputGradient(model, batch.images, batch.labels).gradient.scalars
        let adversarial = AttackKind(rawValue: figureAttack)!.images(model, batch, epsilon: epsilon, steps: pgdSteps, restarts: 1, seed: seed)
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
        var lines = ["| model | median \(extremeName) | mean \(extremeName) | " + epsilonsShown.map { $0 == 0 ? "clean acc" : "PGD-\(pgdSteps) ε=\($0)" }.joined(separator: " | ") + " |"]
        lines.append("|" + String(repeating: " --- |", count: 3 + epsilonsShown.count))
        for s in summaries {
            lines.append("| \(s.name) | \(String(format: "%.4g", s.medianTop)) | \(String(format: "%.4g", s.meanTop)) | "
                + s.accuracies.map { String(format: "%.1f %%", 100 * $0.accuracy) }.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }
}

/// The rows of a spectrum CSV written by `SpectrumRow.csv`.
private func readSpectrum(_ url: URL) throws -> [SpectrumRow] {
    let text = try String(contentsOf: url, encoding: .utf8)
    let lines = text.split(separator: "\n")
    guard lines.first == Substring(SpectrumRow.header) else { throw InputError("\(url.path): not a spectrum CSV (header '\(lines.first ?? "")')") }
    return try lines.dropFirst().enumerated().map { number, line in
        guard let row = SpectrumRow(csv: line) else { throw InputError("\(url.path): line \(number + 2) is not a spectrum row: '\(line.prefix(80))'") }
        return row
    }
}

/// The `epsilon,accuracy` lines of a model's finished evaluations; none if the file does not exist.
private func readAccuracies(_ url: URL) throws -> [(epsilon: Double, accuracy: Double)] {
    guard FileManager.default.fileExists(atPath: url.path) else { return [] }
    return try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { line in
        let fields = line.split(separator: ",")
        guard fields.count == 2, let epsilon = Double(fields[0]), let value = Double(fields[1]) else {
            throw InputError("\(url.path): '\(line.prefix(80))' is not an epsilon,accuracy line; delete the folder to start afresh")
        }
        return (epsilon, value)
    }
}
