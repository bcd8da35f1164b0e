import Spectra
import TestSupport
import XCTest

final class LanczosTests: XCTestCase {
    /// Three samples with different spectra, all distinct so the Krylov space can fill the space.
    private let n = 40
    private lazy var spectra: [[Double]] = [
        Fixtures.linspace(-3, 10, n),
        (0..<n).map { 20 * pow(0.8, Double($0)) },
        Fixtures.linspace(-6, -1, n / 2) + Fixtures.linspace(0.5, 2, n / 2).map { $0 * $0 },
    ]
    private lazy var matrices = spectra.enumerated().map { Fixtures.matrix(spectrum: $1, seed: UInt64(100 + $0)) }

    func testFullLanczosReproducesDsyevdWithLapackQualityRitzVectors() throws {
        let op = try DenseSymmetricOperator(matrices: matrices, dimension: n)
        let results = try lanczos(op, options: LanczosOptions(steps: n, wantRitzVectors: true, seed: 3))
        XCTAssertEqual(results.count, 3)
        for (b, result) in results.enumerated() {
            let a = matrices[b]
            let reference = try Fixtures.referenceEigenvalues(a, n: n)
            let scale = reference.map(abs).max()!
            XCTAssertEqual(result.steps, n)
            XCTAssertEqual(result.ritzValues.count, n)
            assertMaxError(result.ritzValues, reference, within: 1e-11 * scale)
            XCTAssertTrue(result.residualBounds.allSatisfy { $0 < 1e-10 * scale })
            let y = try XCTUnwrap(result.ritzVectors)
            for i in 0..<n {
                let residual = Fixtures.scaledResidual(a, n: n, value: result.ritzValues[i], vector: y[(i * n)..<((i + 1) * n)])
                XCTAssertLessThan(residual, 50, "sample \(b) Ritz pair \(i)")
            }
            XCTAssertLessThan(Fixtures.orthogonality(y, rows: n, n: n), 50, "sample \(b)")
        }
    }

    /// With m < n the extreme Ritz values converge first, and each bound |β_m s_{m,i}| equals the
    /// true residual ‖A y − θ y‖ of its Ritz vector.
    func testExtremeValuesConvergeAndBoundsEqualTrueResiduals() throws {
        let size = 150
        let spectrum = [100, 90, 80] + Fixtures.linspace(0, 10, size - 4) + [-50]
        let a = Fixtures.matrix(spectrum: spectrum, seed: 5)
        let op = try DenseSymmetricOperator(matrices: [a], dimension: size)
        let result = try lanczos(op, options: LanczosOptions(steps: 30, wantRitzVectors: true, seed: 9))[0]
        XCTAssertEqual(result.steps, 30)
        XCTAssertFalse(result.brokeDown)
        assertMaxError(result.ritzValues.prefix(3), [100.0, 90, 80], within: 1e-9)
        XCTAssertEqual(result.ritzValues.last!, -50, accuracy: 1e-9)
        XCTAssertTrue(result.residualBounds.prefix(3).allSatisfy { $0 < 1e-6 })
        let y = try XCTUnwrap(result.ritzVectors)
        for i in 0..<30 {
            let vector = y[(i * size)..<((i + 1) * size)]
            let ay = Fixtures.matVec(a, vector, n: size)
            let trueResidual = Fixtures.norm(zip(ay, vector).map { $0 - result.ritzValues[i] * $1 })
            XCTAssertEqual(trueResidual, result.residualBounds[i], accuracy: 1e-9 * 100, "Ritz pair \(i)")
        }
        // Interior Ritz values have not converged; their bounds say so.
        XCTAssertGreaterThan(result.residualBounds[15], 1e-3)
    }

