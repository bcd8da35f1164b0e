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

            Examples:
              M=Data/models/mnist5k-cnn-small-standard.safetensors
              curvature density --model $M --data mnist5k --samples 10 --out density.csv
              curvature density --model $M --data mnist5k --samples 10 \\
                --probes 20 --steps 40 --lambda-min -0.5 --lambda-max 2 \\
                --grid-points 400 --out grid.csv
            """)

    @OptionGroup var model: ModelOptions
    @OptionGroup var data: DataOptions
    @OptionGroup var hessianOptions: HessianOptions

    @Option(parsing: .unconditional, help: "Rademacher probes (Lanczos runs) averaged per sample.") var probes: Int = 10
    @Option(parsing: .unconditional, help: "Lanczos steps per probe (Ritz values per probe; at most d).") var steps: Int = 30
    @Option(parsing: .unconditional, help: "Width σ of the Gaussian smoothing, in units of λ (default: 1 % of each sample's span of Ritz values).") var sigma: Double?
    // Unconditional: a negative value such as -0.5 must not be read as an option.
    @Option(name: .customLong("lambda-min"), parsing: .unconditional, help: "Left end of a λ grid shared by all samples (with --lambda-max; default: each sample's own grid).") var lambdaMin: Double?
    @Option(name: .customLong("lambda-max"), parsing: .unconditional, help: "Right end of that shared λ grid (with --lambda-min).") var lambdaMax: Double?
    @Option(name: .customLong("grid-points"), parsing: .unconditional, help: "Points of each sample's λ grid (≥ 2).") var gridPoints: Int = 200
    @OptionGroup var job: SampleJobOptions

    func validate() throws {
        guard probes >= 1 else { throw ValidationError("--probes must be ≥ 1, got \(probes)") }
        guard steps >= 1 else { throw ValidationError("--steps must be ≥ 1, got \(steps)") }
        guard gridPoints >= 2 else { throw ValidationError("--grid-points must be ≥ 2, got \(gridPoints)") }
        if let sigma, !(sigma > 0) { throw ValidationError("--sigma must be positive, got \(sigma)") }
        guard (lambdaMin == nil) == (lambdaMax == nil) else { throw ValidationError("give both --lambda-min and --lambda-max, or neither") }
        if let lambdaMin, let lambdaMax, lambdaMin >= lambdaMax { throw ValidationError("--lambda-min \(lambdaMin) must be below --lambda-max \(lambdaMax)") }
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
        let header = "sample,lambda,density" + (job.gradientNorm ? ",gradient_norm" : "") + (hessianOptions.sweep ? ",h" : "")
        try job.run(header: header, label: "density", model: model, range: prepared.range, fingerprint: fingerprint, start: prepared.start) { samples in
            let batch = prepared.images.batch(samples, dtype: prepared.dtype)
            return try hessianOptions.sweepLines(batch.indices) { h in
                let (op, gradientNorms) = try hessianOptions.makeOperator(prepared.classifier, batch, h: h)
                // The grid depends on each sample's nodes, so each sample's quadrature is smoothed on its own grid.
                return try stochasticLanczosQuadrature(op, options: options).enumerated().map { b, result in
                    let low = lambdaMin ?? result.nodes.min()!, high = lambdaMax ?? result.nodes.max()!
                    let width = sigma ?? Swift.max((high - low) / 100, 1e-12 * Swift.max(Swift.abs(high), 1))
                    let grid = SpectralDensity.uniformGrid(from: lambdaMin ?? low - 4 * width, to: lambdaMax ?? high + 4 * width, count: gridPoints)
                    let norm = job.gradientNorm ? "," + CSVNumber.format(gradientNorms[b], dtype: prepared.dtype) : ""
                    return zip(grid, result.smoothed(on: grid, sigma: width)).map { lambda, value in
                        "\(batch.indices[b]),\(CSVNumber.format(lambda, dtype: prepared.dtype)),\(CSVNumber.format(value, dtype: prepared.dtype))\(norm)"
                    }
                }
            }
        }
    }
}
