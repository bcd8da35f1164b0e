import Spectra
import XCTest

final class DenseSymmetricOperatorTests: XCTestCase {
    func testAppliesEachSamplesOwnMatrix() throws {
        let a0: [Double] = [2, 1, 0, 1, 3, -1, 0, -1, 4]
        let a1: [Double] = [-1, 0, 5, 0, 0, 0, 5, 0, 1]
        let op = try DenseSymmetricOperator(matrices: [a0, a1], dimension: 3)
        XCTAssertEqual(op.batchSize, 2)
        XCTAssertEqual(op.dimension, 3)
        let y = try op.apply([1, 2, 3, 1, -1, 2])
        XCTAssertEqual(y, [4, 4, 10, 9, 0, 7])
        // A zero row stays zero and leaves the other row alone.
        XCTAssertEqual(try op.apply([0, 0, 0, 1, -1, 2]), [0, 0, 0, 9, 0, 7])
    }

    func testDiagonalsConvenience() throws {
        let op = try DenseSymmetricOperator(diagonals: [[1, 2], [3, 4]])
        XCTAssertEqual(try op.apply([1, 1, 1, 1]), [1, 2, 3, 4])
    }

    func testRefusesBadInput() {
        XCTAssertThrowsError(try DenseSymmetricOperator(matrices: [[1, 2, 0, 1]], dimension: 2)) { error in
            guard case let SpectraError.notSymmetric(sample, asymmetry, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(sample, 0)
            XCTAssertEqual(asymmetry, (8.0 / 6.0).squareRoot(), accuracy: 1e-15)  // ‖A−Aᵀ‖_F/‖A‖_F
        }
        assertInvalidArgument(try DenseSymmetricOperator(matrices: [1, 2, 3], batchSize: 1, dimension: 2), naming: "matrices has 3 values, expected batchSize × dimension² = 4")
        assertInvalidArgument(try DenseSymmetricOperator(matrices: [[1, 0, 0], [1, 0, 0, 1, 0]], dimension: 2), naming: "matrix 0 has 3 values, expected dimension² = 4")
        assertInvalidArgument(try DenseSymmetricOperator(diagonals: []), naming: "batchSize 0 and dimension 0 must be ≥ 1")
        let op = try! DenseSymmetricOperator(diagonals: [[1, 2]])
        assertInvalidArgument(try op.apply([1, 2, 3]), naming: "vectors has 3 values, expected batchSize × dimension = 2")
    }

    func testSolversRejectNonFiniteOrMisSizedOutput() {
        let nan = FaultyOperator(batchSize: 2, dimension: 4, fault: .nan)
        XCTAssertThrowsError(try lanczos(nan, options: LanczosOptions(steps: 2))) { error in
            XCTAssertEqual(error as? SpectraError, .operatorOutputNotFinite(sample: 1, index: 3))
        }
        let short = FaultyOperator(batchSize: 2, dimension: 4, fault: .wrongLength)
        XCTAssertThrowsError(try hutchinsonTrace(short)) { error in
            XCTAssertEqual(error as? SpectraError, .operatorOutputSize(expected: 8, actual: 7))
        }
    }
}
