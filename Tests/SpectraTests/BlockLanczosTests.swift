import CBLAS
import Randomness
import Spectra
import TestSupport
import XCTest

/// Block Lanczos against LAPACK on spectra built to trap a solver: repeated eigenvalues, tight
/// clusters, a gap right after rank k, negative clusters. Every reported rank must hold the
/// eigenvalue of that rank within its bound, or be flagged unconverged.
final class BlockLanczosTests: XCTestCase {
    private let n = 120

    /// Spectra with a trap at the top (or bottom), the rest spread below.
    private func trapSpectrum(top: [Double]) -> [Double] {
        top + Fixtures.linspace(-1, 0.6, n - top.count)
    }

    /// Checks that every reported rank carries the eigenvalue of that rank (from dsyevd) within
    /// its bound plus the reference's own error (LAPACK's `n ε ‖A‖`), or is flagged unconverged;
    /// returns how many were flagged.
    @discardableResult
    private func assertRanks(
        _ result: BlockLanczosResult, reference: [Double], wanted: ExtremeEigenvalues, slack: Double = 0,
        file: StaticString = #filePath, line: UInt = #line
    ) -> Int {
        let k = wanted.count
        XCTAssertEqual(result.ritzValues.count, k, file: file, line: line)
        XCTAssertEqual(result.residualBounds.count, k, file: file, line: line)
        XCTAssertEqual(result.converged.count, k, file: file, line: line)
        let expected: [Double]
        switch wanted {
        case .largest: expected = Array(reference.prefix(k))
        case .smallest: expected = Array(reference.suffix(k))
        case .largestMagnitude:
            expected = reference.sorted { abs($0) > abs($1) }.prefix(k).sorted(by: >)
        case let .bothEnds(each): expected = Array(reference.prefix(each) + reference.suffix(each))
        }
        let lapackError = Double(reference.count) * Double.ulpOfOne * (reference.map(abs).max() ?? 0)
        var flagged = 0
        for i in 0..<Swift.min(k, result.ritzValues.count) {
            let got = result.ritzValues[i], bound = result.residualBounds[i]
            XCTAssertTrue(got.isFinite && bound.isFinite, "rank \(i + 1): \(got) ± \(bound)", file: file, line: line)
            if result.converged[i] {
                XCTAssertLessThanOrEqual(abs(got - expected[i]), bound + lapackError + slack,
                                         "rank \(i + 1): \(got) vs LAPACK \(expected[i]), bound \(bound)", file: file, line: line)
            } else {
                flagged += 1
            }
        }
        return flagged
    }

    private func operatorFor(_ spectra: [[Double]], seed: UInt64 = 40) throws -> DenseSymmetricOperator {
        try DenseSymmetricOperator(matrices: spectra.enumerated().map { Fixtures.matrix(spectrum: $1, seed: seed + UInt64($0)) },
                                   dimension: spectra[0].count)
    }

    func testRepeatedAndClusteredTopEigenvaluesAreAllFoundInRank() throws {
        let cases: [[Double]] = [
            [5, 5, 4, 3, 2.9],                    // a double eigenvalue at the top
            [4, 3.996, 3.992, 3.988, 3.984, 1],   // five 1e-3 (relative) apart, then a gap after rank 5
            [4, 4 - 4e-6, 4 - 8e-6, 2, 1.9],      // three 1e-6 apart
            [4, 4 - 1e-7, 4 - 2e-7, 3, 2.5],      // three 2.5e-8 apart
        ]
        let k = 5
        for (index, top) in cases.enumerated() {
            let spectrum = trapSpectrum(top: top)
            let op = try operatorFor([spectrum], seed: UInt64(60 + index))
            let reference = try Fixtures.referenceEigenvalues(op.matrices, n: n)
            let options = BlockLanczosOptions(wanted: .largest(k), tolerance: 1e-10, maxDimension: 120, seed: 3)
            let result = try blockLanczos(op, options: options)[0]
            XCTAssertEqual(assertRanks(result, reference: reference, wanted: .largest(k)), 0, "case \(index): every rank converged")
            XCTAssertLessThan(result.dimension, n, "case \(index) stopped before spanning the space")
        }
    }

