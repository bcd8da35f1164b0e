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
    @Option(parsing: .unconditional, help: "Rademacher probes per sample (≥ 2).") var probes: Int = 32
    @OptionGroup var job: SampleJobOptions

    func validate() throws {
        guard probes >= 2 else { throw ValidationError("--probes must be ≥ 2 for a standard error, got \(probes)") }
    }

    func run() throws {
        let prepared = try PreparedSampleJob(model: model, data: data, job: job)
        let fingerprint = try job.fingerprint(hessianOptions.record.merging(["probes": String(probes)]) { $1 },
                                              model: model, data: data, range: prepared.range)
        try job.run(header: "sample,trace,stderr", label: "trace", model: model, range: prepared.range, fingerprint: fingerprint, start: prepared.start) { samples in
            let batch = prepared.images.batch(samples, dtype: prepared.dtype)
            let estimates = try hutchinsonTrace(try hessianOptions.makeOperator(prepared.classifier, batch), probes: probes, seed: job.seed)
            return estimates.enumerated().map { b, e in
                "\(batch.indices[b]),\(CSVNumber.format(e.estimate, dtype: prepared.dtype)),\(String(format: "%.3g", e.standardError))"
            }
        }
    }
}
