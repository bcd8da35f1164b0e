import Spectra
import XCTest

final class PowerIterationTests: XCTestCase {
    private let n = 30

    func testTopThreeByDeflationMatchDsyevdPerSample() throws {
        let spectra: [[Double]] = [
            [10, 7, 4] + Fixtures.linspace(-3, 2, n - 3),
            [6, 5, 3.5] + Fixtures.linspace(0, 1.5, n - 3),
        ]
        let matrices = spectra.enumerated().map { Fixtures.matrix(spectrum: $1, seed: UInt64(30 + $0)) }
        let op = try DenseSymmetricOperator(matrices: matrices, dimension: n)
        let results = try powerIteration(op, target: .largestAlgebraic, count: 3)
        for (b, result) in results.enumerated() {
            let reference = try Fixtures.referenceEigenvalues(matrices[b], n: n)
            let norm = reference.map(abs).max()!
            XCTAssertEqual(result.estimates.count, 3)
            XCTAssertEqual(result.spectralNormEstimate, norm, accuracy: 1e-6 * norm)
            for (estimate, exact) in zip(result.estimates, reference) {
                XCTAssertTrue(estimate.converged, "sample \(b)")
                XCTAssertEqual(estimate.eigenvalue, exact, accuracy: 1e-8 * norm, "sample \(b)")
                XCTAssertLessThan(estimate.residual, 1e-5 * norm)
                XCTAssertGreaterThan(estimate.iterations, 1)
                // The reported residual is the true ‖Av − λv‖.
                let av = Fixtures.matVec(matrices[b], estimate.vector[...], n: n)
                XCTAssertEqual(
                    Fixtures.norm(zip(av, estimate.vector).map { $0 - estimate.eigenvalue * $1 }), estimate.residual,
                    accuracy: 1e-12 * norm)
            }
            let vectors = result.estimates.flatMap(\.vector)
            XCTAssertLessThan(Fixtures.orthogonality(vectors, rows: 3, n: n) * Double(n) * .ulpOfOne, 1e-5)
        }
    }

    /// When the dominant eigenvalue is negative, the largest algebraic one needs the shift; the
    /// smallest is then the dominant one itself, and vice versa.
    func testTargetsAndShifts() throws {
        let negativeDominant = [4.0, 1] + Fixtures.linspace(-0.5, 0.5, n - 4) + [-2, -6]
        let positiveDominant = [6.0] + Fixtures.linspace(-0.5, 2, n - 3) + [-2, -4]
        let op = try DenseSymmetricOperator(
            matrices: [Fixtures.matrix(spectrum: negativeDominant, seed: 1), Fixtures.matrix(spectrum: positiveDominant, seed: 2)],
            dimension: n)
        let magnitude = try powerIteration(op, target: .largestMagnitude)
        XCTAssertEqual(magnitude[0].estimates[0].eigenvalue, -6, accuracy: 1e-8)
        XCTAssertEqual(magnitude[1].estimates[0].eigenvalue, 6, accuracy: 1e-8)

        let largest = try powerIteration(op, target: .largestAlgebraic)
        XCTAssertEqual(largest[0].estimates[0].eigenvalue, 4, accuracy: 1e-8)
        XCTAssertEqual(largest[1].estimates[0].eigenvalue, 6, accuracy: 1e-8)
        XCTAssertTrue(largest.allSatisfy { $0.estimates[0].converged })

        let smallest = try powerIteration(op, target: .smallestAlgebraic, count: 2)
        XCTAssertEqual(smallest[0].estimates.map(\.eigenvalue)[0], -6, accuracy: 1e-8)
        XCTAssertEqual(smallest[0].estimates.map(\.eigenvalue)[1], -2, accuracy: 1e-8)
        XCTAssertEqual(smallest[1].estimates.map(\.eigenvalue)[0], -4, accuracy: 1e-8)
        XCTAssertEqual(smallest[1].estimates.map(\.eigenvalue)[1], -2, accuracy: 1e-8)
        XCTAssertTrue(smallest.allSatisfy { $0.estimates.allSatisfy(\.converged) })
    }

    /// With ±5 both eigenvalues plain power iteration cannot settle on either, but ‖Hv‖ still
    /// estimates ‖H‖ = 5, and the shifted search finds +5.
    func testEqualAndOppositeDominantEigenvalues() throws {
        let spectrum = [5.0, -5, 2] + Fixtures.linspace(-1, 1, n - 3)
        let op = try DenseSymmetricOperator(matrices: [Fixtures.matrix(spectrum: spectrum, seed: 3)], dimension: n)
        let result = try powerIteration(op, target: .largestAlgebraic)[0]
        XCTAssertEqual(result.spectralNormEstimate, 5, accuracy: 1e-6)
        XCTAssertTrue(result.estimates[0].converged)
        XCTAssertEqual(result.estimates[0].eigenvalue, 5, accuracy: 1e-8)
        XCTAssertFalse(try powerIteration(op, target: .largestMagnitude, options: .init(maxIterations: 200))[0].estimates[0].converged)
    }

    func testRankDeficientDeflationReachesTheNullSpaceWithoutNaN() throws {
        let a = Fixtures.lowRankMatrix(values: [3, 2], dimension: 10, seed: 12)
        let op = try DenseSymmetricOperator(matrices: [a], dimension: 10)
        let estimates = try powerIteration(op, target: .largestMagnitude, count: 3)[0].estimates
        XCTAssertEqual(estimates.map(\.eigenvalue)[0], 3, accuracy: 1e-8)
        XCTAssertEqual(estimates.map(\.eigenvalue)[1], 2, accuracy: 1e-8)
        XCTAssertEqual(estimates[2].eigenvalue, 0, accuracy: 1e-8)
        XCTAssertTrue(estimates.allSatisfy { $0.converged && $0.vector.allSatisfy(\.isFinite) })
    }

    func testIterationLimitReportsNotConvergedAndSeedIsDeterministic() throws {
        let op = try DenseSymmetricOperator(matrices: [Fixtures.matrix(spectrum: Fixtures.linspace(1, 2, n), seed: 6)], dimension: n)
        let capped = try powerIteration(op, target: .largestMagnitude, options: .init(maxIterations: 3))[0].estimates[0]
        XCTAssertFalse(capped.converged)
        XCTAssertEqual(capped.iterations, 3)
        XCTAssertGreaterThan(capped.residual, 1e-3)
        let options = PowerIterationOptions(seed: 5)
        XCTAssertEqual(try powerIteration(op, count: 2, options: options), try powerIteration(op, count: 2, options: options))
        assertInvalidArgument(try powerIteration(op, count: n + 1), naming: "eigenpair count 31 must lie in 1...30")
        assertInvalidArgument(try powerIteration(op, count: 0), naming: "eigenpair count 0 must lie in 1...30")
    }
}