    /// Why blocks: a single vector without guard values finds one copy of a double eigenvalue,
    /// ranks the next value second and calls it converged; a block of two finds both copies.
    func testSingleVectorMissesACopyThatABlockOfTwoFinds() throws {
        let spectrum = trapSpectrum(top: [5, 5, 4, 3])
        let op = try operatorFor([spectrum], seed: 70)
        let single = try blockLanczos(op, options: BlockLanczosOptions(wanted: .largest(3), blockSize: 1, tolerance: 1e-10, maxDimension: 100,
                                                                        guardValues: 0))[0]
        XCTAssertEqual(single.ritzValues[1], 4, accuracy: 1e-8, "one copy of 5 only: rank 2 reads 4")
        XCTAssertTrue(single.converged.allSatisfy { $0 })
        let block = try blockLanczos(op, options: BlockLanczosOptions(wanted: .largest(3), tolerance: 1e-10, maxDimension: 100))[0]
        XCTAssertEqual(block.ritzValues.count, 3)
        XCTAssertTrue(block.converged.allSatisfy { $0 })
        for (got, want) in zip(block.ritzValues, [5.0, 5, 4]) { XCTAssertEqual(got, want, accuracy: 1e-8) }
    }

    /// The same traps with the operator in Float32 arithmetic (matrix and product), the precision
    /// of a Float32 network's Hessian-vector products: bounds floored at the operator's precision,
    /// every rank right to its bound plus the Float32 matrix's own perturbation.
    func testClustersInFloat32Arithmetic() throws {
        struct Float32Dense: BatchedLinearOperator {
            let matrix: [Float]
            let dimension: Int
            var batchSize: Int { 1 }
            func apply(_ vectors: [Double], into result: inout [Double]) throws {
                let x = vectors.map { Float($0) }
                var y = [Float](repeating: 0, count: dimension)
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(dimension), Int32(dimension), 1, matrix, Int32(dimension), x, 1, 0, &y, 1)
                for i in 0..<dimension { result[i] = Double(y[i]) }
            }
        }
        let traps: [[Double]] = [[5, 5, 4, 3, 2.9], [4, 3.996, 3.992, 3.988, 3.984, 1], [4, 4 - 4e-6, 4 - 8e-6, 2, 1.9]]
        for (index, top) in traps.enumerated() {
            let a = Fixtures.matrix(spectrum: trapSpectrum(top: top), seed: UInt64(130 + index))
            let op = Float32Dense(matrix: a.map { Float($0) }, dimension: n)
            let options = BlockLanczosOptions(wanted: .largest(5), tolerance: 1e-4, operatorPrecision: 1e-6, maxDimension: n)
            let result = try blockLanczos(op, options: options)[0]
            XCTAssertTrue(result.residualBounds.allSatisfy { $0 >= 1e-6 * result.scale })
            let float32Perturbation = 2 * Double(Float.ulpOfOne) * Double(n).squareRoot() * 5
            XCTAssertEqual(assertRanks(result, reference: try Fixtures.referenceEigenvalues(a, n: n), wanted: .largest(5),
                                       slack: float32Perturbation), 0, "case \(index)")
        }
    }

    func testNegativeClusterFromBelowAndMixedSignsByMagnitude() throws {
        let bottom = Fixtures.linspace(-0.5, 1, n - 4) + [-3, -3.003, -3.006, -6]
        let mixed = Fixtures.linspace(-1, 1, n - 4) + [4, 3.99, -4.005, -2]
        let op = try operatorFor([bottom, mixed], seed: 80)
        let small = try blockLanczos(op, options: BlockLanczosOptions(wanted: .smallest(4), tolerance: 1e-10, maxDimension: 120))
        XCTAssertEqual(assertRanks(small[0], reference: try Fixtures.referenceEigenvalues(Array(op.matrices.prefix(n * n)), n: n),
                                   wanted: .smallest(4)), 0)
        let magnitude = try blockLanczos(op, options: BlockLanczosOptions(wanted: .largestMagnitude(4), tolerance: 1e-10, maxDimension: 120))
        XCTAssertEqual(assertRanks(magnitude[1], reference: try Fixtures.referenceEigenvalues(Array(op.matrices.suffix(n * n)), n: n),
                                   wanted: .largestMagnitude(4)), 0)
        for (got, want) in zip(magnitude[1].ritzValues, [4.0, 3.99, -2, -4.005]) { XCTAssertEqual(got, want, accuracy: 1e-8) }
    }

    /// Both ends at once: a double top eigenvalue and a tight negative cluster at the bottom are
    /// each found in rank, as the two one-ended runs find them.
    func testBothEndsFindTheClustersAtTheTopAndTheBottom() throws {
        let spectrum = [2, 2] + Fixtures.linspace(-0.5, 1, n - 5) + [-3, -3.003, -3.006]
        let op = try operatorFor([spectrum], seed: 90)
        let reference = try Fixtures.referenceEigenvalues(op.matrices, n: n)
        let both = try blockLanczos(op, options: BlockLanczosOptions(wanted: .bothEnds(3), tolerance: 1e-10, maxDimension: 120))
        XCTAssertEqual(assertRanks(both[0], reference: reference, wanted: .bothEnds(3)), 0)
        for (got, want) in zip(both[0].ritzValues, [2, 2, 1, -3, -3.003, -3.006]) { XCTAssertEqual(got, want, accuracy: 1e-8) }
    }

    /// A budget too small to converge is reported as such, never as converged.
    func testUnconvergedPairsAreFlagged() throws {
        let spectrum = trapSpectrum(top: [4, 3.996, 3.992, 3.988, 3.984])
        let op = try operatorFor([spectrum], seed: 90)
        let result = try blockLanczos(op, options: BlockLanczosOptions(wanted: .largest(5), tolerance: 1e-8, maxDimension: 12))[0]
        XCTAssertEqual(result.dimension, 12)
        let flagged = assertRanks(result, reference: try Fixtures.referenceEigenvalues(op.matrices, n: n), wanted: .largest(5))
        XCTAssertGreaterThan(flagged, 0)
        XCTAssertTrue(result.residualBounds.enumerated().allSatisfy { result.converged[$0.offset] == ($0.element <= 1e-8 * result.scale) })
    }

    /// The stopping rule is per sample: an easy spectrum stops early while a hard one goes on,
    /// and neither result depends on the other or on its position in the batch.
    func testSamplesStopIndependentlyAndResultsDoNotDependOnTheBatch() throws {
        let easy = [10, 8, 6, 4] + Fixtures.linspace(-0.1, 0.1, n - 4)
        let hard = trapSpectrum(top: [4, 3.996, 3.992, 3.988, 3.984])
        let both = try operatorFor([easy, hard], seed: 100)
        let options = BlockLanczosOptions(wanted: .largest(2), tolerance: 1e-10, maxDimension: 120, seed: 5)
        let together = try blockLanczos(both, options: options)
        XCTAssertLessThan(together[0].dimension, together[1].dimension)

        struct Reordered: BatchedLinearOperator {
            let base: DenseSymmetricOperator
            let streams: [UInt64]
            var batchSize: Int { streams.count }
            var dimension: Int { base.dimension }
            func apply(_ vectors: [Double], into result: inout [Double]) throws {
                // Sample b here is base sample streams[b]: swap rows through the base.
                let n = dimension
                var input = [Double](repeating: 0, count: base.batchSize * n)
                for (b, s) in streams.enumerated() { input.replaceSubrange(Int(s) * n..<(Int(s) + 1) * n, with: vectors[(b * n)..<((b + 1) * n)]) }
                let output = try base.apply(input)
                for (b, s) in streams.enumerated() { result.replaceSubrange((b * n)..<((b + 1) * n), with: output[Int(s) * n..<(Int(s) + 1) * n]) }
            }
            func randomStream(forSample b: Int) -> UInt64 { streams[b] }
        }
        let swapped = try blockLanczos(Reordered(base: both, streams: [1, 0]), options: options)
        XCTAssertEqual(swapped[0], together[1])
        XCTAssertEqual(swapped[1], together[0])
        let alone = try blockLanczos(Reordered(base: both, streams: [1]), options: options)
        XCTAssertEqual(alone[0], together[1])
    }

    /// An operator that can drop finished samples is given fewer rows as samples finish, and every
    /// result is bit for bit what the full batch of zero rows gives.
    func testFinishedSamplesAreDroppedFromTheOperatorWithoutChangingAnyResult() throws {
        final class Log { var rows: [Int] = [] }
        final class Shrinking: BatchedLinearOperator {
            let matrices: [[Double]]
            let dimension: Int
            let streams: [UInt64]
            let log: Log
            init(matrices: [[Double]], dimension: Int, streams: [UInt64], log: Log) {
                (self.matrices, self.dimension, self.streams, self.log) = (matrices, dimension, streams, log)
            }
            var batchSize: Int { matrices.count }
            func apply(_ vectors: [Double], into result: inout [Double]) throws {
                log.rows.append(batchSize)
                let op = try DenseSymmetricOperator(matrices: matrices, dimension: dimension)
                try op.apply(vectors, into: &result)
            }
            func randomStream(forSample b: Int) -> UInt64 { streams[b] }
            func restricted(to rows: [Int]) throws -> (any BatchedLinearOperator)? {
                Shrinking(matrices: rows.map { matrices[$0] }, dimension: dimension, streams: rows.map { streams[$0] }, log: log)
            }
        }
        let spectra = [[10, 8, 6, 4] + Fixtures.linspace(-0.1, 0.1, n - 4), trapSpectrum(top: [4, 3.996, 3.992, 3.988, 3.984]),
                       [9, 7, 5, 3] + Fixtures.linspace(-0.2, 0.2, n - 4), trapSpectrum(top: [5, 5, 4, 3, 2.9])]
        let matrices = spectra.enumerated().map { Fixtures.matrix(spectrum: $1, seed: 140 + UInt64($0)) }
        let options = BlockLanczosOptions(wanted: .largest(4), tolerance: 1e-10, maxDimension: n, seed: 2)
        let log = Log()
        let shrinking = Shrinking(matrices: matrices, dimension: n, streams: [0, 1, 2, 3], log: log)
        let dropped = try blockLanczos(shrinking, options: options)
        let kept = try blockLanczos(try DenseSymmetricOperator(matrices: matrices, dimension: n), options: options)
        XCTAssertEqual(dropped, kept)
        // Four rows until the first sample is done, then fewer, never more again.
        XCTAssertEqual(log.rows.first, 4)
        XCTAssertLessThan(log.rows.last!, 4)
        XCTAssertEqual(log.rows, log.rows.sorted(by: >), "\(log.rows)")
    }

    /// Excluded directions are outside the search: with the top eigenvector excluded, the values
    /// found are the top of the rest, and the dimension searched is one less.
    func testExcludedDirectionsAreLeftOutOfTheSearch() throws {
        struct Excluding: BatchedLinearOperator {
            let base: DenseSymmetricOperator
            let direction: [Double]
            var batchSize: Int { 1 }
            var dimension: Int { base.dimension }
            func apply(_ vectors: [Double], into result: inout [Double]) throws { try base.apply(vectors, into: &result) }
            func excludedDirections(forSample b: Int) -> [Double] { direction }
        }
        let size = 30
        // diag(9, 5, 4, 3, …): e₀ carries the 9.
        let diagonal = [9.0, 5, 4] + Fixtures.linspace(-1, 2, size - 3)
        let base = try DenseSymmetricOperator(diagonals: [diagonal])
        let unit = (0..<size).map { $0 == 0 ? 1.0 : 0 }
        let result = try blockLanczos(Excluding(base: base, direction: unit),
                                      options: BlockLanczosOptions(wanted: .largest(2), tolerance: 1e-10, maxDimension: size))[0]
        assertMaxError(result.ritzValues, [5, 4], within: 1e-10)
        let all = try blockLanczos(Excluding(base: base, direction: unit),
                                   options: BlockLanczosOptions(wanted: .largest(size - 1), tolerance: 1e-10, maxDimension: size, fixedDimension: true))[0]
        XCTAssertEqual(all.dimension, size - 1)
        XCTAssertTrue(all.spansSpace)
        XCTAssertFalse(all.ritzValues.contains { Swift.abs($0 - 9) < 1e-6 }, "the excluded eigenvalue never appears")
    }

    /// With the whole space spanned the Ritz values are the eigenvalues, to LAPACK's accuracy.
    func testFullDimensionReproducesDsyevd() throws {
        let spectrum = Fixtures.linspace(-3, 10, 30)
        let op = try operatorFor([spectrum], seed: 110)
        let result = try blockLanczos(op, options: BlockLanczosOptions(wanted: .largest(30), tolerance: 1e-6, maxDimension: 30,
                                                                       fixedDimension: true))[0]
        XCTAssertTrue(result.spansSpace)
        XCTAssertEqual(result.dimension, 30)
        let reference = try Fixtures.referenceEigenvalues(op.matrices, n: 30)
        XCTAssertEqual(result.ritzValues.count, reference.count)
        for (got, want) in zip(result.ritzValues, reference) { XCTAssertEqual(got, want, accuracy: 1e-11 * 10) }
    }

    /// A rank-3 operator: the block's residual vanishes and fresh random directions keep the search
    /// going, so the zero eigenvalues below rank 3 are found too.
    func testRankDeficientOperatorGivesZerosBeyondItsRank() throws {
        let a = Fixtures.lowRankMatrix(values: [7, 3, 2], dimension: 30, seed: 21)
        let op = try DenseSymmetricOperator(matrices: [a], dimension: 30)
        let result = try blockLanczos(op, options: BlockLanczosOptions(wanted: .largest(5), tolerance: 1e-10, maxDimension: 30))[0]
        for (got, want) in zip(result.ritzValues, [7.0, 3, 2, 0, 0]) { XCTAssertEqual(got, want, accuracy: 1e-11) }
        XCTAssertTrue(result.converged.allSatisfy { $0 })
        XCTAssertLessThan(result.dimension, 30)
    }

    /// An operator with Float32-sized errors: bounds never fall below the operator's precision
    /// times the scale, and the tolerance is met at that level.
    func testNoisyOperatorConvergesAtItsPrecisionAndBoundsAreFloored() throws {
        struct Noisy: BatchedLinearOperator {
            let base: DenseSymmetricOperator
            let relativeNoise: Double
            var batchSize: Int { base.batchSize }
            var dimension: Int { base.dimension }
            func apply(_ vectors: [Double], into result: inout [Double]) throws {
                try base.apply(vectors, into: &result)
                // Deterministic noise from the input itself, so reruns are identical.
                var generator = Xoshiro256StarStar(seed: UInt64(bitPattern: Int64(vectors.reduce(0, +).bitPattern & 0xffff_ffff)))
                let scale = relativeNoise * 4 * Fixtures.norm(vectors)
                for i in result.indices { result[i] += scale * generator.normal() / Double(dimension).squareRoot() }
            }
        }
        let spectrum = trapSpectrum(top: [4, 3.99, 3.98, 3])
        let exact = try operatorFor([spectrum], seed: 120)
        let op = Noisy(base: exact, relativeNoise: 1e-7)
        let options = BlockLanczosOptions(wanted: .largest(3), tolerance: 1e-9, operatorPrecision: 1e-6, maxDimension: 120)
        let result = try blockLanczos(op, options: options)[0]
        XCTAssertTrue(result.converged.allSatisfy { $0 }, "a tolerance below the precision is raised to it")
        XCTAssertTrue(result.residualBounds.allSatisfy { $0 >= 1e-6 * result.scale })
        assertRanks(result, reference: try Fixtures.referenceEigenvalues(exact.matrices, n: n), wanted: .largest(3))
    }

    func testRejectsBadSettingsByName() throws {
        let op = try DenseSymmetricOperator(diagonals: [[1, 2, 3, 4, 5, 6]])
        func message(_ options: BlockLanczosOptions) -> String {
            do {
                _ = try blockLanczos(op, options: options)
                return "no error"
            } catch { return String(describing: error) }
        }
        XCTAssertEqual(message(BlockLanczosOptions(wanted: .largest(3), blockSize: 0, tolerance: 1e-6, maxDimension: 6)),
                       "invalid argument: block size 0 must be ≥ 1")
        XCTAssertEqual(message(BlockLanczosOptions(wanted: .largest(3), tolerance: 0, maxDimension: 6)),
                       "invalid argument: tolerance 0.0 must lie in (0, 1)")
        XCTAssertEqual(message(BlockLanczosOptions(wanted: .largest(7), tolerance: 1e-6, maxDimension: 6)),
                       "invalid argument: eigenvalue count 7 exceeds the dimension 6")
        XCTAssertEqual(message(BlockLanczosOptions(wanted: .largest(4), tolerance: 1e-6, maxDimension: 3)),
                       SpectraError.tooManyEigenvalues(requested: 4, steps: 3).description)
    }
}
