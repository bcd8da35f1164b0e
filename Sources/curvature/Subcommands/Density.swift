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

    @Option(parsing: .unconditional, help: "Rademacher probes (Lanczos runs) averaged per sample.") var probes: Int = DensitySettings().probes
    @Option(parsing: .unconditional, help: "Lanczos steps per probe (Ritz values per probe; at most d).") var steps: Int = DensitySettings().steps
    @Option(parsing: .unconditional, help: "Width σ of the Gaussian smoothing, in units of λ (default: 1 % of each sample's span of Ritz values).") var sigma: Double?
    // Unconditional: a negative value such as -0.5 must not be read as an option.
    @Option(name: .customLong("lambda-min"), parsing: .unconditional, help: "Left end of a λ grid shared by all samples (with --lambda-max; default: each sample's own grid).") var lambdaMin: Double?
    @Option(name: .customLong("lambda-max"), parsing: .unconditional, help: "Right end of that shared λ grid (with --lambda-min).") var lambdaMax: Double?
    @Option(name: .customLong("grid-points"), parsing: .unconditional, help: "Points of each sample's λ grid (≥ 2).") var gridPoints: Int = DensitySettings().gridPoints
    @OptionGroup var job: SampleJobOptions

    /// The options as settings, once per scale of an h-sweep, each checked.
    func settings() throws -> [DensitySettings] {
        var settings = job.configured(DensitySettings())
        (settings.probes, settings.steps, settings.sigma, settings.gridPoints) = (probes, steps, sigma, gridPoints)
        (settings.lambdaMin, settings.lambdaMax) = (lambdaMin, lambdaMax)
        return try hessianOptions.each(settings)
    }

    func validate() throws { _ = try settings() }

    func run() throws {
        try job.run(DensityJob.self, try settings(), label: "density", model: model, data: data, hessian: hessianOptions)
    }
}
