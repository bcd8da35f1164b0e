import CBLAS

/// A batch of dense symmetric matrices: the reference ``BatchedLinearOperator`` for tests and for
/// users who already hold their matrices.
public struct DenseSymmetricOperator: BatchedLinearOperator, Sendable {
    public let batchSize: Int
    public let dimension: Int
    /// `batchSize × dimension × dimension` values; matrix `b` is row-major at offset `b·dimension²`.
    public let matrices: [Double]

    /// Creates the operator from matrices stored back to back.
    ///
    /// - Parameter matrices: `batchSize × dimension × dimension` values; each matrix row-major.
    /// - Parameter batchSize: Number of matrices.
    /// - Parameter dimension: Order of each matrix.
    /// - Parameter symmetryTolerance: Largest accepted `‖A − Aᵀ‖_F / ‖A‖_F`; the solvers assume
    ///   symmetry, so a non-symmetric input is refused rather than silently mis-solved.
    public init(
        matrices: [Double], batchSize: Int, dimension: Int, symmetryTolerance: Double = 1e-10
    ) throws {
        guard batchSize >= 1, dimension >= 1 else {
            throw SpectraError.invalidArgument("batchSize \(batchSize) and dimension \(dimension) must be ≥ 1")
        }
        guard matrices.count == batchSize * dimension * dimension else {
            throw SpectraError.invalidArgument(
                "matrices has \(matrices.count) values, expected batchSize × dimension² = "
                    + "\(batchSize * dimension * dimension)")
        }
        for b in 0..<batchSize {
            let asymmetry = relativeAsymmetry(matrices, offset: b * dimension * dimension, n: dimension)
            // The negated comparison also refuses NaN.
            guard asymmetry <= symmetryTolerance else {
                throw SpectraError.notSymmetric(sample: b, asymmetry: asymmetry, tolerance: symmetryTolerance)
            }
        }
        self.batchSize = batchSize
        self.dimension = dimension
        self.matrices = matrices
    }

    /// Creates the operator from one row-major matrix per sample.
    ///
    /// - Parameter matrices: One array of `dimension²` values per sample.
    /// - Parameter dimension: Order of each matrix.
    public init(matrices: [[Double]], dimension: Int) throws {
        if let bad = matrices.firstIndex(where: { $0.count != dimension * dimension }) {
            throw SpectraError.invalidArgument(
                "matrix \(bad) has \(matrices[bad].count) values, expected dimension² = \(dimension * dimension)")
        }
        try self.init(matrices: matrices.flatMap { $0 }, batchSize: matrices.count, dimension: dimension)
    }

    /// Creates a batch of diagonal matrices.
    ///
    /// - Parameter diagonals: One diagonal per sample, all of the same length.
    public init(diagonals: [[Double]]) throws {
        let n = diagonals.first?.count ?? 0
        guard diagonals.allSatisfy({ $0.count == n }) else {
            throw SpectraError.invalidArgument("all diagonals must have the same length")
        }
        var flat = [Double](repeating: 0, count: diagonals.count * n * n)
        for (b, diagonal) in diagonals.enumerated() {
            for i in 0..<n { flat[b * n * n + i * n + i] = diagonal[i] }
        }
        try self.init(matrices: flat, batchSize: diagonals.count, dimension: n)
    }

    /// Computes `result[b] = A_b · vectors[b]` with one `cblas_dgemv` per sample.
    ///
    /// - Parameter vectors: `batchSize × dimension` values, row-major.
    /// - Parameter result: `batchSize × dimension` values, overwritten.
    public func apply(_ vectors: [Double], into result: inout [Double]) throws {
        let n = dimension
        guard vectors.count == batchSize * n else {
            throw SpectraError.invalidArgument(
                "vectors has \(vectors.count) values, expected batchSize × dimension = \(batchSize * n)")
        }
        if result.count != batchSize * n { result = [Double](repeating: 0, count: batchSize * n) }
        matrices.withUnsafeBufferPointer { a in
            vectors.withUnsafeBufferPointer { x in
                result.withUnsafeMutableBufferPointer { y in
                    for b in 0..<batchSize {
                        cblas_dgemv(
                            CblasRowMajor, CblasNoTrans, blasint(n), blasint(n), 1,
                            a.baseAddress! + b * n * n, blasint(n), x.baseAddress! + b * n, 1,
                            0, y.baseAddress! + b * n, 1)
                    }
                }
            }
        }
    }
}

/// `‖A − Aᵀ‖_F / ‖A‖_F` of the row-major `n × n` matrix at `offset` (0 for the zero matrix).
func relativeAsymmetry(_ a: [Double], offset: Int, n: Int) -> Double {
    var difference = 0.0
    var total = 0.0
    for i in 0..<n {
        total += a[offset + i * n + i] * a[offset + i * n + i]
        for j in (i + 1)..<n {
            let upper = a[offset + i * n + j]
            let lower = a[offset + j * n + i]
            difference += 2 * (upper - lower) * (upper - lower)
            total += upper * upper + lower * lower
        }
    }
    return total > 0 ? (difference / total).squareRoot() : 0
}
