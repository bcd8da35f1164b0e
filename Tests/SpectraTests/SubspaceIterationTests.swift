import Foundation
import Spectra
import XCTest

/// Subspace iteration against LAPACK on spectra that defeat single-vector power iteration:
/// repeated and clustered eigenvalues, at either end and by magnitude.
final class SubspaceIterationTests: XCTestCase {
    private let n = 120

    // MARK: - Ranks against LAPACK

    func testRepeatedTopEigenvaluesAreAllFound() throws {
        let triple = [10.0, 10, 10, 7] + Fixtures.linspace(-3, 5, n - 4)
        let double = [10.0, 10, 6] + Fixtures.linspace(-2, 4, n - 3)
        try checkRanks(spectrum: triple, target: .largestAlgebraic, count: 4, label: "multiplicity 3, k = 4")
        try checkRanks(spectrum: double, target: .largestAlgebraic, count: 3, label: "multiplicity 2, k = 3")
        // The repeated eigenvalue straddles rank k: the guards hold the third copy.
        try checkRanks(spectrum: triple, target: .largestAlgebraic, count: 2, label: "multiplicity 3, k = 2")
    }

    func testClustersAreResolvedInRank() throws {
        for gap in [1e-3, 1e-6] {
            // Four values gap·10 apart, rank k = 3 inside the cluster.
            let spectrum = (0..<4).map { 10 * (1 - gap * Double($0)) } + Fixtures.linspace(-4, 6, n - 4)
            try checkRanks(spectrum: spectrum, target: .largestAlgebraic, count: 3, label: "cluster \(gap), k = 3")
        }
    }

    func testGapRightAfterRankK() throws {
        let spectrum = [10.0, 9, 8] + Fixtures.linspace(0, 1, n - 3)
        let result = try checkRanks(spectrum: spectrum, target: .largestAlgebraic, count: 3, label: "gap after k = 3")
        XCTAssertLessThan(result.iterations, 30, "a wide gap converges in a few iterations")
    }

    func testNegativeClusterForSmallest() throws {
        for gap in [1e-3, 1e-6] {
            let spectrum = (0..<4).map { -10 * (1 - gap * Double($0)) } + Fixtures.linspace(-2, 8, n - 4)
            let result = try checkRanks(
                spectrum: spectrum, target: .smallestAlgebraic, count: 3, label: "negative cluster \(gap), smallest")
            XCTAssertEqual(result.eigenvalues, result.eigenvalues.sorted(), "smallest first")
        }
    }

    func testMixedSignsByMagnitude() throws {
        let spectrum = [10, -10 * (1 - 1e-6), 9.99, -9.98] + Fixtures.linspace(-3, 3, n - 4)
        let result = try checkRanks(spectrum: spectrum, target: .largestMagnitude, count: 4, label: "mixed signs, magnitude")
        XCTAssertEqual(result.eigenvalues.map(abs), result.eigenvalues.map(abs).sorted(by: >), "largest |λ| first")
        XCTAssertEqual(result.eigenvalues.filter { $0 < 0 }.count, 2)
        // The largest algebraic end of the same matrix, where the dominant −10 must not intrude.
        try checkRanks(spectrum: spectrum, target: .largestAlgebraic, count: 2, label: "mixed signs, largest")
        try checkRanks(spectrum: spectrum, target: .smallestAlgebraic, count: 2, label: "mixed signs, smallest")
    }

