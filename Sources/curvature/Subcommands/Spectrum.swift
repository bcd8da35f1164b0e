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

    @Option(help: "lanczos, power or dense.")
    var method: String = "lanczos"

    @Option(help: "Eigenvalues per sample.")
    var k: Int = 20

    @Option(help: "Lanczos steps m (≥ k).")
    var steps: Int = 40

    @Option(help: "largest, smallest or magnitude.")
    var which: String = "largest"

    @OptionGroup var hessianOptions: HessianOptions

    @Option(help: "Lanczos reorthogonalisation: full or none.")
    var reorthogonalization: String = "full"

    @OptionGroup var job: SampleJobOptions

    func validate() throws {
        guard let method = SpectrumMethod(rawValue: method) else { throw ValidationError("--method must be lanczos, power or dense, got '\(self.method)'") }
        guard SpectrumEnd(rawValue: which) != nil else { throw ValidationError("--which must be largest, smallest or magnitude, got '\(which)'") }
        guard ["full", "none"].contains(reorthogonalization) else { throw ValidationError("--reorthogonalization must be full or none") }
        guard k >= 1 else { throw ValidationError("--k must be ≥ 1, got \(k)") }
        if method == .lanczos {
            guard steps >= 1 else { throw ValidationError("--steps must be ≥ 1, got \(steps)") }
            guard k <= steps else { throw ValidationError("--k \(k) is larger than --steps \(steps): Lanczos finds at most m Ritz values; raise --steps to at least \(k)") }
        }
    }

    func run() throws {
        let prepared = try PreparedSampleJob(model: model, data: data, job: job)
        let (start, type, network, images, range) = (prepared.start, prepared.dtype, prepared.network, prepared.images, prepared.range)
        let d = network.inputShape.reduce(1, *)
        var settings = SpectrumSettings()
        settings.method = SpectrumMethod(rawValue: method)!
        (settings.k, settings.steps, settings.h, settings.seed) = (k, Swift.min(steps, d), hessianOptions.h, job.seed)
        settings.hessian = HessianKind(rawValue: hessianOptions.hessian)!
        settings.end = SpectrumEnd(rawValue: which)!
        settings.reorthogonalization = reorthogonalization == "full" ? .full : .none
        if settings.method == .dense && d > settings.denseLimit {
            throw ValidationError("--method dense: the input has d = \(d) > \(settings.denseLimit) dimensions; use --method lanczos")
        }
        let spectrumJob = SpectrumJob(model: { network($0) }, settings: settings)
        let out = URL(fileURLWithPath: job.out)
        let run = BatchedCSVRun(header: SpectrumRow.header, out: out, resume: job.resume, label: "spectrum")
        _ = try run.run(try job.batches(of: range)) { samples in
            try spectrumJob.rows(for: images.batch(at: Array(samples), dtype: type)).map(\.csv)
        }
        try writeMeta(for: out, model: model.url, seed: job.seed, settings: [
            "method": method, "k": String(k), "steps": String(settings.steps), "which": which, "hessian": hessianOptions.hessian,
            "h": String(hessianOptions.h), "data": data.data, "split": data.split, "samples": "\(range.lowerBound)..<\(range.upperBound)",
            "shard": job.shard ?? "1/1", "batch_size": String(job.batchSize), "dtype": job.dtype,
            "reorthogonalization": reorthogonalization,
        ], start: start)
    }
}
