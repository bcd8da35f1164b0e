import Spectra
import Tensors

/// How the eigenvalues are computed.
public enum SpectrumMethod: String, Sendable, CaseIterable {
    case lanczos, power, dense
}

/// Which end of the spectrum `k` counts from.
public enum SpectrumEnd: String, Sendable, CaseIterable {
    case largest, smallest, magnitude
}

/// The settings of a spectrum run.
public struct SpectrumSettings: Sendable, Equatable {
    public var method: SpectrumMethod = .lanczos
    public var k = 20
    /// A fixed Lanczos budget of this many vectors per sample (with block size 1 unless set: the
    /// single-vector Lanczos of earlier versions, number for number); nil runs each sample until
    /// its k eigenpairs converge, up to ``maxSteps``.
    public var steps: Int? = nil
    /// The most operator applies a sample may take: Lanczos vectors, or power iterations per block vector.
    public var maxSteps = 300
    /// Converged: residual ≤ tolerance × the largest |eigenvalue|; nil takes ``defaultTolerance(for:)``.
    public var tolerance: Double? = nil
    /// Lanczos' block size; nil: 2 when converging, 1 with a fixed ``steps`` budget.
    public var blockSize: Int? = nil
    public var hessian: HessianKind = .exact
    public var h = 0.01
    public var part: HessianPart = .full
    public var objective: HessianObjective = .loss
    /// Take the exact small-matrix route (``GaussNewtonSpectrum``) where it gives the whole
    /// spectrum asked for: the Gauss–Newton part of the loss Hessian, or the full exact loss Hessian
    /// of a piecewise-linear network. Off when a solver was chosen explicitly.
    public var gaussNewtonRoute = false
    /// Add each sample's gradient norm to its rows.
    public var gradientNorm = false
    /// Whether the network is piecewise linear (its exact loss Hessian is then Gauss–Newton only).
    public var piecewiseLinear = false

    /// Whether ``gaussNewtonRoute`` applies to these settings.
    public var takesGaussNewtonRoute: Bool {
        gaussNewtonRoute && hessian == .exact && objective == .loss && (part == .gaussNewton || (part == .full && piecewiseLinear))
    }
    public var end: SpectrumEnd = .largest
    public var reorthogonalization: Reorthogonalization = .full
    public var seed: UInt64 = 0
    public var powerIterations = 1000
    public var denseLimit = denseDimensionLimit

    public init() {}

    /// The tolerance when none is given: 1e-4 of the largest |eigenvalue| for Float32 arithmetic
    /// (10× its operator precision; at 1e-3, 6 of 1,000 top-20 eigenvalues of the softplus
    /// cnn-small came out one rank off by more than their residual, at 1e-4 none), 1e-8 for Float64.
    public static func defaultTolerance(for dtype: DType) -> Double {
        dtype == .float32 ? 1e-4 : 1e-8
    }

    /// The relative accuracy of one input-Hessian-vector product in `dtype`, measured against Float64
    /// on the shipped networks (README, "Eigenvalues you can trust"): no residual below it times the
    /// largest |eigenvalue| is reported.
    public static func operatorPrecision(for dtype: DType) -> Double {
        dtype == .float32 ? 1e-5 : 1e-13
    }

    /// The tolerance in use for `dtype`.
    public func tolerance(for dtype: DType) -> Double { tolerance ?? Self.defaultTolerance(for: dtype) }

    /// Lanczos' block size in use.
    public var lanczosBlockSize: Int { blockSize ?? (steps == nil ? 2 : 1) }

    /// The solver's settings that shape the rows, as a result's metadata records them (and a
    /// resume or `merge` compares them): the resolved tolerance, not whether it was a default.
    public func solverRecord(dtype: DType) -> [String: String] {
        var record = ["k": String(k), "which": end.rawValue, "tol": "\(tolerance(for: dtype))"]
        if method == .lanczos {
            record["steps"] = steps.map(String.init) ?? "until converged"
            record["max_steps"] = steps == nil ? String(maxSteps) : nil
            record["block_size"] = String(lanczosBlockSize)
            record["reorthogonalization"] = reorthogonalization.rawValue
        }
        if method == .power { record["power_iterations"] = String(powerIterations) }
        return record
    }

    /// Checks the settings against a model's input dimension before any work.
    public func validate(dimension d: Int, modelName: String = "the model") throws {
        guard k >= 1, (steps ?? 1) >= 1, maxSteps >= 1, powerIterations >= 1, lanczosBlockSize >= 1 else {
            throw RunError("k \(k), steps \(steps.map(String.init) ?? "-"), max steps \(maxSteps), power iterations \(powerIterations) and block size \(lanczosBlockSize) must be ≥ 1")
        }
        if let tolerance, !(tolerance > 0 && tolerance < 1) { throw RunError("tolerance \(tolerance) must lie in (0, 1)") }
        let budget = Swift.min(steps ?? maxSteps, d)
        if method == .lanczos && k > budget && !takesGaussNewtonRoute {
            throw RunError("k \(k) is larger than the Lanczos budget of \(budget) vectors\(steps == nil ? " (max steps)" : " (steps)"): Lanczos finds at most that many Ritz values")
        }
        if method == .dense && d > denseLimit {
            throw RunError("--method dense: \(modelName) has d = \(d) > \(denseLimit) input dimensions; use --method lanczos")
        }
        if hessian == .finite && !(h > 0) { throw RunError("--h must be positive, got \(h)") }
        if hessian == .finite && (part != .full || objective != .loss) {
            throw RunError("--hessian finite is the full loss Hessian at scale h; --part and --objective need --hessian exact")
        }
        if objective == .margin && part == .gaussNewton {
            throw RunError("--part gauss-newton with --objective margin: the margin is linear in the logits, so its Gauss–Newton part is zero")
        }
    }
}
