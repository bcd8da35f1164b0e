import CLAPACKE

// MARK: - All eigenvalues: dstev

/// All eigenvalues, and optionally eigenvectors, of a symmetric tridiagonal matrix (`LAPACKE_dstev`,
/// implicit QL/QR).
///
/// - Parameter diagonal: The `n` diagonal entries.
/// - Parameter offDiagonal: The `n − 1` sub-diagonal (equal to super-diagonal) entries.
/// - Parameter wantVectors: Whether to compute the eigenvectors as well.
/// - Returns: The `n` eigenvalues in descending order, with eigenvectors if requested.
/// - Throws: ``SpectraError/invalidArgument(_:)`` for mismatched lengths,
///   ``SpectraError/lapack(routine:info:)`` if LAPACK fails (or finds NaN in the input).
public func symmetricTridiagonalEigen(
    diagonal: [Double], offDiagonal: [Double], wantVectors: Bool = false
) throws -> SymmetricEigenDecomposition {
    let n = diagonal.count
    try checkTridiagonal(n: n, offDiagonalCount: offDiagonal.count)
    if n == 0 { return SymmetricEigenDecomposition(dimension: 0, values: [], vectors: wantVectors ? [] : nil) }
    var d = diagonal
    var e = offDiagonal + [0]  // never empty, so the pointer is never nil when n == 1
    var z = [Double](repeating: 0, count: wantVectors ? n * n : 1)
    let info = d.withUnsafeMutableBufferPointer { dp in
        e.withUnsafeMutableBufferPointer { ep in
            z.withUnsafeMutableBufferPointer { zp in
                // Column-major, so eigenvector j is contiguous at z[j·n ..< (j+1)·n].
                LAPACKE_dstev(
                    LAPACK_COL_MAJOR, lapackFlag(wantVectors ? "V" : "N"), lapackInt(n),
                    dp.baseAddress, ep.baseAddress, zp.baseAddress, lapackInt(n))
            }
        }
    }
    guard info == 0 else { throw SpectraError.lapack(routine: "LAPACKE_dstev", info: Int(info)) }
    return SymmetricEigenDecomposition(dimension: n, unsortedValues: d, unsortedVectors: wantVectors ? z : nil)
}

// MARK: - Selected eigenvalues: dstebz + dstein

/// Selected eigenvalues, by position in ascending order, of a symmetric tridiagonal matrix
/// (`LAPACKE_dstebz`, bisection), with eigenvectors by inverse iteration (`LAPACKE_dstein`) if asked.
///
/// Cheaper than ``symmetricTridiagonalEigen(diagonal:offDiagonal:wantVectors:)`` when only a few
/// eigenpairs of a large tridiagonal are needed.
///
/// - Parameter diagonal: The `n` diagonal entries.
/// - Parameter offDiagonal: The `n − 1` off-diagonal entries.
/// - Parameter ascendingIndices: Zero-based positions in ascending order: `0` is the smallest
///   eigenvalue, `n − 1` the largest.
/// - Parameter wantVectors: Whether to compute the eigenvectors as well.
/// - Returns: The selected eigenvalues in descending order, with eigenvectors if requested.
/// - Throws: ``SpectraError/invalidArgument(_:)`` for mismatched lengths or indices outside
///   `0..<n`, ``SpectraError/lapack(routine:info:)`` if LAPACK fails.
public func symmetricTridiagonalEigen(
    diagonal: [Double], offDiagonal: [Double], ascendingIndices: ClosedRange<Int>, wantVectors: Bool = false
) throws -> SymmetricEigenDecomposition {
    let n = diagonal.count
    try checkTridiagonal(n: n, offDiagonalCount: offDiagonal.count)
    guard ascendingIndices.lowerBound >= 0, ascendingIndices.upperBound < n else {
        throw SpectraError.invalidArgument("eigenvalue indices \(ascendingIndices) are outside 0..<\(n)")
    }
    let e = offDiagonal + [0]
    var found: LAPACKInt = 0
    var blockCount: LAPACKInt = 0
    var w = [Double](repeating: 0, count: n)
    var iblock = [LAPACKInt](repeating: 0, count: n)
    var isplit = [LAPACKInt](repeating: 0, count: n)
    // abstol = 2·safe-minimum asks bisection for the most accurate eigenvalues, which inverse
    // iteration needs to produce accurate vectors.
    let abstol = 2 * Double.leastNormalMagnitude
    // ORDER = "B" groups eigenvalues by split-off block, the layout dstein expects.
    let info = LAPACKE_dstebz(
        lapackFlag("I"), lapackFlag("B"), lapackInt(n), 0, 0,
        lapackInt(ascendingIndices.lowerBound + 1), lapackInt(ascendingIndices.upperBound + 1), abstol,
        diagonal, e, &found, &blockCount, &w, &iblock, &isplit)
    guard info == 0 else { throw SpectraError.lapack(routine: "LAPACKE_dstebz", info: Int(info)) }
    let m = Int(found)
    let values = Array(w.prefix(m))
    guard wantVectors, m > 0 else {
        return SymmetricEigenDecomposition(dimension: n, unsortedValues: values, unsortedVectors: wantVectors ? [] : nil)
    }
    var z = [Double](repeating: 0, count: n * m)
    var failed = [LAPACKInt](repeating: 0, count: m)
    let vectorInfo = LAPACKE_dstein(
        LAPACK_COL_MAJOR, lapackInt(n), diagonal, e, found, w, iblock, isplit, &z, lapackInt(n), &failed)
    guard vectorInfo == 0 else { throw SpectraError.lapack(routine: "LAPACKE_dstein", info: Int(vectorInfo)) }
    return SymmetricEigenDecomposition(dimension: n, unsortedValues: values, unsortedVectors: z)
}

