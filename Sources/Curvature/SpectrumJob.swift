import Classifiers
import Datasets
import Foundation
import NN
import Spectra
import Tensors

/// How the eigenvalues are computed.
public enum SpectrumMethod: String, Sendable, CaseIterable {
    case lanczos, power, dense
}

/// Which input Hessian.
public enum HessianKind: String, Sendable, CaseIterable {
    /// ∇²ₓℓ by double backprop.
    case exact
    /// Central differences of gradients at scale h, symmetrised.
    case finite
}

extension HessianKind {
    /// The batch's input-Hessian operator, the logits at the batch and each sample's gradient of the
    /// objective (the loss or the margin).
    ///
    /// - Parameters:
    ///   - part: which part of the loss Hessian (exact Hessians only; the finite one is the full loss Hessian).
    ///   - objective: the loss, or the decision margin.
    public func makeOperator(model: @escaping Classifier, batch: Batch, h: Double, part: HessianPart = .full,
                             objective: HessianObjective = .loss) throws -> (operator: any BatchedLinearOperator, logits: Tensor, gradient: Tensor) {
        switch self {
        case .exact where part == .full && objective == .loss:
            let exact = ExactInputHessian(model: model, images: batch.images, labels: batch.labels, sampleIndices: batch.indices)
            return (exact, exact.logits, exact.gradient)
        case .exact:
            let partial = try InputHessianPart(model: model, images: batch.images, labels: batch.labels, sampleIndices: batch.indices,
                                               part: part, objective: objective)
            return (partial, partial.logits, partial.gradient)
        case .finite:
            guard part == .full && objective == .loss else {
                throw RunError("--hessian finite is the full loss Hessian at scale h; --part and --objective need --hessian exact")
            }
            let finite = try FiniteScaleInputHessian.build(model: model, images: batch.images, labels: batch.labels,
                                                           sampleIndices: batch.indices, h: h)
            let (_, logits, gradient) = inputGradient(model, batch.images, batch.labels)
            return (finite.operator, logits, gradient)
        }
    }
}