    /// A dominant negative eigenvalue beyond what random starts reveal of ‖H‖ (‖H x‖ ≈ 0.4 here):
    /// its eigenvector enters the block, raises the estimate, and never takes a rank. At −100 the
    /// same spectrum is beyond a single shift's reach (rate ≈ 1 − 0.3/100) and is flagged.
    func testHiddenDominantFarEndDoesNotTakeARank() throws {
        let wanted = [1.0, 0.9, 0.8] + Fixtures.linspace(-0.5, 0.5, n - 4)
        let result = try checkRanks(spectrum: wanted + [-3], target: .largestAlgebraic, count: 3, label: "hidden −3")
        XCTAssertLessThanOrEqual(result.spectralNormEstimate, 3)

        let a = Fixtures.matrix(spectrum: wanted + [-100], seed: 42)
        let op = try DenseSymmetricOperator(matrices: [a], dimension: n)
        let far = try subspaceIteration(op, count: 3, options: .init(maxIterations: 200))[0]
        XCTAssertFalse(far.allConverged)
        XCTAssertLessThanOrEqual(far.spectralNormEstimate, 100)
        let worst = assertRanks(far, reference: try Fixtures.referenceEigenvalues(a, n: n), label: "hidden −100")
        print("hidden −100: converged \(far.converged), θ \(far.eigenvalues), residuals \(far.residuals), worst \(worst)")
    }

    // MARK: - Honest reporting

    /// Residuals are the true ‖A y − θ y‖ of the returned vectors (or the floor), and the vectors
    /// are orthonormal to working precision.
    func testReportedResidualsAreTrueResidualsOfTheVectors() throws {
        let spectrum = [10.0, 10, 9.99] + Fixtures.linspace(-4, 6, n - 3)
        let a = Fixtures.matrix(spectrum: spectrum, seed: 41)
        let op = try DenseSymmetricOperator(matrices: [a], dimension: n)
        let result = try subspaceIteration(op, count: 3, options: .init(wantVectors: true))[0]
        let y = try XCTUnwrap(result.vectors)
        let floor = Double.ulpOfOne * result.spectralNormEstimate
        for i in 0..<3 {
            let vector = y[(i * n)..<((i + 1) * n)]
            let ay = Fixtures.matVec(a, vector, n: n)
            let trueResidual = Fixtures.norm(zip(ay, vector).map { $0 - result.eigenvalues[i] * $1 })
            XCTAssertEqual(result.residuals[i], max(trueResidual, floor), accuracy: 1e-13 * 10, "pair \(i)")
            XCTAssertGreaterThanOrEqual(result.residuals[i], floor)
        }
        XCTAssertLessThan(Fixtures.orthogonality(y, rows: 3, n: n), 50)
    }

    func testIterationLimitIsFlaggedAndRanksStillHonest() throws {
        let spectrum = (0..<4).map { 10 * (1 - 1e-3 * Double($0)) } + Fixtures.linspace(-4, 9, n - 4)
        let a = Fixtures.matrix(spectrum: spectrum, seed: 43)
        let op = try DenseSymmetricOperator(matrices: [a], dimension: n)
        let result = try subspaceIteration(op, count: 3, options: .init(maxIterations: 3))[0]
        XCTAssertEqual(result.iterations, 3)
        XCTAssertEqual(result.applies, 3 * result.blockSize)
        XCTAssertFalse(result.allConverged)
        for i in 0..<3 where !result.converged[i] {
            XCTAssertGreaterThan(result.residuals[i], 1e-8 * result.spectralNormEstimate, "pair \(i)")
        }
        assertRanks(result, reference: try Fixtures.referenceEigenvalues(a, n: n), label: "capped")
    }

