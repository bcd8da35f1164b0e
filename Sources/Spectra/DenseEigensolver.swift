import CBLAS

/// One sample's dense eigen-decomposition.
public struct DenseEigenResult: Equatable, Sendable {
    /// All `dimension` eigenvalues of the symmetrised matrix `(A + Aᵀ)/2`, descending.
    public var eigenvalues: [Double]
    /// `‖A − Aᵀ‖_F / ‖A‖_F` of the matrix the operator produced (0 for the zero matrix): how far
    /// the operator is from symmetric, e.g. through finite-difference or float32 noise.
    public var asymmetry: Double
    /// `dimension × dimension` values, row `i` the unit eigenvector of `eigenvalues[i]`, if requested.
    public var eigenvectors: [Double]?
    /// `‖S z_i − λ_i z_i‖` with `S = (A + Aᵀ)/2`, the matrix decomposed, if vectors were requested.
    public var residuals: [Double]?
}

/// Every eigenvalue of every sample, by materialising each `H_b` densely and calling `dsyevd`.
///
/// The matrices are built column by column from `dimension` batched applies to the unit vectors
/// `e_i`, so this is exact but costs `dimension` operator applies, `batchSize · dimension²`
/// doubles of memory and `O(dimension³)` flops per sample: the reference for small inputs, not the
/// tool for large ones.
///
/// - Parameter op: The batch of symmetric operators.
/// - Parameter wantVectors: Whether to return eigenvectors and their residuals.
/// - Parameter maxDimension: Largest dimension accepted (``denseDimensionLimit`` by default).
/// - Returns: One ``DenseEigenResult`` per sample.
/// - Throws: ``SpectraError/denseDimensionAboveLimit(dimension:limit:)`` above `maxDimension`
///   (its message points to Lanczos), ``SpectraError/lapack(routine:info:)``, and the operator's errors.
/// The largest dimension the dense solver accepts by default: 4096² doubles are 128 MiB per sample.
public let denseDimensionLimit = 4096

public func denseEigen(
    _ op: some BatchedLinearOperator, wantVectors: Bool = false, maxDimension: Int = denseDimensionLimit
) throws -> [DenseEigenResult] {
    try op.checkShape()
    let batch = op.batchSize
    let n = op.dimension
    guard n <= maxDimension else { throw SpectraError.denseDimensionAboveLimit(dimension: n, limit: maxDimension) }

    // matrices[b] row-major; applying to e_i yields column i of every sample's matrix at once.
    var matrices = [Double](repeating: 0, count: batch * n * n)
    var unit = [Double](repeating: 0, count: batch * n)
    var column = [Double](repeating: 0, count: batch * n)
    for i in 0..<n {
        for b in 0..<batch {
            if i > 0 { unit[b * n + i - 1] = 0 }
            unit[b * n + i] = 1
        }
        try op.checkedApply(unit, into: &column)
        for b in 0..<batch {
            for r in 0..<n { matrices[b * n * n + r * n + i] = column[b * n + r] }
        }
    }

    return try (0..<batch).map { b in
        let offset = b * n * n
        let asymmetry = relativeAsymmetry(matrices, offset: offset, n: n)
        var symmetric = [Double](repeating: 0, count: n * n)
        for r in 0..<n {
            for c in 0..<n {
                symmetric[r * n + c] = 0.5 * (matrices[offset + r * n + c] + matrices[offset + c * n + r])
            }
        }
        let decomposition = try symmetricEigen(matrix: symmetric, dimension: n, wantVectors: wantVectors)
        var residuals: [Double]?
        if let z = decomposition.vectors {
            // Row i of Z·S is (S z_i)ᵀ because S is symmetric; one dgemm gives every S z_i.
            var product = [Double](repeating: 0, count: n * n)
            cblas_dgemm(
                CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(n), blasint(n), blasint(n), 1, z, blasint(n),
                symmetric, blasint(n), 0, &product, blasint(n))
            residuals = (0..<n).map { i in
                var sumOfSquares = 0.0
                for c in 0..<n {
                    let difference = product[i * n + c] - decomposition.values[i] * z[i * n + c]
                    sumOfSquares += difference * difference
                }
                return sumOfSquares.squareRoot()
            }
        }
        return DenseEigenResult(
            eigenvalues: decomposition.values, asymmetry: asymmetry, eigenvectors: decomposition.vectors,
            residuals: residuals)
    }
}