/// A NaN or infinity met during a computation, with where it appeared.
public struct NumericalFault: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A NaN or infinite logit, by its row in the batch (turned into a ``NumericalFault`` naming the
/// sample by ``SpectrumJob``).
public struct NonFiniteLogit: Error {
    public let row: Int, column: Int, value: Double

    /// The first non-finite logit of [N, C] `logits`, if any.
    public static func first(in logits: Tensor) -> NonFiniteLogit? {
        guard let bad = logits.scalars.firstIndex(where: { !$0.isFinite }) else { return nil }
        let classes = logits.shape[1]
        return NonFiniteLogit(row: bad / classes, column: bad % classes, value: logits[flat: bad])
    }
}

/// Which end of the spectrum `k` counts from.
public enum SpectrumEnd: String, Sendable, CaseIterable {
    case largest, smallest, magnitude
}

/// One eigenvalue of one sample: a row of the spectrum CSV.
public struct SpectrumRow: Equatable, Sendable {
    public var sample: Int, label: Int, predicted: Int
    /// Position in the descending (algebraic) order of all d eigenvalues; 1 is the largest.
    public var rank: Int
    public var eigenvalue: Double
    /// An eigenvalue of H lies within this distance of `eigenvalue`: the solver's residual
    /// ‖Hy − θy‖ (Lanczos' ‖B_{m+1}s‖, power iteration's, or LAPACK's), never below the arithmetic's
    /// resolution (``SpectrumSettings/operatorPrecision(for:)`` times the largest |eigenvalue|).
    public var residual: Double
    /// Whether the residual met the tolerance (a trailing `converged` column).
    public var converged = true
    /// ‖∇ₓ of the objective‖₂ of the sample, when asked for (a trailing `gradient_norm` column).
    public var gradientNorm: Double? = nil
    /// The finite Hessian's scale, in an h-sweep (a trailing `h` column).
    public var h: Double? = nil

    /// The columns every spectrum CSV starts with.
    public static let leadingColumns = "sample,label,predicted,rank,eigenvalue,residual"
    /// The header of rows without the optional columns.
    public static let header = header(gradientNorm: false, h: false)

    /// The header with the trailing columns a run adds; `converged` comes last.
    public static func header(gradientNorm: Bool, h: Bool) -> String {
        leadingColumns + (gradientNorm ? ",gradient_norm" : "") + (h ? ",h" : "") + ",converged"
    }

    public var csv: String { csv(dtype: .float32) }

    /// The row with its eigenvalue written as ``CSVNumber`` does for a run in `dtype`.
    public func csv(dtype: DType) -> String {
        "\(sample),\(label),\(predicted),\(rank),\(CSVNumber.format(eigenvalue, dtype: dtype)),\(String(format: "%.3g", residual))"
            + (gradientNorm.map { "," + CSVNumber.format($0, dtype: dtype) } ?? "") + (h.map { ",\($0)" } ?? "") + ",\(converged)"
    }
}

extension SpectrumRow {
    /// Reads a line as `csv` writes it without the optional columns; nil for anything else.
    public init?<Line: StringProtocol>(csv line: Line) {
        let fields = line.split(separator: ",", omittingEmptySubsequences: false)
        guard fields.count == 7, let sample = Int(fields[0]), let label = Int(fields[1]), let predicted = Int(fields[2]),
              let rank = Int(fields[3]), let eigenvalue = Double(fields[4]), let residual = Double(fields[5]),
              let converged = Bool(String(fields[6])) else { return nil }
        self.init(sample: sample, label: label, predicted: predicted, rank: rank, eigenvalue: eigenvalue, residual: residual,
                  converged: converged)
    }
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

/// Computes input-Hessian spectra batch by batch.
public struct SpectrumJob {
    public let model: Classifier
    public let settings: SpectrumSettings

    public init(model: @escaping Classifier, settings: SpectrumSettings) {
        self.model = model
        self.settings = settings
    }

    /// The rows of one batch, ordered by sample then rank. A NaN or infinity anywhere (inputs,
    /// loss, gradient, Hessian-vector products) is an error naming the sample.
    public func rows(for batch: Batch) throws -> [SpectrumRow] {
        do {
            return try computeRows(for: batch)
        } catch let SpectraError.operatorOutputNotFinite(sample, index) {
            throw NumericalFault("sample \(batch.indices[sample]): a Hessian-vector product is NaN or infinite at input coordinate \(index) (the loss or its gradient overflowed)")
        } catch let logit as NonFiniteLogit {
            throw NumericalFault("sample \(batch.indices[logit.row]): logit \(logit.column) is \(logit.value) (check the weights)")
        }
    }

    private func computeRows(for batch: Batch) throws -> [SpectrumRow] {
        let s = settings
        if let bad = batch.images.scalars.firstIndex(where: { !$0.isFinite }) {
            let d = batch.images.count / batch.count
            throw NumericalFault("sample \(batch.indices[bad / d]): input pixel \(bad % d) is \(batch.images[flat: bad])")
        }
        if s.takesGaussNewtonRoute { return try gaussNewtonRows(for: batch) }
        let (op, logits, gradient) = try s.hessian.makeOperator(model: model, batch: batch, h: s.h, part: s.part, objective: s.objective)
        let gradientNorms = s.gradientNorm ? rowNorms(gradient) : nil
        if let bad = NonFiniteLogit.first(in: logits) { throw bad }
        let predicted = predictions(logits)
        var rows: [SpectrumRow] = []
        for (b, ranked) in try solve(op, dtype: batch.images.dtype).enumerated() {
            for eigenvalue in ranked.sorted(by: { $0.rank < $1.rank }) {
                rows.append(SpectrumRow(sample: batch.indices[b], label: batch.labels[b], predicted: predicted[b], rank: eigenvalue.rank,
                                        eigenvalue: eigenvalue.value, residual: eigenvalue.residual, converged: eigenvalue.converged,
                                        gradientNorm: gradientNorms?[b]))
            }
        }
        return rows
    }

    /// Each sample's k eigenvalues by the settings' solver, ranked, with residuals floored at the
    /// arithmetic's resolution and judged against the tolerance.
    private func solve(_ op: some BatchedLinearOperator, dtype: DType) throws -> [[RankedEigenvalue]] {
        let s = settings
        let d = op.dimension
        let tolerance = s.tolerance(for: dtype), precision = SpectrumSettings.operatorPrecision(for: dtype)
        /// Floors the residuals at the precision times `scale` and flags those above the tolerance.
        func judged(_ values: [Double], _ residuals: [Double], scale: Double) -> [EigenvalueEstimate] {
            zip(values, residuals).map { value, residual in
                let floored = Swift.max(residual, precision * scale)
                return EigenvalueEstimate(value: value, residual: floored, converged: floored <= Swift.max(tolerance, precision) * scale)
            }
        }
        switch s.method {
        case .dense:
            return try denseEigen(op, wantVectors: true, maxDimension: s.denseLimit).map { result in
                let all = result.eigenvalues.enumerated().map {
                    RankedEigenvalue(rank: $0.offset + 1, value: $0.element, residual: result.residuals?[$0.offset] ?? .nan, converged: true)
                }
                return EigenvalueRanking.select(all, k: s.k, end: s.end)
            }
        case .lanczos where s.steps != nil && s.lanczosBlockSize == 1:
            // The fixed budget of earlier versions, computed as it was.
            let steps = Swift.min(s.steps!, d)
            let selection: EigenvalueSelection
            switch s.end {
            case .largest: selection = .largest(Swift.min(s.k, steps))
            case .smallest: selection = .smallest(Swift.min(s.k, steps))
            case .magnitude: selection = .all
            }
            let results = try lanczos(op, options: LanczosOptions(steps: steps, selection: selection,
                                                                  reorthogonalization: s.reorthogonalization, seed: s.seed))
            return results.map { result in
                // The scale is the largest |Ritz value| returned, a lower bound on ‖H‖: the test errs strict.
                let scale = result.ritzValues.map(Swift.abs).max() ?? 0
                return EigenvalueRanking.rankExtremes(judged(result.ritzValues, result.residualBounds, scale: scale),
                                                      k: s.k, end: s.end, dimension: d)
            }
        case .lanczos:
            let k = Swift.min(s.k, d)
            let wanted: ExtremeEigenvalues = s.end == .largest ? .largest(k) : (s.end == .smallest ? .smallest(k) : .largestMagnitude(k))
            let options = BlockLanczosOptions(wanted: wanted, blockSize: s.lanczosBlockSize, tolerance: tolerance, operatorPrecision: precision,
                                              maxDimension: s.steps ?? s.maxSteps, fixedDimension: s.steps != nil, seed: s.seed)
            return try blockLanczos(op, options: options).map { result in
                let estimates = result.ritzValues.indices.map {
                    EigenvalueEstimate(value: result.ritzValues[$0], residual: result.residualBounds[$0], converged: result.converged[$0])
                }
                return EigenvalueRanking.rankExtremes(estimates, k: s.k, end: s.end, dimension: d)
            }
        case .power:
            let target: PowerIterationTarget = s.end == .smallest ? .smallestAlgebraic : (s.end == .largest ? .largestAlgebraic : .largestMagnitude)
            // Block power iteration with Rayleigh–Ritz and guard vectors: a cluster inside the block
            // is resolved, and each value is judged by its own residual.
            let options = SubspaceIterationOptions(maxIterations: s.powerIterations, tolerance: tolerance, operatorPrecision: precision, seed: s.seed)
            return try subspaceIteration(op, target: target, count: Swift.min(s.k, d), options: options).map { result in
                let estimates = result.eigenvalues.indices.map {
                    EigenvalueEstimate(value: result.eigenvalues[$0], residual: result.residuals[$0], converged: result.converged[$0])
                }
                return EigenvalueRanking.rankExtremes(estimates, k: s.k, end: s.end, dimension: d)
            }
        }
    }

    /// The Gauss–Newton spectrum exactly: the C eigenvalues of A^½JJᵀA^½, then d − C zeros.
    private func gaussNewtonRows(for batch: Batch) throws -> [SpectrumRow] {
        let spectrum = try GaussNewtonSpectrum(model: model, images: batch.images, labels: batch.labels)
        let predicted = predictions(spectrum.logits)
        let d = batch.images.count / batch.count
        var rows: [SpectrumRow] = []
        for b in 0..<batch.count {
            let top = zip(spectrum.eigenvalues[b], spectrum.residuals[b]).prefix(d)
            var all = top.enumerated().map { RankedEigenvalue(rank: $0.offset + 1, value: $0.element.0, residual: $0.element.1, converged: true) }
            all += (all.count..<d).map { RankedEigenvalue(rank: $0 + 1, value: 0, residual: 0, converged: true) }
            for pair in EigenvalueRanking.select(all, k: settings.k, end: settings.end).sorted(by: { $0.rank < $1.rank }) {
                rows.append(SpectrumRow(sample: batch.indices[b], label: batch.labels[b], predicted: predicted[b],
                                        rank: pair.rank, eigenvalue: pair.value, residual: pair.residual,
                                        gradientNorm: settings.gradientNorm ? spectrum.gradientNorms[b] : nil))
            }
        }
        return rows
    }
}
