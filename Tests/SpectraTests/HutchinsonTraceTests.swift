import Spectra
import XCTest

final class HutchinsonTraceTests: XCTestCase {
    func testDenseTraceWithinStandardErrorsPerSample() throws {
        let n = 40
        let spectra = [Fixtures.linspace(-1, 5, n), Fixtures.linspace(2, 3, n)]
        let matrices = spectra.enumerated().map { Fixtures.matrix(spectrum: $1, seed: UInt64(90 + $0)) }
        let op = try DenseSymmetricOperator(matrices: matrices, dimension: n)
        let probes = 64
        let estimates = try hutchinsonTrace(op, probes: probes, seed: 4)
        for (b, estimate) in estimates.enumerated() {
            let trace = spectra[b].reduce(0, +)
            XCTAssertEqual(estimate.probes, probes)
            XCTAssertGreaterThan(estimate.standardError, 0)
            XCTAssertEqual(estimate.estimate, trace, accuracy: 4 * estimate.standardError)
            // The standard error agrees with the Rademacher theory √(2 Σ_{i≠j} A_ij² / probes).
            let offDiagonal = Fixtures.offDiagonalSumOfSquares(matrices[b], n: n)
            let theory = (2 * offDiagonal / Double(probes)).squareRoot()
            XCTAssertEqual(estimate.standardError / theory, 1, accuracy: 0.35)
        }
        // Different spectra, different traces: the samples are not mixed up.
        XCTAssertGreaterThan(estimates[1].estimate, estimates[0].estimate)
    }

    /// zᵀ D z = Σ d_i z_i² = tr D for every Rademacher z: exact, with zero standard error.
    func testDiagonalIsExactWithRademacherProbes() throws {
        let diagonals = [[3, -1, 4, 1, -5, 9, 2, 6], [0.5, 0.25, 0, 0, 1, 1, 2, -8]]
        let estimates = try hutchinsonTrace(try DenseSymmetricOperator(diagonals: diagonals), probes: 5)
        for (b, estimate) in estimates.enumerated() {
            XCTAssertEqual(estimate.estimate, diagonals[b].reduce(0, +), accuracy: 1e-13)
            XCTAssertEqual(estimate.standardError, 0, accuracy: 1e-13)
        }
    }

    func testNeedsTwoProbes() throws {
        assertInvalidArgument(try hutchinsonTrace(try DenseSymmetricOperator(diagonals: [[1]]), probes: 1), naming: "Hutchinson needs at least 2 probes for a standard error, got 1")
    }
}
