import Autodiff
import Classifiers
import Spectra
import Tensors

/// The exact input Hessians H_b = ∇²ₓℓ(f(x_b), y_b) of a batch, as one batched operator.
///
/// The batch loss is the sum of per-sample losses, so its Hessian is block diagonal and one
/// Hessian-vector product returns every sample's own H_b·v_b. The gradient's graph is built once
/// (forward pass and first backward pass with the graph kept); each `apply` only runs the second
/// backward pass.
public final class ExactInputHessian: BatchedLinearOperator {
    public let batchSize: Int
    public let dimension: Int
    /// Each sample's index in its split, which also picks its random stream.
    public let sampleIndices: [Int]
    /// The logits and the input-gradient of the summed loss at the batch.
    public let logits: Tensor
    public let gradient: Tensor
    private let point: HessianAtPoint
    private let model: Classifier, images: Tensor, labels: [Int]
    /// The gradient's graph at the batch tiled `columns` times, built at a block solver's first step.
    private var tiled: (columns: Int, point: HessianAtPoint)?

    public init(model: @escaping Classifier, images: Tensor, labels: [Int], sampleIndices: [Int]) {
        precondition(images.shape[0] == labels.count && labels.count == sampleIndices.count,
                     "ExactInputHessian: \(labels.count) labels, \(sampleIndices.count) indices for \(Shape.describe(images.shape))")
        batchSize = labels.count
        dimension = images.count / Swift.max(labels.count, 1)
        self.sampleIndices = sampleIndices
        (self.model, self.images, self.labels) = (model, images, labels)
        (point, logits) = lossAtInput(model, images, labels, keepingGraph: true)
        gradient = point.gradient.value
    }

    public func apply(_ vectors: [Double], into result: inout [Double]) throws {
        result = point.product(along: Tensor(shape: point.input.shape, scalars: vectors, dtype: point.input.dtype)).scalars
    }

    /// Every column in one Hessian-vector product over the batch tiled `columns` times: a larger
    /// batch runs the GEMMs faster per vector (cnn-small softplus: 2,290 HVP/s at 50 samples, 3,580
    /// at 100), and a sample's arithmetic does not depend on the samples beside it, so each
    /// product is the one ``apply(_:into:)`` gives, bit for bit.
    public func apply(columns: Int, _ vectors: [Double], into result: inout [Double]) throws {
        guard columns > 1 else { return try apply(vectors, into: &result) }
        if tiled?.columns != columns {
            let copies = Tensor.concatenate([Tensor](repeating: images, count: columns))
            tiled = (columns, lossAtInput(model, copies, Array([[Int]](repeating: labels, count: columns).joined()), keepingGraph: true).0)
        }
        let point = tiled!.point
        result = point.product(along: Tensor(shape: point.input.shape, scalars: vectors, dtype: point.input.dtype)).scalars
    }

    public func randomStream(forSample b: Int) -> UInt64 { UInt64(sampleIndices[b]) }

    /// The Hessians of the samples at `rows`: the graph is rebuilt for them alone (one forward and
    /// backward pass, about an HVP's cost), which each later product repays as the batch shrinks.
    public func restricted(to rows: [Int]) throws -> (any BatchedLinearOperator)? {
        ExactInputHessian(model: model, images: images.rows(at: rows), labels: rows.map { labels[$0] }, sampleIndices: rows.map { sampleIndices[$0] })
    }
}

/// The finite-scale input Hessians: column i of sample b's matrix is
/// (∇ℓ(x_b + h·eᵢ) − ∇ℓ(x_b − h·eᵢ)) / 2h, and the matrix is symmetrised.
///
/// For a ReLU network the exact Hessian only sees the Gauss–Newton term (rank ≤ classes − 1); at
/// a finite scale h the gradient changes across the kinks within distance h show up.
public struct FiniteScaleInputHessian {
    /// Builds the batch's matrices (2·dimension gradient evaluations per sample, batched in chunks).
    /// - Returns: the dense symmetric operator and each sample's asymmetry ‖M − Mᵀ‖/‖M‖ before symmetrising.
    public static func build(
        model: Classifier, images: Tensor, labels: [Int], sampleIndices: [Int], h: Double, chunk: Int = 128
    ) throws -> (operator: IndexedDenseOperator, asymmetry: [Double]) {
        let batch = labels.count, d = images.count / Swift.max(batch, 1)
        let pixels = images.scalars
        var matrices = [Double](repeating: 0, count: batch * d * d)
        var asymmetry = [Double](repeating: 0, count: batch)
        for b in 0..<batch {
            let base = Array(pixels[(b * d)..<((b + 1) * d)])
            for start in stride(from: 0, to: d, by: chunk) {
                let columns = Array(start..<Swift.min(start + chunk, d))
                var shifted = [Double]()
                shifted.reserveCapacity(2 * columns.count * d)
                for sign in [1.0, -1.0] {
                    for i in columns {
                        var row = base
                        row[i] += sign * h
                        shifted += row
                    }
                }
                var shape = images.shape
                shape[0] = 2 * columns.count
                let g = inputGradient(model, Tensor(shape: shape, scalars: shifted, dtype: images.dtype),
                                      [Int](repeating: labels[b], count: 2 * columns.count)).gradient.scalars
                for (k, i) in columns.enumerated() {
                    for j in 0..<d {
                        // M[j][i] = (g⁺ᵢ[j] − g⁻ᵢ[j]) / 2h
                        matrices[b * d * d + j * d + i] = (g[k * d + j] - g[(columns.count + k) * d + j]) / (2 * h)
                    }
                }
            }
            var difference = 0.0, size = 0.0
            for i in 0..<d {
                for j in (i + 1)..<d {
                    let a = matrices[b * d * d + i * d + j], c = matrices[b * d * d + j * d + i]
                    difference += 2 * (a - c) * (a - c)
                    size += a * a + c * c
                    let mean = (a + c) / 2
                    matrices[b * d * d + i * d + j] = mean
                    matrices[b * d * d + j * d + i] = mean
                }
                size += matrices[b * d * d + i * d + i] * matrices[b * d * d + i * d + i]
            }
            asymmetry[b] = size > 0 ? (difference / size).squareRoot() : 0
        }
        let dense = try DenseSymmetricOperator(matrices: matrices, batchSize: batch, dimension: d)
        return (IndexedDenseOperator(dense: dense, sampleIndices: sampleIndices), asymmetry)
    }
}

/// A dense operator whose samples draw random streams by their index in the split.
public struct IndexedDenseOperator: BatchedLinearOperator {
    public let dense: DenseSymmetricOperator
    public let sampleIndices: [Int]
    public var batchSize: Int { dense.batchSize }
    public var dimension: Int { dense.dimension }
    public func apply(_ vectors: [Double], into result: inout [Double]) throws { try dense.apply(vectors, into: &result) }
    public func randomStream(forSample b: Int) -> UInt64 { UInt64(sampleIndices[b]) }
}
