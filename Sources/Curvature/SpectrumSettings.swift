import Messages
import NN
import Spectra
import Tensors

/// How the eigenvalues are computed.
public enum SpectrumMethod: String, Sendable, CaseIterable {
    case lanczos, power, dense
}

/// Which end of the spectrum `k` counts from.
public enum SpectrumEnd: String, Sendable, CaseIterable {
    case largest, smallest, magnitude
    /// The k largest and the k smallest: 2k values.
    case both

    /// How many values `k` asks for at this end: 2k for both.
    public func count(k: Int) -> Int { self == .both ? 2 * k : k }

    /// What a converging solver looks for to give `k` values of this end, at most as many as a
    /// space of `dimension` holds.
    public func wanted(_ k: Int, dimension: Int) -> ExtremeEigenvalues {
        switch self {
        case .largest: return .largest(Swift.min(k, dimension))
        case .smallest: return .smallest(Swift.min(k, dimension))
        case .magnitude: return .largestMagnitude(Swift.min(k, dimension))
        case .both: return .bothEnds(Swift.min(k, dimension / 2))
        }
    }

    /// The count `k` asks for, as a message names it: "`k` 20", or "2 × `k` = 40" for both.
    func countMessage(k: Int) -> SettingMessage {
        self == .both ? "2 × \(setting: "k") = \(count(k: k))" : "\(setting: "k") \(k)"
    }
}

/// The settings of a spectrum run; ``validate(dimension:)`` is where they are checked.
public struct SpectrumSettings: InputHessianJobSettings, Equatable {
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
    public var inputHessian = InputHessianSettings()
    /// Take the exact small-matrix route (``GaussNewtonSpectrum``) where it gives the whole
    /// spectrum asked for: the Gauss–Newton part of the loss Hessian, or the full exact loss Hessian
    /// of a piecewise-linear network. Off when a solver was chosen explicitly.
    public var gaussNewtonRoute = false
    /// Whether the network is piecewise linear (its exact loss Hessian is then Gauss–Newton only).
    public var piecewiseLinear = false

    /// Whether ``gaussNewtonRoute`` applies to these settings.
    public var takesGaussNewtonRoute: Bool {
        let chosen = inputHessian
        return gaussNewtonRoute && chosen.hessian == .exact && chosen.objective == .loss
            && (chosen.part == .gaussNewton || (chosen.part == .full && piecewiseLinear))
    }
    public var end: SpectrumEnd = .largest
    public var reorthogonalization: Reorthogonalization = .full
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

    /// The fixed Lanczos budget cut to `network`'s input dimension, and whether its exact loss
    /// Hessian is Gauss–Newton only.
    public func fitted(to network: any Network) -> SpectrumSettings {
        var fitted = self
        fitted.steps = steps.map { Swift.min($0, network.inputShape.reduce(1, *)) }
        fitted.piecewiseLinear = network.isPiecewiseLinear
        return fitted
    }

    /// ``solverRecord(dtype:)`` with the fixed budget cut to `dimension`, and the method that runs
    /// (`gauss-newton` for the exact small-matrix route).
    public func record(dimension: Int, dtype: DType) -> [String: String] {
        var cut = self
        cut.steps = steps.map { Swift.min($0, dimension) }
        var record = cut.solverRecord(dtype: dtype)
        record["method"] = takesGaussNewtonRoute ? "gauss-newton" : method.rawValue
        return record
    }

    /// The setting that bounds a sample's work, with its value (at most `dimension` Lanczos vectors):
    /// what a sample that did not converge ran out of.
    public func stepBudget(dimension: Int? = nil) -> SettingMessage {
        if method == .power { return "\(setting: "powerIterations") \(powerIterations)" }
        if let steps { return "\(setting: "steps") \(steps)" }
        return "\(setting: "maxSteps") \(Swift.min(maxSteps, dimension ?? maxSteps))"
    }

    /// Checks the settings on their own, or against a model's input dimension (``fitted(to:)``
    /// first): every rule of a spectrum run is here.
    public func validate(dimension: Int? = nil) throws {
        try validate(dimension: dimension, modelName: "the model")
    }

    /// ``validate(dimension:)``, naming the model `modelName`.
    public func validate(dimension: Int?, modelName: String) throws {
        let counts: [(String, Int?)] = [("k", k), ("steps", steps), ("maxSteps", maxSteps), ("powerIterations", powerIterations), ("blockSize", blockSize)]
        for (name, value) in counts {
            if let value, value < 1 { throw SettingError("\(setting: name) must be ≥ 1, got \(value)") }
        }
        if let tolerance, !(tolerance > 0 && tolerance < 1) { throw SettingError("\(setting: "tolerance") must lie in (0, 1), got \(tolerance)") }
        try inputHessian.validate()
        if method != .lanczos {
            for (name, value) in [("steps", steps), ("blockSize", blockSize)] as [(String, Int?)] {
                if let value { throw SettingError("\(setting: name) \(value) has no effect with \(setting: "method") \(method.rawValue); it applies to Lanczos") }
            }
        }
        if method == .power && end == .both {
            throw SettingError("\(setting: "end") both needs \(setting: "method") lanczos or dense: power iteration converges to one end")
        }
        if method == .dense, let tolerance {
            throw SettingError("\(setting: "tolerance") \(tolerance) has no effect with \(setting: "method") dense: LAPACK solves the whole matrix")
        }
        if reorthogonalization == .none && (steps == nil || lanczosBlockSize != 1) {
            throw SettingError("\(setting: "reorthogonalization") none needs single-vector Lanczos with a fixed budget (\(setting: "steps") m, block size 1); converging (block) Lanczos always reorthogonalises fully")
        }
        try validateLanczosBudget(dimension: dimension)
        if method == .dense, let d = dimension, d > denseLimit {
            throw SettingError("\(setting: "method") dense: \(modelName) has d = \(d) > \(denseLimit) input dimensions; use \(setting: "method") lanczos")
        }
    }

    /// Lanczos finds at most as many Ritz values as it takes vectors. Before the model is known,
    /// the exact Gauss–Newton route may still replace Lanczos; then only the model decides.
    private func validateLanczosBudget(dimension: Int?) throws {
        let limit = steps == nil ? "maxSteps" : "steps", given = steps ?? maxSteps
        let wanted = end.count(k: k), what = end.countMessage(k: k)
        guard method == .lanczos, !(dimension == nil ? gaussNewtonRoute : takesGaussNewtonRoute) else { return }
        guard let d = dimension else {
            if wanted > given {
                throw SettingError("\(what) is larger than \(setting: limit) \(given): Lanczos finds at most m Ritz values; raise \(setting: limit) to at least \(wanted)")
            }
            return
        }
        let budget = Swift.min(given, d)
        if wanted > budget {
            throw SettingError("\(what) is larger than the Lanczos budget \(budget) (\(setting: limit), at most d = \(d)): Lanczos finds at most that many Ritz values\(gaussNewtonRoute ? " (this network's Hessian is not Gauss–Newton only)" : "")")
        }
    }
}
