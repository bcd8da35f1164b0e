import ArgumentParser
import Curvature
import Foundation

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare the curvature and robustness of several models on the same samples.",
        discussion: """
            Writes into --out-dir: profile.csv (`model,rank,mean,median,p10,p90,samples`), spectra.csv \
            (`model,sample,label,predicted,rank,eigenvalue,residual`), eval.csv (`model,attack,epsilon,accuracy`: \
            PGD ℓ∞ rows, attack pgd-linf, then AutoAttack rows, autoattack-linf, on the same samples, as \
            --robust-attacks asks; with AutoAttack also eval.csv.meta.json with its masking checks per model, \
            warnings on stderr), images.csv and images.titles (inputs, input-gradients and PGD \
            perturbations of the first --figure-samples samples, or of --figure-indices, for every model: `panel,row,col,value`), \
            spectra.csv.meta.json (command, settings, model checksums), then prints a table of the headline \
            numbers (also kept as summary.md): a column per attack and ε and, with both attacks, the largest gap \
            PGD − AutoAttack over ε. Finished batches of spectra and finished evaluations are kept in --out-dir/.compare-partial \
            until the run completes: after Ctrl-C or a crash, the same command with --resume finishes the run \
            with the same results as an uninterrupted one (a resume may add or leave out a robust attack: each \
            attack's evaluations are kept apart).

            Examples:
              M=Data/models/mnist5k-cnn-small
              curvature compare --data mnist5k --samples 20 --out-dir compare \\
                --models $M-standard.safetensors,$M-pgd.safetensors,$M-cure.safetensors \\
                --names standard,pgd,cure
            """)

    @Option(help: "Comma-separated model files (.safetensors or .onnx).")
    var models: CommaSeparated<String>

    @Option(help: "Comma-separated names, one per model (default: file names).")
    var names: CommaSeparated<String>?

    @Option(help: "Architecture for models without one in their metadata: a built-in name (\(BuiltinArchitecture.names.joined(separator: ", "))) or a JSON file.")
    var arch: String?

    @OptionGroup var data: DataOptions

    @Option(help: "The eigen-solver: lanczos (top --k by block Lanczos until converged, or from --steps HVPs) or dense (LAPACK on the full d×d matrix); default lanczos, or the exact Gauss–Newton route where it gives the whole spectrum (see spectrum --help).")
    var method: CompareMethod?
    @OptionGroup var spectrum: SpectrumOptions
    // A literal list of numbers: the parse cannot fail.
    @Option(help: "Comma-separated ε of the ℓ∞ evaluations (PGD with --pgd-steps steps), pixels in [0, 1].") var epsilons = CommaSeparated<Double>(argument: "0,0.05,0.1,0.15,0.2")!
    @Option(name: .customLong("pgd-steps"), parsing: .unconditional, help: "PGD steps of the evaluation and the figure.") var pgdSteps: Int = 20
    @OptionGroup var robust: RobustAttackOptions
    @Option(name: .customLong("figure-samples"), parsing: .unconditional, help: "Samples in the image figure: the first N of the range.") var figureSamples: Int = 4
    @Option(name: .customLong("figure-indices"), parsing: .unconditional, help: "Comma-separated split indices for the image figure instead (e.g. the 9s of a test set).")
    var figureIndices: CommaSeparated<Int>?
    @Option(name: .customLong("figure-attack"), help: "The perturbation the figure shows.") var figureAttack: FigureAttack = .pgdLinf
    @Option(name: .customLong("figure-epsilon"), parsing: .unconditional, help: "ε of the figure's perturbation (default: the first positive --epsilons).", transform: realNumber)
    var figureEpsilon: Double?
    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Samples per batched spectrum computation (does not change the results).") var batchSize: Int = 50
    @Option(parsing: .unconditional, help: "Seed of the Lanczos start vectors and the attacks' random starts.") var seed: UInt64 = 0
    @Option(help: "Run shard i of n (1-based): whole batches of the samples split into n contiguous parts; each shard's spectra.csv joins with `curvature merge`.")
    var shard: Shard = .whole
    @OptionGroup var threads: ThreadOptions

    @Option(name: .customLong("out-dir"), help: "Folder for the results (created if needed).")
    var outDir: String

    @Flag(help: "Also each sample's nearest decision-boundary point and the boundary's 5 largest and 5 smallest principal curvatures there (as `curvature boundary --k 5 --which both --interpretability` computes them; a ReLU network's are 0): boundary.csv, boundary-profile.csv (by rank, as profile.csv), and the summary's median distance, κ₁, κ_min, κ₁ × distance and saliency alignment.")
    var boundary = false

    @Flag(help: "Continue an interrupted run from the finished batches and evaluations kept in <out-dir>/.compare-partial.")
    var resume = false

    var modelPaths: [String] { models.values.filter { !$0.isEmpty } }
    var modelNames: [String] {
        names?.values ?? modelPaths.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
    }

    func validate() throws {
        guard !modelPaths.isEmpty else { throw ValidationError("--models needs at least one file") }
        try OutputPath.checkFolder(outDir, option: "--out-dir")
        for path in modelPaths { try InputPath.checkFile(path, option: "--models") }
        guard modelNames.count == modelPaths.count else { throw ValidationError("--names gives \(modelNames.count) names for \(modelPaths.count) models") }
        guard Set(modelNames).count == modelNames.count, modelNames.allSatisfy({ !$0.contains(",") && !$0.isEmpty }) else {
            throw ValidationError("--names must be distinct, non-empty and without commas")
        }
        if let arch { try checkArchitectureName(arch) }
        if spectrum.hessianOptions.sweep {
            throw ValidationError("--h \(spectrum.hessianOptions.scales.map { "\($0)" }.joined(separator: ",")): compare runs one scale; use spectrum, density or trace for an h-sweep")
        }
        _ = try spectrumSettings()
        guard pgdSteps >= 1 else { throw ValidationError("--pgd-steps must be ≥ 1, got \(pgdSteps)") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be ≥ 1, got \(batchSize)") }
        guard figureSamples >= 0 else { throw ValidationError("--figure-samples must be ≥ 0, got \(figureSamples)") }
        if let figureEpsilon, !(figureEpsilon > 0) { throw ValidationError("--figure-epsilon must be positive, got \(figureEpsilon)") }
        if let figureIndices, figureIndices.values.contains(where: { $0 < 0 }) {
            throw ValidationError("--figure-indices must be comma-separated indices ≥ 0, got '\(figureIndices.text)'")
        }
    }

    /// The solver's settings (one scale: a sweep is refused above).
    func spectrumSettings() throws -> SpectrumSettings {
        let scales = try spectrum.settings(method: (method ?? .lanczos).method, seed: seed, routeAllowed: method == nil)
        return scales[0]  // never empty: one per scale, and one without --h
    }

    func run() throws {
        let start = Date()
        threads.apply()
        let images = try data.load()
        let range = try data.range(in: images)
        let architecture = try arch.map(loadArchitecture)
        let networks = try modelPaths.map { try loadNetwork($0, architecture: architecture) }
        var study = ComparisonStudy(models: Array(zip(modelNames, networks)).map { ($0, $1) }, data: images, dataName: data.data,
                                    split: data.split, samples: range)
        study.settings.spectrum = try spectrumSettings()
        (study.settings.batchSize, study.settings.epsilons, study.settings.pgdSteps) = (batchSize, epsilons.values, pgdSteps)
        study.settings.robustAttacks = robust.attacks
        study.settings.boundary = boundary ? BoundarySettings.study : nil
        study.settings.figureIndices = figureIndices?.values ?? Array(range.prefix(figureSamples))
        (study.settings.figureAttack, study.settings.figureEpsilon, study.settings.shard) = (figureAttack.attack, figureEpsilon, shard)
        // Settings that cannot run (an index beyond the split) are usage errors.
        try usage { try study.validate() }
        study.identity = [
            "model_sha256": try modelPaths.map { try SHA256.hex(fileAt: URL(fileURLWithPath: $0)) }.joined(separator: ","),
            "arch": arch ?? "", "data_sha256": try data.checksum(),
        ]
        // data.record in the meta only: for a pair it says split whole where the study's resume
        // fingerprint keeps its split test, so an interrupted pair run still resumes.
        try runComparison(study, command: "curvature compare", outDir: outDir, resume: resume, start: start,
                          record: data.record.merging(["models": modelPaths.joined(separator: ",")]) { $1 })
    }
}

