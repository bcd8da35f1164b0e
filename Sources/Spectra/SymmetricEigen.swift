import CLAPACKE

/// All eigenvalues, and optionally eigenvectors, of a dense symmetric matrix (`LAPACKE_dsyevd`,
/// divide and conquer).
///
/// Only the upper triangle of the row-major matrix is read; symmetrise first if the input may be
/// slightly asymmetric.
///
/// - Parameter matrix: `dimension²` values, row-major.
/// - Parameter dimension: Order of the matrix.
/// - Parameter wantVectors: Whether to compute the eigenvectors as well.
/// - Returns: The eigenvalues in descending order, with orthonormal eigenvectors if requested.
/// - Throws: ``SpectraError/invalidArgument(_:)`` for a wrong size,
///   ``SpectraError/lapack(routine:info:)`` if LAPACK fails (or finds NaN in the input).
public func symmetricEigen(matrix: [Double], dimension: Int, wantVectors: Bool = false) throws
    -> SymmetricEigenDecomposition
{
    let n = dimension
    guard n >= 0, matrix.count == n * n else {
        throw SpectraError.invalidArgument("matrix has \(matrix.count) values, expected dimension² = \(n * n)")
    }
    guard n <= Int(LAPACKInt.max) else {
        throw SpectraError.invalidArgument("order \(n) exceeds LAPACK's 32-bit index range")
    }
    if n == 0 { return SymmetricEigenDecomposition(dimension: 0, values: [], vectors: wantVectors ? [] : nil) }
    var a = matrix
    var w = [Double](repeating: 0, count: n)
    // Row-major upper triangle = column-major lower triangle. Column-major output puts
    // eigenvector j contiguously at a[j·n ..< (j+1)·n] and spares LAPACKE a transposed copy.
    let info = LAPACKE_dsyevd(
        LAPACK_COL_MAJOR, lapackFlag(wantVectors ? "V" : "N"), lapackFlag("L"), lapackInt(n), &a, lapackInt(n), &w)
    guard info == 0 else { throw SpectraError.lapack(routine: "LAPACKE_dsyevd", info: Int(info)) }
    return SymmetricEigenDecomposition(dimension: n, unsortedValues: w, unsortedVectors: wantVectors ? a : nil)
}