    /// An operator good to ~1e-7 ‖H‖ per apply, as a Float32 Hessian-vector product is: with
    /// `operatorPrecision = 1e-6` it converges and reports residuals no smaller than 1e-6 ‖H‖; with
    /// the Float64 default and a Float64 tolerance it runs out of iterations and says so.
    func testFloat32AccuracyOperatorConvergesToItsFloor() throws {
        let spectrum = [10.0, 10 * (1 - 1e-3), 10 * (1 - 2e-3)] + Fixtures.linspace(-4, 6, n - 3)
        let a = Fixtures.matrix(spectrum: spectrum, seed: 44)
        let noisy = NoisyOperator(base: try DenseSymmetricOperator(matrices: [a], dimension: n), relativeNoise: 1e-7, norm: 10)
        let reference = try Fixtures.referenceEigenvalues(a, n: n)

        let result = try subspaceIteration(noisy, count: 3, options: .init(tolerance: 1e-10, operatorPrecision: 1e-6))[0]
        XCTAssertTrue(result.allConverged)
        let floor = 1e-6 * result.spectralNormEstimate
        XCTAssertTrue(result.residuals.allSatisfy { $0 >= floor })
        let worst = assertRanks(result, reference: reference, label: "float32-like, precision 1e-6")
        print("float32-like operator: \(result.applies) applies, worst |θ − λ| = \(worst), floor \(floor)")

        let strict = try subspaceIteration(noisy, count: 3, options: .init(maxIterations: 150, tolerance: 1e-10))[0]
        XCTAssertFalse(strict.allConverged, "1e-10 · ‖H‖ is below what this operator resolves")
        XCTAssertEqual(strict.iterations, 150)
        assertRanks(strict, reference: reference, label: "float32-like, precision ε")
    }

    // MARK: - Batches

    /// A sample's result, vectors included, is the same bit for bit alone or in any position of a batch.
    func testResultsDoNotDependOnTheBatch() throws {
        let spectra = [
            [10.0, 10, 9.99] + Fixtures.linspace(-4, 6, n - 3),
            (0..<4).map { -10 * (1 - 1e-6 * Double($0)) } + Fixtures.linspace(-2, 8, n - 4),
            [5.0, 4, 3] + Fixtures.linspace(0, 1, n - 3),
        ]
        let matrices = spectra.enumerated().map { Fixtures.matrix(spectrum: $1, seed: UInt64(50 + $0)) }
        let options = SubspaceIterationOptions(wantVectors: true, seed: 7)
        func run(_ order: [Int]) throws -> [SubspaceIterationResult] {
            let op = StreamedOperator(
                base: try DenseSymmetricOperator(matrices: order.map { matrices[$0] }, dimension: n),
                streams: order.map { UInt64(100 + $0) })
            return try subspaceIteration(op, target: .largestMagnitude, count: 3, options: options)
        }
        let alone = try run([1])[0]
        XCTAssertEqual(try run([1, 0, 2])[0], alone)
        XCTAssertEqual(try run([0, 2, 1])[2], alone)
        XCTAssertEqual(try run([2, 1, 0])[1], alone)
        XCTAssertEqual(try run([0, 1, 2])[0], try run([0])[0])
    }

    /// A sample that has converged is fed zero rows while another goes on.
    func testConvergedSampleStopsWhileAnotherContinues() throws {
        let easy = [10.0, 1] + Fixtures.linspace(0, 0.5, n - 2)
        let hard = (0..<3).map { 10 * (1 - 1e-3 * Double($0)) } + Fixtures.linspace(0, 9.5, n - 3)
        let op = RecordingOperator(
            try DenseSymmetricOperator(
                matrices: [Fixtures.matrix(spectrum: easy, seed: 60), Fixtures.matrix(spectrum: hard, seed: 61)], dimension: n))
        let results = try subspaceIteration(op, count: 1)
        XCTAssertTrue(results.allSatisfy(\.allConverged))
        XCTAssertLessThan(results[0].applies, results[1].applies)
        XCTAssertEqual(op.inputs.count, results[1].applies)
        for index in op.inputs.indices {
            XCTAssertEqual(op.rowIsZero(apply: index, sample: 0), index >= results[0].applies, "apply \(index)")
            XCTAssertFalse(op.rowIsZero(apply: index, sample: 1))
        }
        print("early stop: easy sample \(results[0].applies) applies, hard sample \(results[1].applies)")
    }

    // MARK: - Edges and arguments