/// Runs a study with a progress line and Ctrl-C handling, writes its files into `outDir` with
/// the run's metadata (and AutoAttack's masking checks, also warned of on stderr), and prints the
/// headline table.
func runComparison(_ study: ComparisonStudy, command: String, outDir: String, resume: Bool, start: Date, record: [String: String]) throws {
    var study = study
    let progress = ProgressLine()
    defer { progress.finish() }
    study.progress = { text in
        Interruption.setStatus(text)
        progress.update(text, force: true)
    }
    study.spectrumProgress = { name in
        let show = progress.samples("compare \(name): spectra")
        return { finished, total, resumed in
            Interruption.setStatus("compare \(name): the spectra batch after \(finished) of \(total) samples")
            show(finished, total, resumed)
        }
    }
    study.shouldStop = { Interruption.requested }
    let folder = URL(fileURLWithPath: outDir)
    let result = try interruptible { try study.run(in: folder, resume: resume) }
    progress.finish()
    try result.write(to: folder)
    // The solver each model's spectra came from: the exact Gauss–Newton route where it applies.
    var methods = record
    var used: Set<String> = []
    for (name, network) in study.models {
        let settings = study.settings.spectrum.fitted(to: network)
        let method = settings.takesGaussNewtonRoute ? "gauss-newton" : settings.method.rawValue
        methods["method_\(name)"] = method
        used.insert(method)
    }
    methods["method"] = used.count == 1 ? used.first : "per model (method_NAME)"
    methods["robust_attacks"] = result.robustAttacks.map(\.rawValue).joined(separator: ",")
    // AutoAttack on part of the samples or ε (the demo's default); recorded only then, so a full
    // run's record stays as it was.
    let part = study.plan(for: .autoattack), all = study.plan(for: .pgd)
    if result.robustAttacks.contains(.autoattack), part.samples != all.samples || part.epsilons != all.epsilons {
        methods["autoattack_samples"] = "\(part.samples.lowerBound)..<\(part.samples.upperBound)"
        methods["autoattack_epsilons"] = part.epsilons.map { "\($0)" }.joined(separator: ",")
    }
    let settings = study.fingerprint.merging(methods) { $1 }
    var unconverged: [String: Int] = [:]
    for model in result.models {
        let count = Set(model.spectra.filter { !$0.converged }.map(\.sample)).count
        unconverged[model.name] = count
        if count > 0 {
            let budget = study.settings.spectrum.stepBudget().inFlags
            FileHandle.standardError.write(Data("\(command): model \(model.name): \(count) of \(Set(model.spectra.map(\.sample)).count) samples did not converge within \(budget); see spectra.csv column converged\n".utf8))
        }
    }
    try writeMeta(for: folder.appendingPathComponent("spectra.csv"), model: nil, seed: study.settings.seed, settings: settings, start: start,
                  extra: ["unconverged_samples": unconverged])
    let masking = result.models.compactMap { model in model.evaluations.compactMap(\.masking).first.map { (model.name, $0) } }
    for (name, report) in masking { printMaskingWarnings(report, command: command, subject: "model \(name)") }
    if !masking.isEmpty {
        try writeMeta(for: folder.appendingPathComponent("eval.csv"), model: nil, seed: study.settings.seed, settings: settings, start: start,
                      extra: ["masking_checks": Dictionary(uniqueKeysWithValues: masking.map { ($0.0, maskingChecks($0.1)) })])
    } else {
        // An earlier run's checks in the same folder no longer describe eval.csv.
        try? FileManager.default.removeItem(at: folder.appendingPathComponent("eval.csv.meta.json"))
    }
    print(result.summaryTable)
}
