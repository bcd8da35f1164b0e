import ArgumentParser
import Curvature
import Foundation

/// Options shared by the per-sample jobs (`spectrum`, `density`, `trace`).
struct SampleJobOptions: ParsableArguments {
    @Option(name: .customLong("batch-size"), help: "Samples processed together (one batched HVP per step).")
    var batchSize: Int = 50

    @Option(help: "Seed of start and probe vectors (each sample draws from its own stream).")
    var seed: UInt64 = 0

    @Option(help: "Run shard i of n (1-based, e.g. 2/8): whole batches split into n contiguous parts; join with `curvature merge`.")
    var shard: String?

    @Flag(help: "Continue an interrupted run from <out>.partial.")
    var resume = false

    @Option(help: "float32 or float64 model arithmetic (Lanczos vectors are always Float64).")
    var dtype: String = "float32"

    @OptionGroup var threads: ThreadOptions

    @Option(help: "Output CSV (also writes <out>.meta.json).")
    var out: String

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be ≥ 1, got \(batchSize)") }
        if shard != nil { _ = try shardPosition() }
        guard DType(rawValue: dtype) != nil else { throw ValidationError("--dtype must be float32 or float64, got '\(dtype)'") }
    }

    /// (index from 0, count).
    func shardPosition() throws -> (index: Int, count: Int) {
        guard let shard else { return (0, 1) }
        let parts = shard.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 1, i <= n else {
            throw ValidationError("--shard must be i/n with 1 ≤ i ≤ n, got '\(shard)'")
        }
        return (i - 1, n)
    }

    /// Batch-aligned sample ranges of this shard: batches start at `range.lowerBound + k·batchSize`
    /// in every run, so each sample is computed in the same batch whatever the sharding.
    func batches(of range: Range<Int>) throws -> [Range<Int>] {
        let all = stride(from: range.lowerBound, to: range.upperBound, by: batchSize).map {
            $0..<Swift.min($0 + batchSize, range.upperBound)
        }
        let (index, count) = try shardPosition()
        return Array(all[(all.count * index / count)..<(all.count * (index + 1) / count)])
    }
}

/// What every per-sample job loads before its first batch, checked against each other.
struct PreparedSampleJob {
    let start = Date()
    let dtype: DType
    let network: Sequential
    let images: LabeledImages
    let range: Range<Int>

    init(model: ModelOptions, data: DataOptions, job: SampleJobOptions) throws {
        job.threads.apply()
        dtype = DType(rawValue: job.dtype)!
        network = try model.load(dtype: dtype)
        images = try data.load()
        try checkInput(network, fits: images, dataName: data.data)
        range = try data.range(in: images)
    }

    /// One sample's input dimension.
    var dimension: Int { network.inputShape.reduce(1, *) }

    func batch(_ samples: Range<Int>) -> Batch { images.batch(at: Array(samples), dtype: dtype) }
}

/// Runs a per-sample job batch by batch into `<out>.partial` (whole batches, flushed to disk),
/// resumable, with a progress line, and renames it to `out` at the end.
struct BatchedCSVRun {
    let header: String
    let out: URL
    let resume: Bool
    let label: String

    var partial: URL { URL(fileURLWithPath: out.path + ".partial") }

    /// Returns the number of samples computed in this run (not counting resumed ones).
    func run(_ ranges: [Range<Int>], _ rows: (Range<Int>) throws -> [String]) throws -> Int {
        let done = try prepare(sampleRanges: ranges)
        guard let handle = FileHandle(forWritingAtPath: partial.path) else {
            throw InputError("\(partial.path): cannot open for writing")
        }
        defer { try? handle.close() }
        try handle.seekToEnd()
        let total = ranges.reduce(0) { $0 + $1.count }
        var finished = ranges.filter { done.contains($0.lowerBound) }.reduce(0) { $0 + $1.count }
        let start = Date(), resumedFrom = finished
        let progress = ProgressLine()
        if resumedFrom > 0 { progress.note("\(label): resuming with \(resumedFrom) of \(total) samples done") }
        for range in ranges where !done.contains(range.lowerBound) {
            if Interruption.requested {
                progress.finish()
                exitInterrupted("\(label): interrupted with \(finished) of \(total) samples in \(partial.path); run the same command with --resume to finish")
            }
            let lines = try rows(range)
            try handle.write(contentsOf: Data(lines.map { $0 + "\n" }.joined().utf8))
            try handle.synchronize()
            finished += range.count
            let rate = Double(finished - resumedFrom) / Swift.max(Date().timeIntervalSince(start), 1e-9)
            progress.update(String(format: "%@: %d/%d samples  %.2f samples/s  ETA %@", label, finished, total, rate,
                                   ProgressLine.duration(Double(total - finished) / rate)), force: finished == total)
        }
        progress.finish()
        if rename(partial.path, out.path) != 0 { throw InputError("\(out.path): cannot rename the finished partial file into place") }
        return finished - resumedFrom
    }

    /// Starts a fresh partial file, or on resume keeps the batches it already holds completely and
    /// returns their first samples.
    private func prepare(sampleRanges: [Range<Int>]) throws -> Set<Int> {
        if resume, let text = try? String(contentsOf: partial, encoding: .utf8), text.hasPrefix(header + "\n") {
            // Only whole lines count, and only batches all of whose samples are present.
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if !text.hasSuffix("\n") { lines.removeLast() } else { lines.removeLast() }
            let body = lines.dropFirst()
            let present = Set(body.compactMap { $0.split(separator: ",").first.flatMap { Int($0) } })
            let complete = sampleRanges.filter { $0.allSatisfy(present.contains) }
            let keep = Set(complete.flatMap { Array($0) })
            let kept = body.filter { line in line.split(separator: ",").first.flatMap { Int($0) }.map(keep.contains) ?? false }
            try AtomicFile.write(([header] + kept).map { $0 + "\n" }.joined(), to: partial)
            return Set(complete.map(\.lowerBound))
        }
        try AtomicFile.write(header + "\n", to: partial)
        return []
    }
}

/// `<out>.meta.json`: what produced a result file.
func writeMeta(for out: URL, model: URL?, seed: UInt64, settings: [String: String], start: Date) throws {
    var meta: [String: Any] = [
        "command": CommandLine.arguments.joined(separator: " "),
        "version": curvatureVersion,
        "seed": seed,
        "wall_seconds": (Date().timeIntervalSince(start) * 100).rounded() / 100,
        "threads": BLASThreads.count,
        "finished": ISO8601DateFormatter().string(from: Date()),
        "settings": settings,
    ]
    if let model {
        meta["model"] = model.path
        meta["model_sha256"] = try SHA256.hex(fileAt: model)
    }
    let data = try JSONSerialization.data(withJSONObject: meta, options: [.prettyPrinted, .sortedKeys])
    try AtomicFile.write(data, to: URL(fileURLWithPath: out.path + ".meta.json"))
}
