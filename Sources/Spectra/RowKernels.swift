import CBLAS
import Randomness

// Level-1/2 BLAS on raw rows of the flat batch arrays. The solvers' per-sample steps work row by
// row (one sample at a time) on pointers taken once per iteration, so these take pointers, not arrays.

@inline(__always)
func dot(_ n: Int, _ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>) -> Double {
    cblas_ddot(blasint(n), x, 1, y, 1)
}

/// Euclidean norm; `dnrm2` scales internally, so it neither overflows nor underflows.
@inline(__always)
func norm(_ n: Int, _ x: UnsafePointer<Double>) -> Double {
    cblas_dnrm2(blasint(n), x, 1)
}

/// `y += a · x`.
@inline(__always)
func axpy(_ n: Int, _ a: Double, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>) {
    cblas_daxpy(blasint(n), a, x, 1, y, 1)
}

/// `x *= a`.
@inline(__always)
func scale(_ n: Int, _ a: Double, _ x: UnsafeMutablePointer<Double>) {
    cblas_dscal(blasint(n), a, x, 1)
}

/// Removes from `x` its components along the first `rows` orthonormal rows of `basis`
/// (row-major, `rows × n`), as two matrix-vector products per pass.
///
/// Classical Gram–Schmidt is done twice: one pass leaves errors proportional to the condition of
/// `x` against the basis, and a second pass brings them down to working precision
/// ("twice is enough", Kahan and Parlett).
///
/// - Parameter scratch: At least `rows` doubles of workspace.
func orthogonalize(
    _ x: UnsafeMutablePointer<Double>, against basis: UnsafePointer<Double>, rows: Int, n: Int,
    scratch: UnsafeMutablePointer<Double>
) {
    guard rows > 0 else { return }
    for _ in 0..<2 {
        // scratch = Q x, then x -= Qᵀ scratch.
        cblas_dgemv(CblasRowMajor, CblasNoTrans, blasint(rows), blasint(n), 1, basis, blasint(n), x, 1, 0, scratch, 1)
        cblas_dgemv(CblasRowMajor, CblasTrans, blasint(rows), blasint(n), -1, basis, blasint(n), scratch, 1, 1, x, 1)
    }
}

/// ``orthogonalize(_:against:rows:n:scratch:)`` against every row of a flat `rows × n` array;
/// nothing when it is empty.
func orthogonalize(
    _ x: UnsafeMutablePointer<Double>, againstRows basis: [Double], n: Int, scratch: UnsafeMutablePointer<Double>
) {
    basis.withUnsafeBufferPointer { rows in
        if let base = rows.baseAddress { orthogonalize(x, against: base, rows: rows.count / n, n: n, scratch: scratch) }
    }
}

/// Copies the `n`-value rows of the samples still `active` from `rows` to `masked` and zeroes the
/// others: the operator input of a lock-step iteration, where a finished sample costs `H·0 = 0`.
func copyActiveRows(_ rows: [Double], active: [Bool], n: Int, into masked: inout [Double]) {
    for b in active.indices {
        for i in 0..<n { masked[b * n + i] = active[b] ? rows[b * n + i] : 0 }
    }
}

/// `count` zeroed doubles of workspace, allocated once per solver call so that the per-sample steps
/// take plain pointers. The caller deallocates it.
func zeroedRows(_ count: Int) -> UnsafeMutablePointer<Double> {
    let rows = UnsafeMutablePointer<Double>.allocate(capacity: count)
    rows.initialize(repeating: 0, count: count)
    return rows
}

/// Fills `x` (length `n`) with a random unit vector orthogonal to the first `rows` rows of
/// `basis`, retrying in the (measure-zero) case that the draw lies in their span.
func randomUnitVector(
    _ x: UnsafeMutablePointer<Double>, n: Int, orthogonalTo basis: UnsafePointer<Double>?, rows: Int,
    scratch: UnsafeMutablePointer<Double>, generator: inout Xoshiro256StarStar
) {
    precondition(rows < n, "cannot draw a vector orthogonal to a basis of the whole space")
    while true {
        for i in 0..<n { x[i] = generator.normal() }
        if let basis { orthogonalize(x, against: basis, rows: rows, n: n, scratch: scratch) }
        let length = norm(n, x)
        if length > 1e-8 * Double(n).squareRoot() {
            scale(n, 1 / length, x)
            return
        }
    }
}
