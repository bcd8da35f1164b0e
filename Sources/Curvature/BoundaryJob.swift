import Autodiff
import Messages
import Randomness
import Robustness
import Spectra
import Tensors

/// The settings of a boundary run: the search for each sample's nearest boundary point and the
/// solver for the principal curvatures there. They alone own their defaults and validation.
public struct BoundarySettings: SampleJobSettings, Equatable {
    /// Principal curvatures per sample (at most the d − 1 of the tangent space are written).
    public var k = 20
    public var end: SpectrumEnd = .largest
    /// Converged: residual ≤ tolerance × the largest |curvature|; nil takes the spectrum's default
    /// for the arithmetic (``SpectrumSettings/defaultTolerance(for:)``).
    public var tolerance: Double? = nil
    /// The most Lanczos vectors per sample.
    public var maxSteps = 300
    public var blockSize = 2
    public var seed: UInt64 = 0
    /// The search's tolerance, relative to the distance; nil: 1e-5 for Float32, 1e-10 for Float64.
    public var searchTolerance: Double? = nil
    public var searchIterations = 200
    /// Keep the boundary point in the image box [0, 1].
    public var box = false
    /// A boundary point counts as nearest (status ok) when the cosine of x − x_b with the normal is
    /// at least this; below it the search stalled short of alignment (status not-nearest), and the
    /// curvatures are still exact, at that boundary point.
    public var minimumCosine = 0.99
    /// Finite scales h: rows then hold κ_h(u) (``FiniteScaleBoundaryCurvature``) instead of the
    /// exact curvatures; empty for the exact ones.
    public var finiteScales: [Double] = []
    /// In a finite run, along the exact principal directions too (smooth networks; a
    /// piecewise-linear one has none).
    public var principalDirections = true
    /// In a finite run, this many random unit tangent directions per sample.
    public var randomDirections = 0
    /// In a finite run, offsets are resolved to this × h², so κ_h to twice it.
    public var finiteTolerance = 1e-6
    /// Add the saliency map's and the minimal perturbation's alignment with the image (Etmann et
    /// al. 2019) as trailing columns.
    public var interpretability = false

    public init() {}

    /// What a study (`compare --boundary`, `demo --boundary`) computes: the 5 largest and the 5
    /// smallest curvatures (a boundary may bend both ways) and the interpretability columns.
    public static var study: BoundarySettings {
        var settings = BoundarySettings()
        (settings.k, settings.end, settings.interpretability) = (5, .both, true)
        return settings
    }

    public func tolerance(for dtype: DType) -> Double { tolerance ?? SpectrumSettings.defaultTolerance(for: dtype) }

    /// Block Lanczos for the curvatures, as these settings ask in `dtype` arithmetic.
    public func lanczosOptions(wanted: ExtremeEigenvalues, dtype: DType) -> BlockLanczosOptions {
        BlockLanczosOptions(wanted: wanted, blockSize: blockSize, tolerance: tolerance(for: dtype),
                            operatorPrecision: SpectrumSettings.operatorPrecision(for: dtype), maxDimension: maxSteps, seed: seed)
    }

    public func searchTolerance(for dtype: DType) -> Double { searchTolerance ?? (dtype == .float32 ? 1e-5 : 1e-10) }

