import ArgumentParser
import Curvature
import Foundation

/// `--hessian exact|finite [--h H] [--part P] [--objective O]`: the Hessian of a per-sample job's settings.
struct HessianOptions: ParsableArguments {
    @Option(help: "The input Hessian: exact (double backprop) or finite (central differences of gradients with step --h, symmetrised; 2d gradients per sample, so slower).")
    var hessian: HessianKind = .exact

    @Option(name: [.customLong("h"), .customLong("finite-h")], parsing: .unconditional,
            help: """
                Step of the finite-scale Hessian's central differences, per input coordinate (--hessian finite; default \(InputHessianSettings().h)). \
                Several, comma-separated (e.g. 0.01,0.03,0.1,0.3), run each scale and add a trailing `h` column.
                """)
    var finiteH: CommaSeparated<Double>?

    @Option(help: "Which part of the exact loss Hessian H = Jᵀ(diag p − ppᵀ)J + Σₖ gₖ∇²zₖ: full, gauss-newton (the first term) or residual (the second).")
    var part: HessianPart = .full

    @Option(help: "Whose Hessian: loss (cross-entropy), or margin (z_y − z_j*, j* the strongest other class at x, held fixed: the decision function's own curvature).")
    var objective: HessianObjective = .loss

    /// The finite-difference steps in use, in the order given.
    var scales: [Double] { finiteH?.values ?? [InputHessianSettings().h] }

    /// Whether several scales were given: each runs, and rows carry an `h` column.
    var sweep: Bool { scales.count > 1 }

    /// What no setting shows: a step given that changes nothing, or a scale given twice. Every
    /// value is the settings' to check (``each(_:)``).
    func validate() throws {
        if let finiteH {
            guard hessian == .finite else { throw ValidationError("--h \(finiteH.text) has no effect with --hessian exact; add --hessian finite") }
            guard Set(finiteH.values).count == finiteH.values.count else { throw ValidationError("--h \(finiteH.text) repeats a scale") }
        }
    }

    /// `settings` with the Hessian these options choose, once per scale of an h-sweep (once without
    /// one: never empty), each checked on its own.
    func each<Settings: InputHessianJobSettings>(_ settings: Settings) throws -> [Settings] {
        var chosen = settings
        (chosen.hessian, chosen.part, chosen.objective) = (hessian, part, objective)
        let scaled = finiteH?.values.map { h -> Settings in
            var scale = chosen
            scale.h = h
            return scale
        } ?? [chosen]
        try usage { for settings in scaled { try settings.validate(dimension: nil) } }
        return scaled
    }

    /// The settings a result file's metadata records (h only where it counts).
    var record: [String: String] {
        var record = hessian == .finite ? ["hessian": hessian.rawValue, "h": scales.map { "\($0)" }.joined(separator: ",")] : ["hessian": hessian.rawValue]
        if part != .full { record["part"] = part.rawValue }
        if objective != .loss { record["objective"] = objective.rawValue }
        return record
    }
}

/// The eigen-solver options of `spectrum` and `compare`, with the Hessian they apply to.
struct SpectrumOptions: ParsableArguments {
    @OptionGroup var hessianOptions: HessianOptions

    @Option(parsing: .unconditional, help: "Eigenvalues per sample (--method dense with --k ≥ d: all d).")
    var k: Int = SpectrumSettings().k

    @Option(name: .customLong("steps"), parsing: .unconditional,
            help: "A fixed Lanczos budget of m vectors per sample (≥ k), single-vector as in earlier versions unless --block-size is given. Default: run each sample until converged (see --tol, --max-steps).")
    var lanczosSteps: Int?

    @Option(name: .customLong("tol"), parsing: .unconditional,
            help: "Converged: residual ≤ tol × the largest |eigenvalue| of the sample (default 1e-4 with --dtype float32, 1e-8 with float64). Rows above it are flagged in the converged column.")
    var tolerance: Double?

    @Option(parsing: .unconditional,
            help: "The most Lanczos vectors (or power iterations) a sample may take before it is reported unconverged (default \(SpectrumSettings().maxSteps) for Lanczos, \(SpectrumSettings().powerIterations) for power; at most the input dimension).")
    var maxSteps: Int?

    @Option(parsing: .unconditional,
            help: "Lanczos block size p: repeated eigenvalues up to multiplicity p are found, and a tight cluster loses a member only if all p start vectors miss it (default 2; 1 with --steps).")
    var blockSize: Int?

    @Option(help: "Which end of each spectrum --k counts from: the largest, the smallest, the largest |λ|, or both (the k largest and the k smallest; Lanczos and dense).")
    var which: SpectrumEnd = .largest

    @Option(help: "Lanczos reorthogonalisation with --steps and block size 1: full (against every earlier vector) or none (default full).")
    var reorthogonalization: Reorthogonalization?

    /// Whether Lanczos' own options were given (then Lanczos runs, never the Gauss–Newton route).
    var configuresLanczos: Bool { lanczosSteps != nil || reorthogonalization != nil || blockSize != nil }

    /// What no setting shows: a flag given that changes nothing. Every value is the settings' to check.
    func validate() throws {
        if let lanczosSteps, let maxSteps {
            throw ValidationError("--max-steps \(maxSteps) has no effect with --steps \(lanczosSteps): --steps is a fixed budget, --max-steps caps a run to convergence")
        }
    }

    /// Settings for `method`, one per scale of an h-sweep, each checked on its own.
    /// - Parameter routeAllowed: the exact Gauss–Newton route may replace Lanczos (no solver chosen);
    ///   then `--k` against the Lanczos budget is checked once the network is known.
    func settings(method: SpectrumMethod, seed: UInt64, routeAllowed: Bool = false) throws -> [SpectrumSettings] {
        if method != .lanczos, let reorthogonalization {
            throw ValidationError("--reorthogonalization \(reorthogonalization.rawValue) has no effect with --method \(method.rawValue); it applies to Lanczos")
        }
        if method == .dense, let maxSteps {
            throw ValidationError("--max-steps \(maxSteps) has no effect with --method dense: LAPACK solves the whole matrix")
        }
        var settings = SpectrumSettings()
        settings.gaussNewtonRoute = routeAllowed && !configuresLanczos
        (settings.method, settings.k, settings.steps, settings.end, settings.seed) = (method, k, lanczosSteps, which, seed)
        (settings.tolerance, settings.blockSize, settings.reorthogonalization) = (tolerance, blockSize, reorthogonalization ?? .full)
        if let maxSteps { if method == .power { settings.powerIterations = maxSteps } else { settings.maxSteps = maxSteps } }
        return try hessianOptions.each(settings)
    }
}
