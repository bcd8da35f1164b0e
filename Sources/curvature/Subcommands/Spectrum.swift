import ArgumentParser
import Curvature
import Foundation

struct Spectrum: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Eigenvalues of each sample's input Hessian ∇²ₓℓ.",
        discussion: """
            Writes CSV `sample,label,predicted,rank,eigenvalue,residual,converged`: `sample` is the index \
            within the split, `rank` 1 the largest eigenvalue (algebraic); an eigenvalue of H lies within \
            `residual` of `eigenvalue` (the solver's ‖Hy − θy‖, never below what the arithmetic resolves); \
            `converged` says whether the residual met --tol × the sample's largest |eigenvalue|. The \
            residual does not certify the rank: block Lanczos (--block-size 2) with two guard values past \
            rank k makes a missed eigenvalue unlikely, not impossible. Each sample runs until converged, \
            up to --max-steps; samples that did not are counted on stderr and in <out>.meta.json. --k \
            counts from the top; --which smallest takes the bottom k (ranks d−k+1…d), --which magnitude \
            the k of largest |λ|. --method dense with --k ≥ d writes all d eigenvalues. --hessian finite \
            uses (∇ℓ(x+heᵢ) − ∇ℓ(x−heᵢ))/2h, symmetrised: the curvature a ReLU network shows across its kinks.

            Examples:
              curvature spectrum \\
                --model Data/models/mnist5k-cnn-small-standard.safetensors \\
                --data mnist5k --samples 20 --k 10 --out spectrum.csv
              curvature spectrum \\
                --model Data/models/mnist5k-cnn-small-standard.safetensors \\
                --data mnist5k --samples 20 --hessian finite --h 0.01 --out finite.csv
            """)

    @OptionGroup var model: ModelOptions
    @OptionGroup var data: DataOptions

    @Option(help: """
        The eigen-solver: lanczos (block Lanczos until converged, or --steps HVPs), power (block power iteration) or dense (LAPACK on the full d×d matrix). Default: lanczos, or the exact Gauss–Newton route (C VJPs and a C×C eigenproblem, then exact zeros) where it gives the whole spectrum: --part gauss-newton, or the exact loss Hessian of a piecewise-linear (ReLU) network.
        """)
    var method: SpectrumMethod?

    @OptionGroup var spectrum: SpectrumOptions
    @OptionGroup var job: SampleJobOptions

    func validate() throws {
        _ = try spectrum.settings(method: method ?? .lanczos, seed: job.seed, routeAllowed: method == nil)
    }

    func run() throws {
        let prepared = try PreparedSampleJob(model: model, data: data, job: job)
        let d = prepared.network.inputShape.reduce(1, *)
        var settings = try spectrum.settings(method: method ?? .lanczos, seed: job.seed, routeAllowed: method == nil)
        settings.steps = settings.steps.map { Swift.min($0, d) }
        settings.piecewiseLinear = prepared.network.isPiecewiseLinear
        let budget = Swift.min(settings.steps ?? settings.maxSteps, d)
        if settings.method == .lanczos && !settings.takesGaussNewtonRoute && spectrum.k > budget {
            throw ValidationError("--k \(spectrum.k) is larger than the Lanczos budget \(budget) (\(settings.steps != nil ? "--steps" : "--max-steps"), at most d = \(d)): Lanczos finds at most that many Ritz values (this network's Hessian is not Gauss–Newton only)")
        }
        try settings.validate(dimension: d)
        settings.gradientNorm = job.gradientNorm
        let hessian = spectrum.hessianOptions
        // One job per scale of an h-sweep (one in all other cases).
        let jobs = hessian.scales.map { h -> SpectrumJob in
            var scaled = settings
            scaled.h = h
            return SpectrumJob(model: prepared.classifier, settings: scaled)
        }
        var solver = settings.solverRecord(dtype: prepared.dtype)
        solver["method"] = settings.takesGaussNewtonRoute ? "gauss-newton" : settings.method.rawValue
        let fingerprint = try job.fingerprint(hessian.record.merging(solver) { $1 }, model: model, data: data, range: prepared.range)
        let header = SpectrumRow.header(gradientNorm: job.gradientNorm, h: hessian.sweep)
        try job.run(header: header, label: "spectrum", model: model, range: prepared.range, fingerprint: fingerprint, start: prepared.start) { samples in
            let batch = prepared.images.batch(samples, dtype: prepared.dtype)
            // The rows carry their own h, so that `converged` stays the last column.
            return try hessian.sweepLines(batch.indices, appendingH: false) { h in
                let rows = try jobs.first { $0.settings.h == h }!.rows(for: batch).map { row in
                    var row = row
                    row.h = hessian.sweep ? h : nil
                    return row
                }
                return batch.indices.map { sample in rows.filter { $0.sample == sample }.map { $0.csv(dtype: prepared.dtype) } }
            }
        } summary: { url in
            try reportConvergence(of: url, label: "spectrum", budget: settings.method == .power ? "--max-steps \(settings.powerIterations)"
                                  : settings.steps.map { "--steps \($0)" } ?? "--max-steps \(Swift.min(settings.maxSteps, d))")
        }
    }
}