    func testSelectionsAgreeWithAllRitzValues() throws {
        let op = try DenseSymmetricOperator(matrices: matrices, dimension: n)
        let all = try lanczos(op, options: LanczosOptions(steps: 20, seed: 1))
        let top = try lanczos(op, options: LanczosOptions(steps: 20, selection: .largest(3), seed: 1))
        let bottom = try lanczos(op, options: LanczosOptions(steps: 20, selection: .smallest(2), seed: 1))
        let ends = try lanczos(op, options: LanczosOptions(steps: 20, selection: .bothEnds(largest: 2, smallest: 2), seed: 1))
        for b in 0..<3 {
            let values = all[b].ritzValues
            let bounds = all[b].residualBounds
            XCTAssertEqual(top[b].ritzValues.count, 3)
            for i in 0..<3 {
                XCTAssertEqual(top[b].ritzValues[i], values[i], accuracy: 1e-12)
                XCTAssertEqual(top[b].residualBounds[i], bounds[i], accuracy: 1e-9)
            }
            for i in 0..<2 { XCTAssertEqual(bottom[b].ritzValues[i], values[18 + i], accuracy: 1e-12) }
            let expectedEnds = [values[0], values[1], values[18], values[19]]
            assertMaxError(ends[b].ritzValues, expectedEnds, within: 1e-12)
        }
    }

    /// Sample 0 has only 4 distinct eigenvalues, so its Krylov space is invariant after 4 steps;
    /// it must stop there with exact eigenvalues while sample 1 runs all 12 steps.
    func testBreakdownStopsOneSampleWhileOthersContinue() throws {
        let size = 20
        let distinct: [Double] = [5, 2, -1, -3]
        let diagonal = (0..<size).map { distinct[$0 % 4] }
        var d0 = [Double](repeating: 0, count: size * size)
        for i in 0..<size { d0[i * size + i] = diagonal[i] }
        let full = Fixtures.matrix(spectrum: Fixtures.linspace(-2, 7, size), seed: 8)
        let op = RecordingOperator(try DenseSymmetricOperator(matrices: [d0, full], dimension: size))
        let results = try lanczos(op, options: LanczosOptions(steps: 12, wantRitzVectors: true))

        let broken = results[0]
        XCTAssertTrue(broken.brokeDown)
        XCTAssertEqual(broken.steps, 4)
        XCTAssertEqual(broken.ritzValues.count, 4)
        assertMaxError(broken.ritzValues, distinct, within: 1e-12)
        XCTAssertTrue(broken.residualBounds.allSatisfy { $0 < 1e-12 })
        XCTAssertTrue(broken.ritzVectors!.allSatisfy(\.isFinite))
        for i in 0..<4 {
            XCTAssertLessThan(
                Fixtures.scaledResidual(d0, n: size, value: broken.ritzValues[i], vector: broken.ritzVectors![(i * size)..<((i + 1) * size)]),
                50)
        }

        XCTAssertFalse(results[1].brokeDown)
        XCTAssertEqual(results[1].steps, 12)
        XCTAssertTrue(results[1].ritzValues.allSatisfy(\.isFinite))
        // One batched apply per step, and the finished sample is fed zero rows afterwards.
        XCTAssertEqual(op.inputs.count, 12)
        XCTAssertFalse(op.rowIsZero(apply: 3, sample: 0))
        XCTAssertTrue((4..<12).allSatisfy { op.rowIsZero(apply: $0, sample: 0) })
        XCTAssertFalse(op.rowIsZero(apply: 11, sample: 1))
    }

    /// A rank-3 operator: the Krylov space of a random vector is its range plus one null direction.
    func testRankDeficientOperatorGivesExactEigenvaluesIncludingZero() throws {
        let a = Fixtures.lowRankMatrix(values: [7, 3, -2], dimension: 30, seed: 21)
        let op = try DenseSymmetricOperator(matrices: [a], dimension: 30)
        let result = try lanczos(op, options: LanczosOptions(steps: 10))[0]
        XCTAssertTrue(result.brokeDown)
        XCTAssertEqual(result.steps, 4)
        assertMaxError(result.ritzValues, [7.0, 3, 0, -2], within: 1e-12)
        XCTAssertTrue((result.ritzValues + result.residualBounds + result.diagonal).allSatisfy(\.isFinite))
    }

