import Spectra
import TestSupport
import XCTest

final class DenseEigensolverTests: XCTestCase {
    func testBatchOfKnownSpectraWithLapackQualityVectors() throws {
        let n = 25
        let spectra = [Fixtures.linspace(-5, 5, n), (0..<n).map { Double($0 * $0) / 10 }]
        let matrices = spectra.enumerated().map { Fixtures.matrix(spectrum: $1, seed: UInt64(50 + $0)) }
        let op = try DenseSymmetricOperator(matrices: matrices, dimension: n)
        let results = try denseEigen(op, wantVectors: true)
        for (b, result) in results.enumerated() {
            XCTAssertLessThan(result.asymmetry, 1e-15)
            let norm = spectra[b].map(abs).max()!
            assertMaxError(result.eigenvalues, spectra[b].sorted(by: >), within: 1e-13 * norm, "eigenvalues of matrix \(b)")
            let z = try XCTUnwrap(result.eigenvectors)
            let residuals = try XCTUnwrap(result.residuals)
            for i in 0..<n {
                XCTAssertLessThan(residuals[i], 1e-13 * norm)
                XCTAssertLessThan(
                    Fixtures.scaledResidual(matrices[b], n: n, value: result.eigenvalues[i], vector: z[(i * n)..<((i + 1) * n)]), 50)
            }
            XCTAssertLessThan(Fixtures.orthogonality(z, rows: n, n: n), 50)
        }
        XCTAssertNil(try denseEigen(op)[0].eigenvectors)
    }

    /// A = S + K with K skew: the solver decomposes S = (A + Aᵀ)/2 and reports ‖A − Aᵀ‖/‖A‖ = ‖2K‖/‖S + K‖.
    func testSymmetrisesAndReportsAsymmetry() throws {
        let s: [Double] = [2, 1, 0, 1, 2, 0, 0, 0, 5]
        let k: [Double] = [0, 0.1, 0, -0.1, 0, 0.2, 0, -0.2, 0]
        let a = zip(s, k).map(+)
        let op = GeneralDenseOperator(batchSize: 1, dimension: 3, matrices: [a])
        let result = try denseEigen(op)[0]
        assertMaxError(result.eigenvalues, [5.0, 3, 1], within: 1e-14)
        let expected = 2 * Fixtures.norm(k) / Fixtures.norm(a)
        XCTAssertEqual(result.asymmetry, expected, accuracy: 1e-15)
    }

    func testRefusesLargeDimensionAndPointsToLanczos() {
        let big = ScaledIdentityOperator(batchSize: 1, dimension: 5000, factor: 1)
        XCTAssertThrowsError(try denseEigen(big)) { error in
            XCTAssertEqual(error as? SpectraError, .denseDimensionAboveLimit(dimension: 5000, limit: 4096))
            XCTAssertTrue(String(describing: error).contains("lanczos"))
        }
        let small = ScaledIdentityOperator(batchSize: 2, dimension: 10, factor: 2)
        XCTAssertThrowsError(try denseEigen(small, maxDimension: 8)) { error in
            XCTAssertEqual(error as? SpectraError, .denseDimensionAboveLimit(dimension: 10, limit: 8))
        }
        XCTAssertEqual(try denseEigen(small, maxDimension: 10)[1].eigenvalues, [Double](repeating: 2, count: 10))
    }
}
