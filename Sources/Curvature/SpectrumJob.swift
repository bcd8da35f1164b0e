import Datasets
import Foundation
import NN
import Robustness
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
    /// Lanczos' residual bound |β_m s_m|, power iteration's ‖Hv − λv‖, or LAPACK's ‖Hz − λz‖.
    public var residual: Double
    /// ‖∇ₓ of the objective‖₂ of the sample, when asked for (a trailing `gradient_norm` column).
    public var gradientNorm: Double? = nil
    /// The finite Hessian's scale, in an h-sweep (a trailing `h` column).
    public var h: Double? = nil

    public static let header = "sample,label,predicted,rank,eigenvalue,residual"

    /// The header with the trailing columns a run adds.
    public static func header(gradientNorm: Bool, h: Bool) -> String {
        header + (gradientNorm ? ",gradient_norm" : "") + (h ? ",h" : "")
    }

    public var csv: String { csv(dtype: .float32) }

    /// The row with its eigenvalue written as ``CSVNumber`` does for a run in `dtype`.
    public func csv(dtype: DType) -> String {
        "\(sample),\(label),\(predicted),\(rank),\(CSVNumber.format(eigenvalue, dtype: dtype)),\(String(format: "%.3g", residual))"
            + (gradientNorm.map { "," + CSVNumber.format($0, dtype: dtype) } ?? "") + (h.map { ",\($0)" } ?? "")
    }
}

extension SpectrumRow {
    /// Reads a line as `csv` writes it; nil for anything else.
    public init?<Line: StringProtocol>(csv line: Line) {
        let fields = line.split(separator: ",", omittingEmptySubsequences: false)
        guard fields.count == 6, let sample = Int(fields[0]), let label = Int(fields[1]), let predicted = Int(fields[2]),
              let rank = Int(fields[3]), let eigenvalue = Double(fields[4]), let residual = Double(fields[5]) else { return nil }
        self.init(sample: sample, label: label, predicted: predicted, rank: rank, eigenvalue: eigenvalue, residual: residual)
    }
}

/// The settings of a spectrum run.
public struct SpectrumSettings: Sendable, Equatable {
    public var method: SpectrumMethod = .lanczos
    public var k = 20
    public var steps = 40
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