    /// Checks the settings against the input dimension before any work.
    /// Refuses settings that cannot run, before any work: against inputs of `dimension` values
    /// once a model is known, or on their own (nil).
    public func validate(dimension d: Int?) throws {
        guard k >= 1 else { throw SettingError("\(setting: "k") must be ≥ 1, got \(k)") }
        if let d, d < 2 { throw SettingError("the input has d = \(d) dimension; a boundary needs at least 2") }
        guard maxSteps >= 1 else { throw SettingError("\(setting: "maxSteps") must be ≥ 1, got \(maxSteps)") }
        // Lanczos finds at most maxSteps curvatures; more than the d − 1 of the tangent space are never asked for.
        let wanted = end.count(k: k)
        guard maxSteps >= Swift.min(wanted, (d ?? wanted + 1) - 1) else {
            throw SettingError("\(end.countMessage(k: k)) is larger than \(setting: "maxSteps") \(maxSteps): Lanczos finds at most m curvatures; raise \(setting: "maxSteps") to at least \(wanted)")
        }
        guard blockSize >= 1 else { throw SettingError("\(setting: "blockSize") must be ≥ 1, got \(blockSize)") }
        guard searchIterations >= 1 else { throw SettingError("\(setting: "searchIterations") must be ≥ 1, got \(searchIterations)") }
        if let tolerance, !(tolerance > 0 && tolerance < 1) { throw SettingError("\(setting: "tolerance") must lie in (0, 1), got \(tolerance)") }
        if let searchTolerance, !(searchTolerance > 0 && searchTolerance < 1) {
            throw SettingError("\(setting: "searchTolerance") must lie in (0, 1), got \(searchTolerance)")
        }
        guard minimumCosine > 0 && minimumCosine <= 1 else { throw SettingError("\(setting: "minimumCosine") must lie in (0, 1], got \(minimumCosine)") }
        if let bad = finiteScales.first(where: { !($0 > 0) }) { throw SettingError("\(setting: "finiteScales") must be positive, got \(bad)") }
        guard randomDirections >= 0 else { throw SettingError("\(setting: "randomDirections") must be ≥ 0, got \(randomDirections)") }
        if !finiteScales.isEmpty && !principalDirections && randomDirections == 0 {
            throw SettingError("\(setting: "randomDirections") 0 at a finite scale on a network without principal directions (piecewise linear): it has no principal directions; give \(setting: "randomDirections") R ≥ 1")
        }
    }

    /// A piecewise-linear network has no principal directions (its ∇²g is 0 almost everywhere):
    /// a finite-scale run then measures along random tangent directions only.
    public func fitted(to network: any Network) -> BoundarySettings {
        var fitted = self
        fitted.principalDirections = principalDirections && !network.isPiecewiseLinear
        return fitted
    }

    public func record(dimension: Int, dtype: DType) -> [String: String] { record(dtype: dtype) }

    /// What shapes the rows, as a result's metadata records it.
    public func record(dtype: DType) -> [String: String] {
        ["k": String(k), "which": end.rawValue, "tol": "\(tolerance(for: dtype))", "max_steps": String(maxSteps), "block_size": String(blockSize),
         "search_tol": "\(searchTolerance(for: dtype))", "search_iterations": String(searchIterations), "box": box ? "yes" : "no",
         "min_cosine": "\(minimumCosine)", "interpretability": interpretability ? "yes" : "no"].merging(finiteScales.isEmpty ? [:] : [
            "hessian": "finite", "h": finiteScales.map { "\($0)" }.joined(separator: ","), "principal_directions": principalDirections ? "yes" : "no",
            "random_directions": String(randomDirections), "finite_tol": "\(finiteTolerance)"]) { $1 }
    }
}

/// A sample's interpretability numbers (see ``BoundaryRow/interpretability``).
public struct BoundaryInterpretability: Equatable, Sendable {
    public var alignment: Double, cosine: Double
    public var perturbationAlignment: Double?, perturbationCosine: Double?
}

/// What became of a sample in a boundary run.
public enum BoundaryStatus: String, Sendable {
    /// Its nearest boundary point was found and its curvatures computed.
    case ok
    /// On the boundary, but the search stalled before x − x_b lined up with the normal (cosine
    /// below the minimum): curvatures of the boundary at that point, not at the nearest one.
    case notNearest = "not-nearest"
    /// Misclassified: no boundary is searched for.
    case misclassified
    /// No boundary point met the search's tolerance within its iterations.
    case noBoundary = "no-boundary"
}

