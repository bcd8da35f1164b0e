import Messages
import Spectra
import Tensors

/// The settings of a spectral-density run (stochastic Lanczos quadrature, each probe's Ritz values
/// and weights smoothed by a Gaussian); ``validate(dimension:)`` is where they are checked.
public struct DensitySettings: InputHessianJobSettings, Equatable {
    /// Rademacher probes (Lanczos runs) averaged per sample.
    public var probes = SpectralDensityOptions().probes
    /// Lanczos steps per probe (Ritz values per probe); at most the input dimension are taken.
    public var steps = SpectralDensityOptions().steps
    /// Width σ of the Gaussian smoothing, in units of λ; nil: 1 % of each sample's span of Ritz values.
    public var sigma: Double? = nil
    /// The ends of one λ grid shared by all samples (both or neither); nil: each sample's own grid,
    /// its Ritz values ± 4σ.
    public var lambdaMin: Double? = nil
    public var lambdaMax: Double? = nil
    /// Points of each sample's λ grid.
    public var gridPoints = 200
    public var inputHessian = InputHessianSettings()

    public init() {}

    /// Checks the settings before any work (they do not depend on the model's dimension).
    public func validate(dimension: Int? = nil) throws {
        try inputHessian.validate()
        guard probes >= 1 else { throw SettingError("\(setting: "probes") must be ≥ 1, got \(probes)") }
        guard steps >= 1 else { throw SettingError("\(setting: "steps") must be ≥ 1, got \(steps)") }
        guard gridPoints >= 2 else { throw SettingError("\(setting: "gridPoints") must be ≥ 2, got \(gridPoints)") }
        if let sigma, !(sigma > 0) { throw SettingError("\(setting: "sigma") must be positive, got \(sigma)") }
        guard (lambdaMin == nil) == (lambdaMax == nil) else {
            throw SettingError("give both \(setting: "lambdaMin") and \(setting: "lambdaMax"), or neither")
        }
        if let lambdaMin, let lambdaMax, lambdaMin >= lambdaMax {
            throw SettingError("\(setting: "lambdaMin") \(lambdaMin) must be below \(setting: "lambdaMax") \(lambdaMax)")
        }
    }

    /// The quadrature's settings for inputs of `dimension` values.
    public func quadrature(dimension: Int) -> SpectralDensityOptions {
        SpectralDensityOptions(probes: probes, steps: Swift.min(steps, dimension), seed: inputHessian.seed)
    }

    public func record(dimension: Int, dtype: DType) -> [String: String] {
        func text(_ value: Double?) -> String { value.map { "\($0)" } ?? "auto" }
        return [
            "probes": String(probes), "steps": String(quadrature(dimension: dimension).steps), "sigma": text(sigma),
            "lambda_min": text(lambdaMin), "lambda_max": text(lambdaMax), "grid_points": String(gridPoints),
        ]
    }
}
