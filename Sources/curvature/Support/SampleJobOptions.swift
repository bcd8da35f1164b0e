import ArgumentParser
import Curvature
import Foundation

/// Options shared by the per-sample jobs (`spectrum`, `density`, `trace`).
struct SampleJobOptions: ParsableArguments {
    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Samples processed together (one batched HVP per step).")
    var batchSize: Int = 50

    @Option(parsing: .unconditional, help: "Seed of start and probe vectors (each sample draws from its own stream).")
    var seed: UInt64 = 0

    @Option(help: "Run shard i of n (1-based, e.g. 2/8): whole batches split into n contiguous parts; join with `curvature merge`.")
    var shard: Shard = .whole

    @Flag(name: .customLong("gradient-norm"), help: "Add a trailing gradient_norm column: each sample's ‖∇ₓ of the objective‖₂, to read curvature relative to slope (|λ|/‖∇ℓ‖).")
    var gradientNorm = false

    @Flag(help: "Continue an interrupted run from <out>.partial (same options; --batch-size and --threads may change).")
    var resume = false

    @Option(help: "Arithmetic of the model and the HVPs (Lanczos vectors are always Float64).")
    var dtype: DType = .float32

    @OptionGroup var threads: ThreadOptions

    @Option(help: "Output CSV (also writes <out>.meta.json).")
    var out: String

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be ≥ 1, got \(batchSize)") }
        try OutputPath.checkFile(out, option: "--out")
    }

    /// Batch-aligned sample ranges of this shard: batches start at `range.lowerBound + k·batchSize`
    /// in every run, so each sample is computed in the same batch whatever the sharding.
    func batches(of range: Range<Int>) -> [Range<Int>] {
        BatchRanges(covering: range, batchSize: batchSize).batches(of: shard)
    }

    /// Everything that shapes a per-sample job's rows: the job's own `settings`, the samples, the
    /// seed, the arithmetic and the checksums of the model and the data files. A resume must match
    /// it; the batch size and thread count do not change results and are not part of it.
    func fingerprint(_ settings: [String: String], model: ModelOptions, data: DataOptions, range: Range<Int>) throws -> [String: String] {
        // The data's record adds keys only for an images/labels pair (split whole, labels), so the
        // records, and resumes, of the other data forms stay as they were.
        let record = data.record.merging([
            "samples": "\(range.lowerBound)..<\(range.upperBound)",
            "shard": shard.description, "dtype": dtype.rawValue, "seed": String(seed), "arch": model.arch ?? "",
            "gradient_norm": gradientNorm ? "yes" : "no",
            "model_sha256": try SHA256.hex(fileAt: model.url),
            "data_sha256": try data.checksum(),
        ]) { $1 }
        return settings.merging(record) { $1 }
    }

    /// `settings` with this run's seed and gradient-norm column.
    func configured<Settings: InputHessianJobSettings>(_ settings: Settings) -> Settings {
        var configured = settings
        (configured.seed, configured.gradientNorm) = (seed, gradientNorm)
        return configured
    }

    /// Runs a `Job` with each of `scaled` (one per scale of an h-sweep, ``HessianOptions/each(_:)``),
    /// its settings fitted to the model and checked against it, into `out` with its metadata; the
    /// rows of one sample stay together, scale after scale, and carry their h in a sweep.
    /// - Parameter summary: entries for the metadata, made of the finished file, the settings of the
    ///   first scale and the input dimension.
    func run<Job: SampleJob>(_: Job.Type, _ scaled: [Job.Settings], label: String, model: ModelOptions, data: DataOptions, hessian: HessianOptions,
                             summary: (URL, Job.Settings, Int) throws -> [String: Any] = { _, _, _ in [:] }) throws
    where Job.Settings: InputHessianJobSettings, Job.Row: InputHessianRow {
        let prepared = try PreparedSampleJob(model: model, data: data, job: self)
        let d = prepared.network.inputShape.reduce(1, *)
        let jobs = scaled.map { Job(model: prepared.classifier, settings: $0.fitted(to: prepared.network)) }
        try usage { for job in jobs { try job.settings.validate(dimension: d) } }
        guard let first = jobs.first?.settings else { return }  // never: every run has a scale
        let fingerprint = try fingerprint(hessian.record.merging(first.record(dimension: d, dtype: prepared.dtype)) { $1 }, model: model, data: data,
                                          range: prepared.range)
        let sweep = jobs.count > 1
        try run(header: Job.Row.header(gradientNorm: gradientNorm, h: sweep), label: label, model: model, range: prepared.range,
                fingerprint: fingerprint, start: prepared.start) { samples in
            let batch = prepared.images.batch(samples, dtype: prepared.dtype)
            let perScale = try jobs.map { job in
                try job.rows(for: batch).map { row in
                    var row = row
                    row.h = sweep ? job.settings.h : nil
                    return row
                }
            }
            return batch.indices.flatMap { sample in perScale.flatMap { rows in rows.filter { $0.sample == sample }.map { $0.csv(dtype: prepared.dtype) } } }
        } summary: { url in
            try summary(url, first, d)
        }
    }

    /// Runs the job's batches of `range` into `out` (resumable, checked against `fingerprint`),
    /// then writes `<out>.meta.json`, with the entries `summary` makes of the finished file.
    func run(header: String, label: String, model: ModelOptions, range: Range<Int>, fingerprint: [String: String], start: Date,
             _ rows: (Range<Int>) throws -> [String], summary: (URL) throws -> [String: Any] = { _ in [:] }) throws {
        let url = URL(fileURLWithPath: out)
        try BatchedCSVRun(header: header, out: url, resume: resume, label: label, record: fingerprint).run(batches(of: range), rows)
        try writeMeta(for: url, model: model.url, seed: seed, settings: fingerprint.merging(["batch_size": String(batchSize)]) { $1 }, start: start,
                      extra: try summary(url))
    }
}

