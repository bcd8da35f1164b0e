import ArgumentParser
import Curvature
import Foundation

struct Spectrum: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Eigenvalues of each sample's input Hessian ∇²ₓℓ.",
        discussion: """
            Writes CSV `sample,label,predicted,rank,eigenvalue,residual`: `sample` is the index within the \
            split, `rank` 1 the largest eigenvalue (algebraic), `residual` Lanczos' bound |β_m s_m|, power \
            iteration's ‖Hv − λv‖ or LAPACK's ‖Hz − λz‖. --k counts from the top; --which smallest takes \
            the bottom k (ranks d−k+1…d), --which magnitude the k of largest |λ|. --method dense with \
            --k ≥ d writes all d eigenvalues. --hessian finite uses (∇ℓ(x+heᵢ) − ∇ℓ(x−heᵢ))/2h, \
            symmetrised: the curvature a ReLU network shows across its kinks.
            """)

    @OptionGroup var model: ModelOptions
    @OptionGroup var data: DataOptions

    @Option(help: "The eigen-solver.")
    var method: SpectrumMethod = .lanczos

    @OptionGroup var spectrum: SpectrumOptions
    @OptionGroup var job: SampleJobOptions

    func validate() throws {
        _ = try spectrum.settings(method: method, seed: job.seed)
    }

    func run() throws {
        let prepared = try PreparedSampleJob(model: model, data: data, job: job)
        let d = prepared.network.inputShape.reduce(1, *)
        var settings = try spectrum.settings(method: method, seed: job.seed)
        settings.steps = Swift.min(settings.steps, d)
        try settings.validate(dimension: d)
        let spectrumJob = SpectrumJob(model: prepared.classifier, settings: settings)
        let fingerprint = try job.fingerprint(spectrum.hessianOptions.record.merging([
            "method": method.rawValue, "k": String(spectrum.k), "steps": String(settings.steps), "which": spectrum.which.rawValue,
            "reorthogonalization": settings.reorthogonalization.rawValue,
        ]) { $1 }, model: model, data: data, range: prepared.range)
        try job.run(header: SpectrumRow.header, label: "spectrum", model: model, range: prepared.range, fingerprint: fingerprint, start: prepared.start) { samples in
            try spectrumJob.rows(for: prepared.images.batch(samples, dtype: prepared.dtype)).map { $0.csv(dtype: prepared.dtype) }
        }
    }
}