    func testSmallDimensionsZeroAndRankDeficientOperators() throws {
        // The block fills the whole space: one iteration is exact.
        let small = try DenseSymmetricOperator(matrices: [Fixtures.matrix(spectrum: [3, -1, 2], seed: 70)], dimension: 3)
        let whole = try subspaceIteration(small, count: 2)[0]
        XCTAssertEqual(whole.blockSize, 3)
        XCTAssertEqual(whole.iterations, 1)
        XCTAssertEqual(whole.eigenvalues[0], 3, accuracy: 1e-14)
        XCTAssertEqual(whole.eigenvalues[1], 2, accuracy: 1e-14)
        let all = try subspaceIteration(small, target: .smallestAlgebraic, count: 3)[0]
        XCTAssertEqual(all.eigenvalues.map { ($0 * 1e12).rounded() / 1e12 }, [-1, 2, 3])
        XCTAssertTrue(all.allConverged)
        let one = try subspaceIteration(try DenseSymmetricOperator(diagonals: [[-4]]), target: .smallestAlgebraic)[0]
        XCTAssertEqual(one.eigenvalues, [-4])
        XCTAssertTrue(one.allConverged)

        let zero = try subspaceIteration(ScaledIdentityOperator(batchSize: 2, dimension: 20, factor: 0), count: 3)
        for result in zero {
            XCTAssertEqual(result.eigenvalues, [0, 0, 0])
            XCTAssertEqual(result.residuals, [0, 0, 0])
            XCTAssertTrue(result.allConverged)
            XCTAssertEqual(result.iterations, 1)
        }

        // Rank 2 asked for 3 by magnitude: the null space's columns break down and are redrawn.
        let lowRank = Fixtures.lowRankMatrix(values: [3, -2], dimension: 10, seed: 12)
        let deficient = try subspaceIteration(
            try DenseSymmetricOperator(matrices: [lowRank], dimension: 10), target: .largestMagnitude, count: 3,
            options: .init(wantVectors: true))[0]
        XCTAssertEqual(deficient.eigenvalues[0], 3, accuracy: 1e-12)
        XCTAssertEqual(deficient.eigenvalues[1], -2, accuracy: 1e-12)
        XCTAssertEqual(deficient.eigenvalues[2], 0, accuracy: 1e-12)
        XCTAssertTrue(deficient.allConverged)
        XCTAssertTrue(try XCTUnwrap(deficient.vectors).allSatisfy(\.isFinite))
    }

    func testArgumentsAreValidatedByName() throws {
        let op = try DenseSymmetricOperator(diagonals: [[1, 2, 3]])
        func message(_ count: Int = 1, _ options: SubspaceIterationOptions = .init()) -> String {
            do {
                _ = try subspaceIteration(op, count: count, options: options)
                return "no error"
            } catch { return "\(error)" }
        }
        XCTAssertTrue(message(0).contains("count 0 must lie in 1...3"))
        XCTAssertTrue(message(4).contains("count 4"))
        XCTAssertTrue(message(1, .init(maxIterations: 0)).contains("maxIterations 0"))
        XCTAssertTrue(message(1, .init(tolerance: -1)).contains("tolerance -1.0"))
        XCTAssertTrue(message(1, .init(tolerance: .nan)).contains("tolerance nan"))
        XCTAssertTrue(message(1, .init(operatorPrecision: 0)).contains("operatorPrecision 0.0"))
        XCTAssertTrue(message(1, .init(operatorPrecision: 1)).contains("operatorPrecision 1.0"))
        XCTAssertTrue(message(1, .init(guardVectors: -1)).contains("guardVectors -1"))
        XCTAssertEqual(SubspaceIterationOptions().blockSize(count: 1, dimension: 100), 3)
        XCTAssertEqual(SubspaceIterationOptions().blockSize(count: 10, dimension: 100), 15)
        XCTAssertEqual(SubspaceIterationOptions().blockSize(count: 10, dimension: 11), 11)
        XCTAssertThrowsError(try subspaceIteration(FaultyOperator(batchSize: 1, dimension: 4, fault: .nan)))
    }

    // MARK: - Helpers

