import ArgumentParser
import Curvature
import Foundation

struct Trace: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hutchinson estimate of each sample's input-Hessian trace.",
        discussion: """
            Writes CSV `sample,trace,stderr`: the mean of vᵀHv over --probes Rademacher probes and its \
            standard error.

            Examples:
              M=Data/models/mnist5k-cnn-small-standard.safetensors
              curvature trace --model $M --data mnist5k --samples 50 --out trace.csv
              curvature trace --model $M --data mnist5k --samples 20 --hessian finite \\
                --out trace-finite.csv
            """)

    @OptionGroup var model: ModelOptions
    @OptionGroup var data: DataOptions
    @OptionGroup var hessianOptions: HessianOptions
    @Option(parsing: .unconditional, help: "Rademacher probes v per sample (≥ 2; the standard error falls as 1/√probes).") var probes: Int = 32
    @OptionGroup var job: SampleJobOptions

    func validate() throws {
        guard probes >= 2 else { throw ValidationError("--probes must be ≥ 2 for a standard error, got \(probes)") }
    }

    func run() throws {
        let prepared = try PreparedSampleJob(model: model, data: data, job: job)
        let fingerprint = try job.fingerprint(hessianOptions.record.merging(["probes": String(probes)]) { $1 },
                                              model: model, data: data, range: prepared.range)
        let header = "sample,trace,stderr" + (job.gradientNorm ? ",gradient_norm" : "") + (hessianOptions.sweep ? ",h" : "")
        try job.run(header: header, label: "trace", model: model, range: prepared.range, fingerprint: fingerprint, start: prepared.start) { samples in
            let batch = prepared.images.batch(samples, dtype: prepared.dtype)
            return try hessianOptions.sweepLines(batch.indices) { h in
                let (op, gradientNorms) = try hessianOptions.makeOperator(prepared.classifier, batch, h: h)
                return try hutchinsonTrace(op, probes: probes, seed: job.seed).enumerated().map { b, e in
                    let norm = job.gradientNorm ? "," + CSVNumber.format(gradientNorms[b], dtype: prepared.dtype) : ""
                    return ["\(batch.indices[b]),\(CSVNumber.format(e.estimate, dtype: prepared.dtype)),\(String(format: "%.3g", e.standardError))\(norm)"]
                }
            }
        }
    }
}