/// One principal curvature of one sample (or one row saying why a sample has none): a row of the
/// boundary CSV.
public struct BoundaryRow: SampleRow, Equatable {
    public var sample: Int, label: Int, predicted: Int
    /// The class across the boundary (nil without a boundary point).
    public var target: Int?
    /// ‖x_b − x‖₂, the cosine of x − x_b with the normal, and ‖∇g(x_b)‖.
    public var distance: Double?, normalCosine: Double?, gradientNorm: Double?
    /// Position among the d − 1 principal curvatures in descending order.
    public var rank: Int?
    public var curvature: Double?
    /// A principal curvature lies within this distance of `curvature`.
    public var residual: Double?
    public var status: BoundaryStatus
    public var converged: Bool
    /// In a finite-scale run: the scale and the direction (`principal` at its rank, `random-j`).
    public var h: Double? = nil
    public var direction: String? = nil
    /// Whether the row is of a finite-scale run, whose every row has the `h` and `direction`
    /// columns (empty in a row without a boundary point).
    public var finiteScaleColumns = false
    /// With interpretability: α = |⟨x, ∇z_ŷ⟩|/‖∇z_ŷ‖ (Etmann et al.'s alignment of the saliency map
    /// of the predicted class ŷ with the image) and its cosine |⟨x, ∇z_ŷ⟩|/(‖x‖‖∇z_ŷ‖); the same for
    /// the minimal perturbation x_b − x (none without a boundary point).
    public var interpretability: BoundaryInterpretability? = nil

    public static let header = "sample,label,predicted,target,distance,normal_cosine,gradient_norm,rank,curvature,residual,status,converged"
    /// A finite-scale run's header: the trailing h and direction columns.
    public static let finiteHeader = header + ",h,direction"
    /// The interpretability columns, last.
    public static let interpretabilityColumns = ",alignment,alignment_cosine,perturbation_alignment,perturbation_cosine"

    /// The header of a run with these settings.
    public static func header(for settings: BoundarySettings) -> String {
        (settings.finiteScales.isEmpty ? header : finiteHeader) + (settings.interpretability ? interpretabilityColumns : "")
    }

    /// The row as CSV; numbers as ``CSVNumber`` writes them for a run in `dtype`, empty where none applies.
    public func csv(dtype: DType) -> String {
        func number(_ value: Double?) -> String { value.map { CSVNumber.format($0, dtype: dtype) } ?? "" }
        return ["\(sample)", "\(label)", "\(predicted)", target.map(String.init) ?? "", number(distance), number(normalCosine), number(gradientNorm),
                rank.map(String.init) ?? "", number(curvature), residual.map { String(format: "%.3g", $0) } ?? "", status.rawValue, "\(converged)"]
            .joined(separator: ",") + (h != nil || finiteScaleColumns ? ",\(h.map { "\($0)" } ?? ""),\(direction ?? "")" : "")
            + (interpretability.map { "," + [number($0.alignment), number($0.cosine), number($0.perturbationAlignment), number($0.perturbationCosine)]
                .joined(separator: ",") } ?? "")
    }
}

/// Finds each sample's nearest decision-boundary point and the boundary's principal curvatures there.
public struct BoundaryJob: SampleJob {
    public let model: Classifier
    public let settings: BoundarySettings

    public init(model: @escaping Classifier, settings: BoundarySettings) {
        self.model = model
        self.settings = settings
    }

    /// A batch's rows, ordered by sample, then rank.
    public func rows(for batch: Batch) throws -> [BoundaryRow] { try rowsAndPoints(for: batch).rows }