    /// Runs one sample with a random orthogonal conjugate of `spectrum` and checks every rank
    /// against LAPACK; prints the applies and the worst error for the record.
    @discardableResult
    private func checkRanks(
        spectrum: [Double], target: PowerIterationTarget, count: Int, label: String,
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> SubspaceIterationResult {
        let a = Fixtures.matrix(spectrum: spectrum, seed: UInt64(spectrum.count + count))
        let op = try DenseSymmetricOperator(matrices: [a], dimension: spectrum.count)
        let result = try subspaceIteration(op, target: target, count: count)[0]
        let descending = try Fixtures.referenceEigenvalues(a, n: spectrum.count)
        let reference: [Double]
        switch target {
        case .largestAlgebraic: reference = descending
        case .smallestAlgebraic: reference = descending.reversed()
        case .largestMagnitude: reference = descending.sorted { abs($0) > abs($1) }
        }
        XCTAssertTrue(result.allConverged, "\(label): \(result.converged)", file: file, line: line)
        let worst = assertRanks(result, reference: reference, label: label, file: file, line: line)
        let norm = spectrum.map(abs).max()!
        print(
            "\(label): \(result.iterations) iterations × block \(result.blockSize) = \(result.applies) applies, "
                + "worst |θ − λ|/‖H‖ = \(worst / norm), largest residual/‖H‖ = \(result.residuals.max()! / norm)")
        return result
    }

    /// Every converged rank lies within its reported residual of LAPACK's eigenvalue of that rank,
    /// give or take LAPACK's own error: `dsyevd` is backward stable, so its `λ_i` is only good to
    /// about `n ε ‖H‖` (a few ε‖H‖ in practice, which a residual of 2ε‖H‖ on a repeated eigenvalue
    /// does not cover). A misranked value in the tests' clusters would be off by ≥ 1e-5.
    ///
    /// - Returns: The worst `|θ_i − λ_i|` over converged ranks.
    @discardableResult
    private func assertRanks(
        _ result: SubspaceIterationResult, reference: [Double], label: String,
        file: StaticString = #filePath, line: UInt = #line
    ) -> Double {
        let lapackError = Double(reference.count) * .ulpOfOne * reference.map(abs).max()!
        var worst = 0.0
        for i in result.eigenvalues.indices where result.converged[i] {
            let error = abs(result.eigenvalues[i] - reference[i])
            worst = max(worst, error)
            XCTAssertLessThanOrEqual(
                error, result.residuals[i] + lapackError,
                "\(label): rank \(i + 1) is \(result.eigenvalues[i]), LAPACK \(reference[i])", file: file, line: line)
        }
        return worst
    }
}

/// An operator whose random streams are given, so a sample keeps its stream in any batch position.
private struct StreamedOperator<Base: BatchedLinearOperator>: BatchedLinearOperator {
    let base: Base
    let streams: [UInt64]
    var batchSize: Int { base.batchSize }
    var dimension: Int { base.dimension }
    func apply(_ vectors: [Double], into result: inout [Double]) throws { try base.apply(vectors, into: &result) }
    func randomStream(forSample b: Int) -> UInt64 { streams[b] }
}

/// Adds to each `H x` an error of norm `relativeNoise · norm · ‖x‖` in a direction that is a fixed
/// function of `x`, as rounding in a lower precision would: deterministic, and zero for `x = 0`.
private struct NoisyOperator<Base: BatchedLinearOperator>: BatchedLinearOperator {
    let base: Base
    let relativeNoise: Double
    /// `‖H‖`.
    let norm: Double
    var batchSize: Int { base.batchSize }
    var dimension: Int { base.dimension }

    func apply(_ vectors: [Double], into result: inout [Double]) throws {
        try base.apply(vectors, into: &result)
        let n = dimension
        for b in 0..<batchSize {
            let x = vectors[(b * n)..<((b + 1) * n)]
            let length = Fixtures.norm(Array(x))
            guard length > 0 else { continue }
            let direction = x.enumerated().map { sin(1e4 * $1 + Double($0)) }
            let size = relativeNoise * norm * length / Fixtures.norm(direction)
            for i in 0..<n { result[b * n + i] += size * direction[i] }
        }
    }
}
