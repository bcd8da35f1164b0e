import ArgumentParser
import Curvature
import Foundation

/// `--hessian exact|finite [--h H]`, and the operator they name for a batch.
struct HessianOptions: ParsableArguments {
    @Option(help: "The input Hessian: exact (double backprop) or finite (central differences of gradients with step --h, symmetrised; 2d gradients per sample, so slower).")
    var hessian: HessianKind = .exact

    @Option(name: [.customLong("h"), .customLong("finite-h")], parsing: .unconditional,
            help: """
                Step of the finite-scale Hessian's central differences, per input coordinate (--hessian finite; default 0.01). \
                Several, comma-separated (e.g. 0.01,0.03,0.1,0.3), run each scale and add a trailing `h` column.
                """)
    var finiteH: CommaSeparated<Double>?

    @Option(help: "Which part of the exact loss Hessian H = Jᵀ(diag p − ppᵀ)J + Σₖ gₖ∇²zₖ: full, gauss-newton (the first term) or residual (the second).")
    var part: HessianPart = .full

    @Option(help: "Whose Hessian: loss (cross-entropy), or margin (z_y − z_j*, j* the strongest other class at x, held fixed: the decision function's own curvature).")
    var objective: HessianObjective = .loss

    /// The finite-difference steps in use, in the order given.
    var scales: [Double] { finiteH?.values ?? [0.01] }

    /// The (first) finite-difference step.
    var h: Double { scales[0] }

    /// Whether several scales were given: each runs, and rows carry an `h` column.
    var sweep: Bool { scales.count > 1 }

    func validate() throws {
        if let finiteH {
            guard hessian == .finite else { throw ValidationError("--h \(finiteH.text) has no effect with --hessian exact; add --hessian finite") }
            if let bad = finiteH.values.first(where: { !($0 > 0) }) { throw ValidationError("--h must be positive, got \(bad)") }
            guard Set(finiteH.values).count == finiteH.values.count else { throw ValidationError("--h \(finiteH.text) repeats a scale") }
        }
        if hessian == .finite && part != .full { throw ValidationError("--part \(part.rawValue) needs --hessian exact (the finite Hessian is the full loss Hessian)") }
        if hessian == .finite && objective != .loss { throw ValidationError("--objective \(objective.rawValue) needs --hessian exact (the finite Hessian is the loss's)") }
        if objective == .margin && part == .gaussNewton {
            throw ValidationError("--part gauss-newton has no effect with --objective margin: the margin is linear in the logits, its Gauss–Newton part is zero")
        }
    }

    /// The operator at finite scale `h` (ignored for the exact Hessian), and each sample's gradient norm.
    func makeOperator(_ model: @escaping Classifier, _ batch: Batch, h: Double) throws -> (operator: any BatchedLinearOperator, gradientNorms: [Double]) {
        let made = try hessian.makeOperator(model: model, batch: batch, h: h, part: part, objective: objective)
        return (made.operator, rowNorms(made.gradient))
    }