    /// A batch's rows (ordered by sample, then rank) and each sample's boundary point (`d` values;
    /// nil without one).
    public func rowsAndPoints(for batch: Batch) throws -> (rows: [BoundaryRow], points: [[Double]?]) {
        let s = settings, dtype = batch.images.dtype
        let d = batch.images.count / Swift.max(batch.count, 1)
        let predicted = predictions(evaluate(model, batch.images))
        let correct = (0..<batch.count).filter { predicted[$0] == batch.labels[$0] }
        let search = NearestBoundarySearch(tolerance: s.searchTolerance(for: dtype), maxIterations: s.searchIterations, box: s.box)
        let found = correct.isEmpty ? [] : search.search(model, images: batch.images.rows(at: correct),
                                                         labels: correct.map { batch.labels[$0] })
        var outcome = [Int: NearestBoundarySearch.Point]()
        for (r, b) in correct.enumerated() { outcome[b] = found[r] }
        let located = correct.filter { outcome[$0]!.converged }

        var curvatures = [Int: [RankedEigenvalue]]()
        var finiteRows = [Int: [BoundaryRow]]()
        if !located.isEmpty {
            let points = Tensor(shape: [located.count] + Array(batch.images.shape.dropFirst()),
                                scalars: located.flatMap { outcome[$0]!.point }, dtype: dtype)
            let op = BoundaryShapeOperator(model: model, points: points, labels: located.map { batch.labels[$0] },
                                           targets: located.map { outcome[$0]!.target }, sampleIndices: located.map { batch.indices[$0] })
            var options = s.lanczosOptions(wanted: s.end.wanted(s.k, dimension: d - 1), dtype: dtype)
            let finite = !s.finiteScales.isEmpty
            options.wantVectors = finite && s.principalDirections
            let results = finite && !s.principalDirections ? [] : try blockLanczos(op, options: options)
            for (r, result) in results.enumerated() {
                let estimates = result.ritzValues.indices.map {
                    EigenvalueEstimate(value: result.ritzValues[$0], residual: result.residualBounds[$0], converged: result.converged[$0], source: $0)
                }
                curvatures[located[r]] = EigenvalueRanking.rankExtremes(estimates, k: s.k, end: s.end, dimension: d - 1)
            }
            if finite {
                finiteRows = try finiteScaleRows(located: located, batch: batch, outcome: outcome, normals: op.normals, lanczos: results,
                                                 ranked: curvatures)
            }
        }

        let alignments = s.interpretability ? saliencyAlignments(batch, predicted: predicted) : nil
        var rows: [BoundaryRow] = [], points: [[Double]?] = []
        for b in 0..<batch.count {
            var row = BoundaryRow(sample: batch.indices[b], label: batch.labels[b], predicted: predicted[b], status: .misclassified, converged: false)
            row.finiteScaleColumns = !s.finiteScales.isEmpty
            if let alignments {
                let x = Array(batch.images.scalars[(b * d)..<((b + 1) * d)])
                let perturbation = outcome[b].map { point in Self.alignment(of: zip(point.point, x).map { $0 - $1 }, with: x) }
                row.interpretability = BoundaryInterpretability(alignment: alignments[b].alignment, cosine: alignments[b].cosine,
                                                                perturbationAlignment: perturbation?.alignment, perturbationCosine: perturbation?.cosine)
            }
            guard let point = outcome[b] else {
                rows.append(row)
                points.append(nil)
                continue
            }
            (row.target, row.distance, row.normalCosine, row.gradientNorm) = (point.target, point.distance, point.normalCosine, point.gradientNorm)
            let status: BoundaryStatus = point.normalCosine >= s.minimumCosine ? .ok : .notNearest
            if let scaled = finiteRows[b] {
                for var finite in scaled {
                    (finite.target, finite.distance, finite.normalCosine, finite.gradientNorm, finite.status) =
                        (row.target, row.distance, row.normalCosine, row.gradientNorm, status)
                    finite.interpretability = row.interpretability
                    rows.append(finite)
                }
                points.append(point.point)
                continue
            }
            guard let ranked = curvatures[b] else {
                row.status = .noBoundary
                rows.append(row)
                points.append(nil)
                continue
            }
            row.status = point.normalCosine >= s.minimumCosine ? .ok : .notNearest
            for value in ranked.sorted(by: { $0.rank < $1.rank }) {
                (row.rank, row.curvature, row.residual, row.converged) = (value.rank, value.value, value.residual, value.converged)
                rows.append(row)
            }
            points.append(point.point)
        }
        return (rows, points)
    }

