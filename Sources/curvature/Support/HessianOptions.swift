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
    func sweepLines(_ samples: [Int], _ lines: (_ h: Double) throws -> [[String]]) rethrows -> [String] {
        let perScale = try scales.map { h in try lines(h).map { group in sweep ? group.map { "\($0),\(h)" } : group } }
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

    @Option(name: .customLong("steps"), parsing: .unconditional, help: "Lanczos steps m (≥ k; default 40, at most the input dimension).")
    var lanczosSteps: Int?

    @Option(help: "Which end of each spectrum --k counts from: the largest, the smallest, or the largest |λ|.")
    var which: SpectrumEnd = .largest

    @Option(help: "Lanczos reorthogonalisation: full (against every earlier vector) or none (default full).")
    var reorthogonalization: Reorthogonalization?

    /// Whether Lanczos' own options were given (then Lanczos runs, never the Gauss–Newton route).
    var configuresLanczos: Bool { lanczosSteps != nil || reorthogonalization != nil }

    /// The Lanczos steps in use.
    var steps: Int { lanczosSteps ?? 40 }

    func validate() throws {
        guard k >= 1 else { throw ValidationError("--k must be ≥ 1, got \(k)") }
        if let lanczosSteps, lanczosSteps < 1 { throw ValidationError("--steps must be ≥ 1, got \(lanczosSteps)") }
    }

    /// Settings for `method`, checked against each other.
    /// - Parameter routeAllowed: the exact Gauss–Newton route may replace Lanczos (no solver chosen);
    ///   then `--k > --steps` is checked once the network is known.
    func settings(method: SpectrumMethod, seed: UInt64, routeAllowed: Bool = false) throws -> SpectrumSettings {
        if method != .lanczos {
            if let lanczosSteps { throw ValidationError("--steps \(lanczosSteps) has no effect with --method \(method.rawValue); it sets Lanczos' steps") }
            if let reorthogonalization {
                throw ValidationError("--reorthogonalization \(reorthogonalization.rawValue) has no effect with --method \(method.rawValue); it applies to Lanczos")
            }
        }
        if method == .lanczos && k > steps && !(routeAllowed && !configuresLanczos) {
            throw ValidationError("--k \(k) is larger than --steps \(steps): Lanczos finds at most m Ritz values; raise --steps to at least \(k)")
        }
        var settings = SpectrumSettings()
        settings.gaussNewtonRoute = routeAllowed && !configuresLanczos
        (settings.method, settings.k, settings.steps, settings.end, settings.seed) = (method, k, steps, which, seed)
        (settings.hessian, settings.h, settings.reorthogonalization) = (hessianOptions.hessian, hessianOptions.h, reorthogonalization ?? .full)
        (settings.part, settings.objective) = (hessianOptions.part, hessianOptions.objective)
        return settings
    }
}
