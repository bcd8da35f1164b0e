import ArgumentParser
import Curvature
import Foundation

struct Density: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Spectral density of each sample's input Hessian by stochastic Lanczos quadrature.",
        discussion: """
            Writes CSV `sample,lambda,density`. Each sample's density averages --probes Rademacher probes, \
            each a --steps-step Lanczos run whose Ritz values and weights are smoothed by a Gaussian of \
            width --sigma. With --lambda-min and --lambda-max every sample shares one grid; otherwise each \
            sample's grid spans its own Ritz values ± 4σ (σ defaulting to 1 % of that span).
            """)

    @OptionGroup var model: ModelOptions
    @OptionGroup var data: DataOptions
    @OptionGroup var hessianOptions: HessianOptions

    @Option(parsing: .unconditional, help: "Rademacher probes per sample.") var probes: Int = 10
    @Option(parsing: .unconditional, help: "Lanczos steps per probe.") var steps: Int = 30
    @Option(parsing: .unconditional, help: "Gaussian smoothing width (default: 1 % of the spectrum's span).") var sigma: Double?
    // Unconditional: a negative value such as -0.5 must not be read as an option.
    @Option(name: .customLong("lambda-min"), parsing: .unconditional, help: "Left end of a grid shared by all samples.") var lambdaMin: Double?
    @Option(name: .customLong("lambda-max"), parsing: .unconditional, help: "Right end of that grid.") var lambdaMax: Double?
    @Option(name: .customLong("grid-points"), parsing: .unconditional) var gridPoints: Int = 200
    @OptionGroup var job: SampleJobOptions

    func validate() throws {
        guard probes >= 1, steps >= 1, gridPoints >= 2 else { throw ValidationError("--probes and --steps must be ≥ 1, --grid-points ≥ 2") }
        if let sigma, sigma <= 0 { throw ValidationError("--sigma must be positive") }
        guard (lambdaMin == nil) == (lambdaMax == nil) else { throw ValidationError("give both --lambda-min and --lambda-max, or neither") }
        if let lambdaMin, let lambdaMax, lambdaMin >= lambdaMax { throw ValidationError("--lambda-min must be below --lambda-max") }
    }

    func run() throws {
        let prepared = try PreparedSampleJob(model: model, data: data, job: job)
        let d = prepared.network.inputShape.reduce(1, *)
        let options = SpectralDensityOptions(probes: probes, steps: Swift.min(steps, d), seed: job.seed)
        func text(_ value: Double?) -> String { value.map { "\($0)" } ?? "auto" }
        let settings: [String: String] = [
            "probes": String(probes), "steps": String(options.steps), "sigma": text(sigma),
            "lambda_min": text(lambdaMin), "lambda_max": text(lambdaMax), "grid_points": String(gridPoints),
        ]
        let fingerprint = try job.fingerprint(hessianOptions.record.merging(settings) { $1 }, model: model, data: data, range: prepared.range)
        try job.run(header: "sample,lambda,density", label: "density", model: model, range: prepared.range, fingerprint: fingerprint, start: prepared.start) { samples in
            let batch = prepared.images.batch(samples, dtype: prepared.dtype)
            let op = try hessianOptions.makeOperator(prepared.classifier, batch)
            var lines: [String] = []
            // The grid depends on each sample's nodes, so each sample's quadrature is smoothed on its own grid.
            for (b, result) in try stochasticLanczosQuadrature(op, options: options).enumerated() {
                let low = lambdaMin ?? result.nodes.min()!, high = lambdaMax ?? result.nodes.max()!
                let width = sigma ?? Swift.max((high - low) / 100, 1e-12 * Swift.max(Swift.abs(high), 1))
                let grid = SpectralDensity.uniformGrid(from: lambdaMin ?? low - 4 * width, to: lambdaMax ?? high + 4 * width, count: gridPoints)
                for (lambda, value) in zip(grid, result.smoothed(on: grid, sigma: width)) {
                    lines.append("\(batch.indices[b]),\(CSVNumber.format(lambda, dtype: prepared.dtype)),\(CSVNumber.format(value, dtype: prepared.dtype))")
                }
            }
            return lines
        }
    }
}