    /// A per-sample job's lines for one batch, for each scale of a sweep (with a trailing h), kept
    /// together by sample: each sample's lines for the first scale, then the next, and so on.
    /// - Parameter appendingH: Whether to add `,h` to each line in a sweep (false when the lines carry it).
    func sweepLines(_ samples: [Int], appendingH: Bool = true, _ lines: (_ h: Double) throws -> [[String]]) rethrows -> [String] {
        let perScale = try scales.map { h in try lines(h).map { group in sweep && appendingH ? group.map { "\($0),\(h)" } : group } }
        return samples.indices.flatMap { b in perScale.flatMap { $0[b] } }
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
    var k: Int = 20

    @Option(name: .customLong("steps"), parsing: .unconditional,
            help: "A fixed Lanczos budget of m vectors per sample (≥ k), single-vector as in earlier versions unless --block-size is given. Default: run each sample until converged (see --tol, --max-steps).")
    var lanczosSteps: Int?

    @Option(name: .customLong("tol"), parsing: .unconditional,
            help: "Converged: residual ≤ tol × the largest |eigenvalue| of the sample (default 1e-4 with --dtype float32, 1e-8 with float64). Rows above it are flagged in the converged column.")
    var tolerance: Double?

    @Option(name: .customLong("max-steps"), parsing: .unconditional,
            help: "The most Lanczos vectors (or power iterations) a sample may take before it is reported unconverged (default 300 for Lanczos, 1000 for power; at most the input dimension).")
    var maxSteps: Int?

    @Option(name: .customLong("block-size"), parsing: .unconditional,
            help: "Lanczos block size p: repeated eigenvalues up to multiplicity p are found, and a tight cluster loses a member only if all p start vectors miss it (default 2; 1 with --steps).")
    var blockSize: Int?

    @Option(help: "Which end of each spectrum --k counts from: the largest, the smallest, or the largest |λ|.")
    var which: SpectrumEnd = .largest

    @Option(help: "Lanczos reorthogonalisation with --steps and block size 1: full (against every earlier vector) or none (default full).")
    var reorthogonalization: Reorthogonalization?

    /// Whether Lanczos' own options were given (then Lanczos runs, never the Gauss–Newton route).
    var configuresLanczos: Bool { lanczosSteps != nil || reorthogonalization != nil || blockSize != nil }

    func validate() throws {
        guard k >= 1 else { throw ValidationError("--k must be ≥ 1, got \(k)") }
        if let lanczosSteps, lanczosSteps < 1 { throw ValidationError("--steps must be ≥ 1, got \(lanczosSteps)") }
        if let maxSteps, maxSteps < 1 { throw ValidationError("--max-steps must be ≥ 1, got \(maxSteps)") }
        if let blockSize, blockSize < 1 { throw ValidationError("--block-size must be ≥ 1, got \(blockSize)") }
        if let tolerance, !(tolerance > 0 && tolerance < 1) { throw ValidationError("--tol must lie in (0, 1), got \(tolerance)") }
        if let lanczosSteps, let maxSteps {
            throw ValidationError("--max-steps \(maxSteps) has no effect with --steps \(lanczosSteps): --steps is a fixed budget, --max-steps caps a run to convergence")
        }
    }

    /// Settings for `method`, checked against each other.
    /// - Parameter routeAllowed: the exact Gauss–Newton route may replace Lanczos (no solver chosen);
    ///   then `--k` against the Lanczos budget is checked once the network is known.
    func settings(method: SpectrumMethod, seed: UInt64, routeAllowed: Bool = false) throws -> SpectrumSettings {
        if method != .lanczos {
            for (name, value) in [("--steps", lanczosSteps.map(String.init)), ("--reorthogonalization", reorthogonalization?.rawValue),
                                  ("--block-size", blockSize.map(String.init))] {
                if let value { throw ValidationError("\(name) \(value) has no effect with --method \(method.rawValue); it applies to Lanczos") }
            }
        }
        if method == .dense {
            for (name, value) in [("--tol", tolerance.map { "\($0)" }), ("--max-steps", maxSteps.map(String.init))] {
                if let value { throw ValidationError("\(name) \(value) has no effect with --method dense: LAPACK solves the whole matrix") }
            }
        }
        if reorthogonalization == Reorthogonalization.none, lanczosSteps == nil || (blockSize ?? 1) != 1 {
            throw ValidationError("--reorthogonalization none needs single-vector Lanczos with a fixed budget (--steps m, block size 1); converging (block) Lanczos always reorthogonalises fully")
        }
        let budget = lanczosSteps ?? maxSteps ?? 300
        if method == .lanczos && k > budget && !(routeAllowed && !configuresLanczos) {
            throw ValidationError("--k \(k) is larger than \(lanczosSteps != nil ? "--steps" : "--max-steps") \(budget): Lanczos finds at most m Ritz values; raise \(lanczosSteps != nil ? "--steps" : "--max-steps") to at least \(k)")
        }
        var settings = SpectrumSettings()
        settings.gaussNewtonRoute = routeAllowed && !configuresLanczos
        (settings.method, settings.k, settings.steps, settings.end, settings.seed) = (method, k, lanczosSteps, which, seed)
        (settings.tolerance, settings.blockSize) = (tolerance, blockSize)
        if let maxSteps { if method == .power { settings.powerIterations = maxSteps } else { settings.maxSteps = maxSteps } }
        (settings.hessian, settings.h, settings.reorthogonalization) = (hessianOptions.hessian, hessianOptions.h, reorthogonalization ?? .full)
        (settings.part, settings.objective) = (hessianOptions.part, hessianOptions.objective)
        return settings
    }
}