/// What every job over a split's samples loads before its first batch, checked against each other.
struct PreparedSampleJob {
    let start = Date()
    let dtype: DType
    let network: any Network
    let images: LabeledImages
    let range: Range<Int>

    init(model: ModelOptions, data: DataOptions, threads: ThreadOptions, dtype: DType = .float32) throws {
        threads.apply()
        self.dtype = dtype
        network = try model.load(dtype: dtype)
        images = try data.load()
        try checkInput(network, fits: images, dataName: data.data)
        range = try data.range(in: images)
    }

    init(model: ModelOptions, data: DataOptions, job: SampleJobOptions) throws {
        try self.init(model: model, data: data, threads: job.threads, dtype: job.dtype)
    }

    var classifier: Classifier { { [network] in network($0) } }
}

/// Runs a per-sample job batch by batch into `<out>.partial` (``ResumableCSV``) with a progress
/// line on stderr; Ctrl-C stops it between batches with the finished ones kept.
struct BatchedCSVRun {
    let header: String
    let out: URL
    let resume: Bool
    let label: String
    var record: [String: String] = [:]

    func run(_ ranges: [Range<Int>], _ rows: (Range<Int>) throws -> [String]) throws {
        let progress = ProgressLine()
        defer { progress.finish() }
        try interruptible {
            try ResumableCSV(header: header, out: out, resume: resume, record: record).run(
                ranges, label: label, progress: progress.samples(label), shouldStop: { Interruption.requested }
            ) { range in
                Interruption.setStatus("batch \((ranges.firstIndex(of: range) ?? 0) + 1) of \(ranges.count) (samples \(range.lowerBound)–\(range.upperBound - 1))")
                return try rows(range)
            }
        }
    }
}

/// Runs `body`, turning a ``RunInterrupted`` into the interruption's message and exit status.
@discardableResult
func interruptible<R>(_ body: () throws -> R) throws -> R {
    do {
        return try body()
    } catch let interrupted as RunInterrupted {
        exitInterrupted(interrupted.message.inFlags)
    }
}

/// `<out>.meta.json`: what produced a result file; `masking` adds AutoAttack's checks (counts and
/// warnings) when the run made them; `extra` adds entries of its own.
func writeMeta(for out: URL, model: URL?, seed: UInt64, settings: [String: String], start: Date, masking: MaskingReport? = nil,
               extra: [String: Any] = [:]) throws {
    var meta: [String: Any] = [
        "command": CommandLine.arguments.joined(separator: " "),
        "version": curvatureVersion,
        "seed": seed,
        "wall_seconds": (Date().timeIntervalSince(start) * 100).rounded() / 100,
        "threads": Parallel.threadCount,
        "finished": ISO8601DateFormatter().string(from: Date()),
        "settings": settings,
    ]
    if let masking { meta["masking_checks"] = maskingChecks(masking) }
    meta.merge(extra) { $1 }
    if let model {
        meta["model"] = model.path
        meta["model_sha256"] = try SHA256.hex(fileAt: model)
    }
    let data = try JSONSerialization.data(withJSONObject: meta, options: [.prettyPrinted, .sortedKeys])
    try AtomicFile.write(data, to: URL(fileURLWithPath: out.path + ".meta.json"))
}

/// AutoAttack's masking checks as a meta.json entry: the counts and the warnings.
func maskingChecks(_ masking: MaskingReport) -> [String: Any] {
    [
        "samples": masking.samples, "broken_only_by_square": masking.brokenOnlyBySquare,
        "zero_gradient": masking.zeroGradient, "probability_output_batches": masking.probabilityBatches,
        "batches": masking.batches, "warnings": masking.warnings,
    ]
}

/// AutoAttack's masking warnings on stderr, one line each; `subject` says what they are about.
func printMaskingWarnings(_ masking: MaskingReport?, command: String, subject: String? = nil) {
    let about = subject.map { "\($0): " } ?? ""
    for warning in masking?.warnings ?? [] { FileHandle.standardError.write(Data("\(command): warning: \(about)\(warning)\n".utf8)) }
}

/// Counts the samples of a finished result file with a row flagged `converged` false, says so on
/// stderr in one line when there are any, and returns the count for `<out>.meta.json`.
func reportConvergence(of url: URL, label: String, budget: String) throws -> [String: Any] {
    let count = try ConvergenceCount(csv: url)
    if count.unconverged > 0 {
        FileHandle.standardError.write(Data("\(label): \(count.unconverged) of \(count.samples) samples did not converge within \(budget); see column converged\n".utf8))
    }
    return ["unconverged_samples": count.unconverged, "samples": count.samples]
}
