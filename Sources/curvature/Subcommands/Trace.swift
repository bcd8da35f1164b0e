import ArgumentParser
import Curvature
import Foundation

struct Trace: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hutchinson estimate of each sample's input-Hessian trace.",
        discussion: "Writes CSV `sample,trace,stderr`: the mean of vᵀHv over --probes Rademacher probes and its standard error.")

    @OptionGroup var model: ModelOptions
    @OptionGroup var data: DataOptions
    @OptionGroup var hessianOptions: HessianOptions
    @Option(help: "Rademacher probes per sample (≥ 2).") var probes: Int = 32
    @OptionGroup var job: SampleJobOptions

    func validate() throws {
        guard probes >= 2 else { throw ValidationError("--probes must be ≥ 2 for a standard error, got \(probes)") }
    }

    func run() throws {
        let prepared = try PreparedSampleJob(model: model, data: data, job: job)
        let (start, type, network, images, range) = (prepared.start, prepared.dtype, prepared.network, prepared.images, prepared.range)
        let out = URL(fileURLWithPath: job.out)
        _ = try BatchedCSVRun(header: "sample,trace,stderr", out: out, resume: job.resume, label: "trace").run(try job.batches(of: range)) { samples in
            let batch = images.batch(at: Array(samples), dtype: type)
            let estimates = try hutchinsonTrace(try hessianOptions.makeOperator({ network($0) }, batch), probes: probes, seed: job.seed)
            return estimates.enumerated().map { b, e in
                "\(batch.indices[b]),\(String(format: "%.9g", e.estimate)),\(String(format: "%.3g", e.standardError))"
            }
        }
        try writeMeta(for: out, model: model.url, seed: job.seed, settings: [
            "probes": String(probes), "hessian": hessianOptions.hessian, "h": String(hessianOptions.h), "data": data.data,
            "split": data.split, "samples": "\(range.lowerBound)..<\(range.upperBound)", "shard": job.shard ?? "1/1", "dtype": job.dtype,
        ], start: start)
    }
}