    /// Checks the settings against a model's input dimension before any work.
    public func validate(dimension d: Int, modelName: String = "the model") throws {
        guard k >= 1, steps >= 1, powerIterations >= 1 else { throw RunError("k, steps and power iterations must be ≥ 1") }
        if method == .lanczos && k > steps && !takesGaussNewtonRoute {
            throw RunError("--k \(k) is larger than --steps \(steps): Lanczos finds at most m Ritz values; raise --steps to at least \(k)")
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
        let d = op.dimension
        var rows: [SpectrumRow] = []
        func emit(_ b: Int, _ pairs: [(rank: Int, value: Double, residual: Double)]) {
            for pair in pairs.sorted(by: { $0.rank < $1.rank }) {
                rows.append(SpectrumRow(sample: batch.indices[b], label: batch.labels[b], predicted: predicted[b],
                                        rank: pair.rank, eigenvalue: pair.value, residual: pair.residual, gradientNorm: gradientNorms?[b]))
            }
        }
        switch s.method {
        case .dense:
            let results = try denseEigen(op, wantVectors: true, maxDimension: s.denseLimit)
            for (b, result) in results.enumerated() {
                let all = result.eigenvalues.enumerated().map { (rank: $0.offset + 1, value: $0.element, residual: result.residuals?[$0.offset] ?? .nan) }
                emit(b, Self.select(all, k: s.k, end: s.end, dimension: d))
            }
        case .lanczos:
            let steps = Swift.min(s.steps, d)
            let selection: EigenvalueSelection
            switch s.end {
            case .largest: selection = .largest(Swift.min(s.k, steps))
            case .smallest: selection = .smallest(Swift.min(s.k, steps))
            case .magnitude: selection = .all
            }
            let results = try lanczos(op, options: LanczosOptions(steps: steps, selection: selection,
                                                                  reorthogonalization: s.reorthogonalization, seed: s.seed))
            for (b, result) in results.enumerated() {
                // Ritz values approximate the extreme eigenvalues: the largest ones take ranks from 1,
                // the smallest ones ranks counted back from d.
                let values = zip(result.ritzValues, result.residualBounds).map { (value: $0, residual: $1) }
                emit(b, Self.rankExtremes(values, k: s.k, end: s.end, dimension: d))
            }
        case .power:
            let target: PowerIterationTarget = s.end == .smallest ? .smallestAlgebraic : (s.end == .largest ? .largestAlgebraic : .largestMagnitude)
            let results = try powerIteration(op, target: target, count: Swift.min(s.k, d),
                                             options: PowerIterationOptions(maxIterations: s.powerIterations, seed: s.seed))
            for (b, result) in results.enumerated() {
                let values = result.estimates.map { (value: $0.eigenvalue, residual: $0.residual) }
                emit(b, Self.rankExtremes(values, k: s.k, end: s.end, dimension: d))
            }
        }
        return rows
    }

    /// The Gauss–Newton spectrum exactly: the C eigenvalues of A^½JJᵀA^½, then d − C zeros.
    private func gaussNewtonRows(for batch: Batch) throws -> [SpectrumRow] {
        let spectrum = try GaussNewtonSpectrum(model: model, images: batch.images, labels: batch.labels)
        let predicted = predictions(spectrum.logits)
        let d = batch.images.count / batch.count
        var rows: [SpectrumRow] = []
        for b in 0..<batch.count {
            let top = zip(spectrum.eigenvalues[b], spectrum.residuals[b]).prefix(d)
            var all = top.enumerated().map { (rank: $0.offset + 1, value: $0.element.0, residual: $0.element.1) }
            all += (all.count..<d).map { (rank: $0 + 1, value: 0.0, residual: 0.0) }
            for pair in Self.select(all, k: settings.k, end: settings.end, dimension: d).sorted(by: { $0.rank < $1.rank }) {
                rows.append(SpectrumRow(sample: batch.indices[b], label: batch.labels[b], predicted: predicted[b],
                                        rank: pair.rank, eigenvalue: pair.value, residual: pair.residual,
                                        gradientNorm: settings.gradientNorm ? spectrum.gradientNorms[b] : nil))
            }
        }
        return rows
    }

    /// k eigenvalues from the full sorted list (rank = position in descending order).
    static func select(_ all: [(rank: Int, value: Double, residual: Double)], k: Int, end: SpectrumEnd, dimension: Int) -> [(rank: Int, value: Double, residual: Double)] {
        if k >= all.count { return all }
        switch end {
        case .largest: return Array(all.prefix(k))
        case .smallest: return Array(all.suffix(k))
        case .magnitude: return Array(all.sorted { Swift.abs($0.value) > Swift.abs($1.value) }.prefix(k))
        }
    }

    /// Ranks for extreme eigenvalues found by an iterative method: the largest-first ones count
    /// from 1, the smallest ones back from d; for `magnitude`, positive ones count from the top
    /// and negative ones from the bottom.
    static func rankExtremes(_ values: [(value: Double, residual: Double)], k: Int, end: SpectrumEnd, dimension d: Int) -> [(rank: Int, value: Double, residual: Double)] {
        let sorted = values.sorted { $0.value > $1.value }
        switch end {
        case .largest:
            return sorted.prefix(k).enumerated().map { (rank: $0.offset + 1, value: $0.element.value, residual: $0.element.residual) }
        case .smallest:
            let chosen = Array(sorted.suffix(k))
            return chosen.enumerated().map { (rank: d - chosen.count + 1 + $0.offset, value: $0.element.value, residual: $0.element.residual) }
        case .magnitude:
            let chosen = sorted.sorted { Swift.abs($0.value) > Swift.abs($1.value) }.prefix(k)
            let positive = chosen.filter { $0.value >= 0 }.sorted { $0.value > $1.value }
            let negative = chosen.filter { $0.value < 0 }.sorted { $0.value > $1.value }
            return positive.enumerated().map { (rank: $0.offset + 1, value: $0.element.value, residual: $0.element.residual) }
                + negative.enumerated().map { (rank: d - negative.count + 1 + $0.offset, value: $0.element.value, residual: $0.element.residual) }
        }
    }
}
