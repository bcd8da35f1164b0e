import ArgumentParser
import Curvature
import Foundation

/// `--hessian exact|finite [--h H]`, and the operator they name for a batch.
struct HessianOptions: ParsableArguments {
    @Option(help: "exact (double backprop) or finite (central differences of gradients at scale --h, symmetrised).")
    var hessian: HessianKind = .exact

    @Option(help: "Scale of the finite-scale Hessian.")
    var h: Double = 0.01

    func validate() throws {
        guard h > 0 else { throw ValidationError("--h must be positive, got \(h)") }
    }

    func makeOperator(_ model: @escaping Classifier, _ batch: Batch) throws -> any BatchedLinearOperator {
        try hessian.makeOperator(model: model, batch: batch, h: h).operator
    }

    /// The settings a result file's metadata records.
    var record: [String: String] { ["hessian": hessian.rawValue, "h": String(h)] }
}

/// The eigen-solver options of `spectrum` and `compare`, with the Hessian they apply to.
struct SpectrumOptions: ParsableArguments {
    @OptionGroup var hessianOptions: HessianOptions

    @Option(help: "Eigenvalues per sample.")
    var k: Int = 20

    @Option(help: "Lanczos steps m (≥ k).")
    var steps: Int = 40

    @Option(help: "Which end of each spectrum --k counts from: the largest, the smallest, or the largest |λ|.")
    var which: SpectrumEnd = .largest

    @Option(help: "Lanczos reorthogonalisation.")
    var reorthogonalization: Reorthogonalization = .full

    func validate() throws {
        guard k >= 1 else { throw ValidationError("--k must be ≥ 1, got \(k)") }
        guard steps >= 1 else { throw ValidationError("--steps must be ≥ 1, got \(steps)") }
    }

    /// Settings for `method`, checked against each other.
    func settings(method: SpectrumMethod, seed: UInt64) throws -> SpectrumSettings {
        if method == .lanczos && k > steps {
            throw ValidationError("--k \(k) is larger than --steps \(steps): Lanczos finds at most m Ritz values; raise --steps to at least \(k)")
        }
        var settings = SpectrumSettings()
        (settings.method, settings.k, settings.steps, settings.end, settings.seed) = (method, k, steps, which, seed)
        (settings.hessian, settings.h, settings.reorthogonalization) = (hessianOptions.hessian, hessianOptions.h, reorthogonalization)
        return settings
    }
}
