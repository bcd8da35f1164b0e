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

    /// The options as settings, once per scale of an h-sweep, each checked.
    func settings() throws -> [SpectrumSettings] {
        try spectrum.settings(method: method ?? .lanczos, seed: job.seed, routeAllowed: method == nil).map(job.configured)
    }

    func validate() throws { _ = try settings() }

    func run() throws {
        try job.run(SpectrumJob.self, try settings(), label: "spectrum", model: model, data: data, hessian: spectrum.hessianOptions) { url, settings, d in
            try reportConvergence(of: url, label: "spectrum", budget: settings.stepBudget(dimension: d).inFlags)
        }
    }
}