    func testZeroOperatorAndEigenvectorStartBreakDownAtOnce() throws {
        let zero = ScaledIdentityOperator(batchSize: 2, dimension: 5, factor: 0)
        for result in try lanczos(zero, options: LanczosOptions(steps: 3)) {
            XCTAssertTrue(result.brokeDown)
            XCTAssertEqual(result.steps, 1)
            XCTAssertEqual(result.ritzValues, [0])
            XCTAssertEqual(result.residualBounds, [0])
        }
        let op = try DenseSymmetricOperator(diagonals: [[1, 4, 9]])
        let result = try lanczos(op, options: LanczosOptions(steps: 3), startVectors: [0, 2, 0])[0]
        XCTAssertEqual(result.steps, 1)
        XCTAssertEqual(result.ritzValues, [4])
    }

    /// Without re-orthogonalisation a converged extreme eigenvalue reappears as "ghost" copies;
    /// the default full re-orthogonalisation keeps exactly one.
    func testFullReorthogonalisationPreventsGhostEigenvalues() throws {
        let size = 100
        let spectrum = [100.0, 50] + Fixtures.linspace(0, 1, size - 2)
        let op = try DenseSymmetricOperator(matrices: [Fixtures.matrix(spectrum: spectrum, seed: 4)], dimension: size)
        func copies(of value: Double, _ mode: Reorthogonalization) throws -> Int {
            let values = try lanczos(op, options: LanczosOptions(steps: 80, reorthogonalization: mode))[0].ritzValues
            return values.filter { abs($0 - value) < 1e-6 }.count
        }
        XCTAssertEqual(try copies(of: 100, .full), 1)
        XCTAssertGreaterThan(try copies(of: 100, .none), 1)
        // The largest value itself is still right without re-orthogonalisation.
        let plain = try lanczos(op, options: LanczosOptions(steps: 80, selection: .largest(1), reorthogonalization: .none))
        XCTAssertEqual(plain[0].ritzValues[0], 100, accuracy: 1e-9)
    }

    func testSameSeedSameResult() throws {
        let op = try DenseSymmetricOperator(matrices: matrices, dimension: n)
        let options = LanczosOptions(steps: 10, seed: 77)
        XCTAssertEqual(try lanczos(op, options: options), try lanczos(op, options: options))
        XCTAssertNotEqual(
            try lanczos(op, options: options)[0].ritzValues, try lanczos(op, options: LanczosOptions(steps: 10, seed: 78))[0].ritzValues)
    }

    func testRejectsTooManyValuesOrSteps() throws {
        let op = try DenseSymmetricOperator(diagonals: [[1, 2, 3, 4, 5, 6]])
        XCTAssertThrowsError(try lanczos(op, options: LanczosOptions(steps: 4, selection: .largest(5)))) { error in
            XCTAssertEqual(error as? SpectraError, .tooManyEigenvalues(requested: 5, steps: 4))
            XCTAssertTrue(String(describing: error).contains("k must be ≤ m"))
        }
        XCTAssertThrowsError(
            try lanczos(op, options: LanczosOptions(steps: 4, selection: .bothEnds(largest: 3, smallest: 2)))
        ) { error in
            XCTAssertEqual(error as? SpectraError, .tooManyEigenvalues(requested: 5, steps: 4))
        }
        XCTAssertThrowsError(try lanczos(op, options: LanczosOptions(steps: 7))) { error in
            XCTAssertEqual(error as? SpectraError, .tooManySteps(steps: 7, dimension: 6))
            XCTAssertTrue(String(describing: error).contains("m must be ≤ dimension"))
        }
        assertInvalidArgument(try lanczos(op, options: LanczosOptions(steps: 0)), naming: "Lanczos steps 0 must be ≥ 1")
        assertInvalidArgument(try lanczos(op, options: LanczosOptions(steps: 3), startVectors: [0, 0, 0, 0, 0, 0]), naming: "start vector 0 is zero or not finite")
    }
}
