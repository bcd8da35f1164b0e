import CBLAS
import CLAPACKE
import Randomness
import Spectra
import XCTest

/// Test matrices with known spectra, and the LAPACK test suite's measures of eigenpair quality.
enum Fixtures {
    /// A random `n × n` orthogonal matrix: the Q factor of a Gaussian matrix (dgeqrf + dorgqr).
    static func randomOrthogonal(_ n: Int, seed: UInt64) -> [Double] {
        var generator = Xoshiro256StarStar(seed: seed)
        var a = (0..<(n * n)).map { _ in generator.normal() }
        var tau = [Double](repeating: 0, count: n)
        precondition(LAPACKE_dgeqrf(LAPACK_COL_MAJOR, Int32(n), Int32(n), &a, Int32(n), &tau) == 0)
        precondition(LAPACKE_dorgqr(LAPACK_COL_MAJOR, Int32(n), Int32(n), Int32(n), &a, Int32(n), &tau) == 0)
        return a  // column-major Q, i.e. row-major Qᵀ: orthogonal either way
    }

    /// `Q · diag(spectrum) · Qᵀ` (row-major), made exactly symmetric.
    static func matrix(spectrum: [Double], seed: UInt64) -> [Double] {
        let n = spectrum.count
        let q = randomOrthogonal(n, seed: seed)
        var scaled = q
        for r in 0..<n { for c in 0..<n { scaled[r * n + c] *= spectrum[c] } }
        var a = [Double](repeating: 0, count: n * n)
        cblas_dgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(n), 1, scaled, Int32(n), q, Int32(n),
            0, &a, Int32(n))
        return symmetrised(a, n: n)
    }

    /// `U · diag(values) · Uᵀ` with `U` the first `values.count` columns of a random orthogonal
    /// matrix: rank `values.count` in dimension `n`.
    static func lowRankMatrix(values: [Double], dimension n: Int, seed: UInt64) -> [Double] {
        matrix(spectrum: values + [Double](repeating: 0, count: n - values.count), seed: seed)
    }

    static func symmetrised(_ a: [Double], n: Int) -> [Double] {
        var s = a
        for r in 0..<n { for c in 0..<n { s[r * n + c] = 0.5 * (a[r * n + c] + a[c * n + r]) } }
        return s
    }

    /// `count` points spread evenly over `[lower, upper]`.
    static func linspace(_ lower: Double, _ upper: Double, _ count: Int) -> [Double] {
        (0..<count).map { lower + (upper - lower) * Double($0) / Double(count - 1) }
    }

    static func matVec(_ a: [Double], _ x: ArraySlice<Double>, n: Int) -> [Double] {
        let x = Array(x)
        return (0..<n).map { r in (0..<n).reduce(0.0) { $0 + a[r * n + $1] * x[$1] } }
    }

    static func norm(_ x: [Double]) -> Double { x.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    /// The matrix 1-norm (largest column sum), LAPACK's choice for scaling residuals.
    static func oneNorm(_ a: [Double], n: Int) -> Double {
        (0..<n).map { c in (0..<n).reduce(0.0) { $0 + abs(a[$1 * n + c]) } }.max() ?? 0
    }

    /// LAPACK's scaled residual `‖A z − λ z‖₁ / (n ‖A‖₁ ε)` of one eigenpair (unit `z`).
    static func scaledResidual(_ a: [Double], n: Int, value: Double, vector: ArraySlice<Double>) -> Double {
        let az = matVec(a, vector, n: n)
        let residual = zip(az, vector).reduce(0.0) { $0 + abs($1.0 - value * $1.1) }
        return residual / (Double(n) * max(oneNorm(a, n: n), Double.leastNormalMagnitude) * Double.ulpOfOne)
    }

    /// LAPACK's orthogonality measure `‖Z Zᵀ − I‖₁ / (n ε)` for `k` unit rows of length `n`.
    static func orthogonality(_ z: [Double], rows k: Int, n: Int) -> Double {
        var worst = 0.0
        for j in 0..<k {
            var columnSum = 0.0
            for i in 0..<k {
                var d = 0.0
                for t in 0..<n { d += z[i * n + t] * z[j * n + t] }
                columnSum += abs(d - (i == j ? 1 : 0))
            }
            worst = max(worst, columnSum)
        }
        return worst / (Double(n) * Double.ulpOfOne)
    }

    /// `Σ_{i≠j} A_ij²`: half the variance of `zᵀ A z` for a Rademacher `z`.
    static func offDiagonalSumOfSquares(_ a: [Double], n: Int) -> Double {
        var sum = 0.0
        for i in 0..<n { for j in 0..<n where i != j { sum += a[i * n + j] * a[i * n + j] } }
        return sum
    }

    /// The eigenvalues of a dense symmetric matrix by dsyevd, descending: the reference answer.
    static func referenceEigenvalues(_ a: [Double], n: Int) throws -> [Double] {
        try symmetricEigen(matrix: a, dimension: n).values
    }
}

/// Wraps an operator, counts its applies and keeps every input batch, so tests can see what the
/// solvers fed it.
final class RecordingOperator<Base: BatchedLinearOperator>: BatchedLinearOperator {
    let base: Base
    private(set) var inputs: [[Double]] = []
    var batchSize: Int { base.batchSize }
    var dimension: Int { base.dimension }

    init(_ base: Base) { self.base = base }

    func apply(_ vectors: [Double], into result: inout [Double]) throws {
        inputs.append(vectors)
        try base.apply(vectors, into: &result)
    }

    /// Whether sample `b`'s row was all zeros in apply number `index`.
    func rowIsZero(apply index: Int, sample b: Int) -> Bool {
        inputs[index][(b * dimension)..<((b + 1) * dimension)].allSatisfy { $0 == 0 }
    }
}

/// A general (possibly non-symmetric) batch of dense matrices, for the dense solver's asymmetry report.
struct GeneralDenseOperator: BatchedLinearOperator {
    let batchSize: Int
    let dimension: Int
    let matrices: [[Double]]

    func apply(_ vectors: [Double], into result: inout [Double]) throws {
        let n = dimension
        for b in 0..<batchSize {
            let y = Fixtures.matVec(matrices[b], vectors[(b * n)..<((b + 1) * n)], n: n)
            result.replaceSubrange((b * n)..<((b + 1) * n), with: y)
        }
    }
}

/// `c · I` in any dimension without storing a matrix, e.g. to exceed the dense solver's limit cheaply.
struct ScaledIdentityOperator: BatchedLinearOperator {
    let batchSize: Int
    let dimension: Int
    let factor: Double

    func apply(_ vectors: [Double], into result: inout [Double]) throws {
        for i in vectors.indices { result[i] = factor * vectors[i] }
    }
}

/// Returns NaN at one coordinate, or a result of the wrong length, to check the solvers' guards.
struct FaultyOperator: BatchedLinearOperator {
    enum Fault { case nan, wrongLength }
    let batchSize: Int
    let dimension: Int
    let fault: Fault

    func apply(_ vectors: [Double], into result: inout [Double]) throws {
        for i in vectors.indices { result[i] = vectors[i] }
        switch fault {
        case .nan: result[batchSize * dimension - 1] = .nan
        case .wrongLength: result.removeLast()
        }
    }
}
