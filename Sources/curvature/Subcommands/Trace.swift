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
    @Option(parsing: .unconditional, help: "Rademacher probes v per sample (≥ 2; the standard error falls as 1/√probes).") var probes: Int = TraceSettings().probes
    @OptionGroup var job: SampleJobOptions

    /// The options as settings, once per scale of an h-sweep, each checked.
    func settings() throws -> [TraceSettings] {
        var settings = job.configured(TraceSettings())
        settings.probes = probes
        return try hessianOptions.each(settings)
    }

    func validate() throws { _ = try settings() }

    func run() throws {
        try job.run(TraceJob.self, try settings(), label: "trace", model: model, data: data, hessian: hessianOptions)
    }
}