/// The eigenvalues of a symmetric tridiagonal matrix picked by `selection`: `dstev` for ``EigenvalueSelection/all``,
/// bisection (`dstebz`, + `dstein`) otherwise.
///
/// - Parameter diagonal: The `n` diagonal entries.
/// - Parameter offDiagonal: The `n − 1` off-diagonal entries.
/// - Parameter selection: Which eigenvalues; counts larger than `n` are clamped to `n`.
/// - Parameter wantVectors: Whether to compute the eigenvectors as well.
/// - Returns: The selected eigenvalues in descending order, with eigenvectors if requested.
/// - Throws: ``SpectraError`` as the routines above.
public func symmetricTridiagonalEigen(
    diagonal: [Double], offDiagonal: [Double], selection: EigenvalueSelection, wantVectors: Bool = false
) throws -> SymmetricEigenDecomposition {
    try selection.validate()
    let n = diagonal.count
    let (top, bottom): (Int, Int)
    switch selection {
    case .all: top = n; bottom = 0
    case let .largest(k): top = k; bottom = 0
    case let .smallest(k): top = 0; bottom = k
    case let .bothEnds(largest, smallest): top = largest; bottom = smallest
    }
    if n == 0 || top + bottom >= n {
        return try symmetricTridiagonalEigen(diagonal: diagonal, offDiagonal: offDiagonal, wantVectors: wantVectors)
    }
    var parts = [SymmetricEigenDecomposition]()
    if top > 0 {
        parts.append(try symmetricTridiagonalEigen(
            diagonal: diagonal, offDiagonal: offDiagonal, ascendingIndices: (n - top)...(n - 1), wantVectors: wantVectors))
    }
    if bottom > 0 {
        parts.append(try symmetricTridiagonalEigen(
            diagonal: diagonal, offDiagonal: offDiagonal, ascendingIndices: 0...(bottom - 1), wantVectors: wantVectors))
    }
    // The two ranges are disjoint (top + bottom < n), so concatenating keeps the order descending.
    return SymmetricEigenDecomposition(
        dimension: n, values: parts.flatMap(\.values),
        vectors: wantVectors ? parts.flatMap { $0.vectors ?? [] } : nil)
}

// MARK: - Helpers shared by the LAPACKE wrappers

/// LAPACKE's integer type as Swift imports it (`lapack_int` is a macro, so it has no Swift name).
typealias LAPACKInt = Int32

@inline(__always)
func lapackInt(_ value: Int) -> LAPACKInt { LAPACKInt(value) }

/// A LAPACK character option such as `"V"` or `"N"`.
@inline(__always)
func lapackFlag(_ flag: Unicode.Scalar) -> CChar { CChar(truncatingIfNeeded: flag.value) }

private func checkTridiagonal(n: Int, offDiagonalCount: Int) throws {
    guard offDiagonalCount == max(n - 1, 0) else {
        throw SpectraError.invalidArgument(
            "a tridiagonal matrix with \(n) diagonal entries needs \(max(n - 1, 0)) off-diagonal entries, got \(offDiagonalCount)")
    }
    guard n <= Int(LAPACKInt.max) else {
        throw SpectraError.invalidArgument("order \(n) exceeds LAPACK's 32-bit index range")
    }
}
