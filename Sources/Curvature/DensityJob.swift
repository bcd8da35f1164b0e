import Classifiers
import Spectra
import Tensors

/// Computes each sample's input-Hessian spectral density batch by batch (`curvature density`).
public struct DensityJob: SampleJob {
    public let model: Classifier
    public let settings: DensitySettings

    public init(model: @escaping Classifier, settings: DensitySettings) {
        self.model = model
        self.settings = settings
    }

    /// The rows of one batch: each sample's density on its grid of λ, samples in batch order.
    public func rows(for batch: Batch) throws -> [DensityRow] {
        try NumericalFault.namingSamples(of: batch) {
            let s = settings
            let (op, logits, gradient) = try s.inputHessian.makeOperator(model: model, batch: batch)
            if let bad = NonFiniteLogit.first(in: logits) { throw bad }
            let gradientNorms = s.gradientNorm ? rowNorms(gradient) : nil
            // The grid depends on each sample's nodes, so each sample's quadrature is smoothed on its own grid.
            return try stochasticLanczosQuadrature(op, options: s.quadrature(dimension: op.dimension)).enumerated().flatMap { b, result in
                // At least one node: every probe's Lanczos run takes at least one step.
                let low = s.lambdaMin ?? result.nodes.min() ?? 0, high = s.lambdaMax ?? result.nodes.max() ?? 0
                let width = s.sigma ?? Swift.max((high - low) / 100, 1e-12 * Swift.max(Swift.abs(high), 1))
                let grid = SpectralDensity.uniformGrid(from: s.lambdaMin ?? low - 4 * width, to: s.lambdaMax ?? high + 4 * width, count: s.gridPoints)
                return zip(grid, result.smoothed(on: grid, sigma: width)).map { lambda, density in
                    DensityRow(sample: batch.indices[b], lambda: lambda, density: density, gradientNorm: gradientNorms?[b])
                }
            }
        }
    }
}