    /// Each sample's saliency map ∇z_ŷ (one backward pass for the batch) and its alignment with the image.
    private func saliencyAlignments(_ batch: Batch, predicted: [Int]) -> [(alignment: Double, cosine: Double)] {
        let d = batch.images.count / Swift.max(batch.count, 1)
        let input = Variable(batch.images, requiresGradient: true)
        let saliency = gradients(of: sum(gatherRows(model(input), classes: predicted)), withRespectTo: [input])[0].value.scalars
        let x = batch.images.scalars
        return (0..<batch.count).map { b in
            Self.alignment(of: Array(saliency[(b * d)..<((b + 1) * d)]), with: Array(x[(b * d)..<((b + 1) * d)]))
        }
    }

    /// |⟨x, v⟩|/‖v‖ and |⟨x, v⟩|/(‖x‖‖v‖); NaN for v = 0.
    static func alignment(of v: [Double], with x: [Double]) -> (alignment: Double, cosine: Double) {
        let inner = Swift.abs(zip(x, v).reduce(0) { $0 + $1.0 * $1.1 })
        let vNorm = v.reduce(0) { $0 + $1 * $1 }.squareRoot(), xNorm = x.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return (inner / vNorm, inner / (vNorm * xNorm))
    }

    /// κ_h along each located sample's principal directions (from `lanczos`, in rank order) and
    /// its random tangent directions, at every scale: rows by scale, then direction.
    private func finiteScaleRows(located: [Int], batch: Batch, outcome: [Int: NearestBoundarySearch.Point], normals: [[Double]],
                                 lanczos: [BlockLanczosResult], ranked: [Int: [RankedEigenvalue]]) throws -> [Int: [BoundaryRow]] {
        let s = settings, dtype = batch.images.dtype
        let d = batch.images.count / Swift.max(batch.count, 1)
        let imageShape = Array(batch.images.shape.dropFirst())
        var queries: [FiniteScaleBoundaryCurvature.Query] = []
        var templates: [(sample: Int, row: BoundaryRow)] = []
        for (r, b) in located.enumerated() {
            let point = outcome[b]!.point
            var directions: [(name: String, rank: Int?, converged: Bool, vector: [Double])] = []
            if r < lanczos.count, let vectors = lanczos[r].ritzVectors {
                // Each rank's own Ritz vector: repeated values (a ball's) have distinct vectors.
                for value in (ranked[b] ?? []).sorted(by: { $0.rank < $1.rank }) {
                    guard let i = value.source else { continue }
                    directions.append(("principal", value.rank, value.converged, Array(vectors[(i * d)..<((i + 1) * d)])))
                }
            }
            // Random tangent directions from the sample's own stream (apart from Lanczos' starts).
            var generator = Xoshiro256StarStar(seed: s.seed ^ 0x9e37_79b9_7f4a_7c15, stream: UInt64(batch.indices[b]))
            for j in 0..<s.randomDirections {
                var u = (0..<d).map { _ in generator.normal() }
                let along = zip(u, normals[r]).reduce(0) { $0 + $1.0 * $1.1 }
                for i in 0..<d { u[i] -= along * normals[r][i] }
                let length = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
                directions.append(("random-\(j + 1)", nil, true, u.map { $0 / length }))
            }
            for h in s.finiteScales {
                for direction in directions {
                    queries.append(.init(point: point, label: batch.labels[b], normal: normals[r], direction: direction.vector, h: h))
                    var row = BoundaryRow(sample: batch.indices[b], label: batch.labels[b], predicted: batch.labels[b], status: .ok, converged: direction.converged)
                    (row.rank, row.h, row.direction) = (direction.rank, h, direction.name)
                    templates.append((b, row))
                }
            }
        }
        let values = FiniteScaleBoundaryCurvature(tolerance: s.finiteTolerance).curvatures(model, queries, imageShape: imageShape, dtype: dtype)
        var rows = [Int: [BoundaryRow]]()
        for (index, template) in templates.enumerated() {
            var row = template.row
            row.curvature = values[index]
            row.residual = values[index] == nil ? nil : 2 * s.finiteTolerance
            row.converged = row.converged && values[index] != nil
            rows[template.sample, default: []].append(row)
        }
        return rows
    }
}
