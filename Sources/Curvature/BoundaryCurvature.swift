import Autodiff
import Robustness
import Spectra
import Tensors

/// The shape operator of the decision boundary at a batch of boundary points, one per sample:
/// v ↦ −P ∇²g P v / ‖∇g‖ with g = z_y − z_t, n = ∇g/‖∇g‖ and P = I − nnᵀ. Its eigenvalues on the
/// tangent space (the complement of n, which the solvers are told to exclude) are the boundary's
/// principal curvatures, positive where the boundary bends towards the label's side (a ball of
/// radius R around the label's region: +1/R). Exact, by double backprop.
public final class BoundaryShapeOperator: BatchedLinearOperator {
    public let batchSize: Int
    public let dimension: Int
    public let sampleIndices: [Int]
    /// Each sample's unit normal n (`dimension` values), pointing into the label's side.
    public let normals: [[Double]]
    /// ‖∇g‖ at each point.
    public let gradientNorms: [Double]
    private let point: HessianAtPoint
    private let model: Classifier, points: Tensor, labels: [Int], targets: [Int]

    public init(model: @escaping Classifier, points: Tensor, labels: [Int], targets: [Int], sampleIndices: [Int]) {
        precondition(points.shape[0] == labels.count && labels.count == targets.count && targets.count == sampleIndices.count,
                     "BoundaryShapeOperator: \(labels.count) labels, \(targets.count) targets, \(sampleIndices.count) indices for \(Shape.describe(points.shape))")
        batchSize = labels.count
        dimension = points.count / Swift.max(labels.count, 1)
        (self.model, self.points, self.labels, self.targets, self.sampleIndices) = (model, points, labels, targets, sampleIndices)
        point = HessianAtPoint(of: { x in
            let z = model(x)
            return sum(gatherRows(z, classes: labels) - gatherRows(z, classes: targets))
        }, at: points, keepingGraph: true)
        let gradient = point.gradient.value.scalars
        var normals: [[Double]] = [], norms: [Double] = []
        for b in 0..<batchSize {
            let w = Array(gradient[(b * dimension)..<((b + 1) * dimension)])
            let norm = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
            norms.append(norm)
            normals.append(norm > 0 ? w.map { $0 / norm } : w)
        }
        (self.normals, gradientNorms) = (normals, norms)
    }

    public func apply(_ vectors: [Double], into result: inout [Double]) throws {
        let d = dimension
        var projected = vectors
        for b in 0..<batchSize { project(&projected, row: b) }
        var product = point.product(along: Tensor(shape: points.shape, scalars: projected, dtype: points.dtype)).scalars
        for b in 0..<batchSize {
            project(&product, row: b)
            let scale = gradientNorms[b] > 0 ? -1 / gradientNorms[b] : 0
            for i in 0..<d { product[b * d + i] *= scale }
        }
        result = product
    }

    /// `values[row] ← P values[row]`.
    private func project(_ values: inout [Double], row b: Int) {
        let d = dimension, n = normals[b]
        var along = 0.0
        for i in 0..<d { along += n[i] * values[b * d + i] }
        for i in 0..<d { values[b * d + i] -= along * n[i] }
    }

    public func randomStream(forSample b: Int) -> UInt64 { UInt64(sampleIndices[b]) }

    public func excludedDirections(forSample b: Int) -> [Double] { normals[b] }

    public func restricted(to rows: [Int]) throws -> (any BatchedLinearOperator)? {
        BoundaryShapeOperator(model: model, points: points.rows(at: rows), labels: rows.map { labels[$0] },
                              targets: rows.map { targets[$0] }, sampleIndices: rows.map { sampleIndices[$0] })
    }
}
