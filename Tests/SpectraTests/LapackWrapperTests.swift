import Foundation
import Spectra
import TestSupport
import XCTest

final class LapackWrapperTests: XCTestCase {
    /// The 1-D Laplacian tridiag(−1, 2, −1) of order n has eigenvalues 2 − 2cos(kπ/(n+1)).
    private let n = 50
    private var laplacianDiagonal: [Double] { [Double](repeating: 2, count: n) }
    private var laplacianOffDiagonal: [Double] { [Double](repeating: -1, count: n - 1) }
    private var laplacianSpectrum: [Double] {
        (1...n).map { 2 - 2 * cos(Double($0) * Double.pi / Double(n + 1)) }.sorted(by: >)
    }
    private var laplacianDense: [Double] {
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            a[i * n + i] = 2
            if i + 1 < n { a[i * n + i + 1] = -1; a[(i + 1) * n + i] = -1 }
        }
        return a
    }

    func testDstevAllEigenpairsOfLaplacian() throws {
        let result = try symmetricTridiagonalEigen(
            diagonal: laplacianDiagonal, offDiagonal: laplacianOffDiagonal, wantVectors: true)
        XCTAssertEqual(result.values.count, n)
        assertMaxError(result.values, laplacianSpectrum, within: 1e-13)
        let z = try XCTUnwrap(result.vectors)
        for i in 0..<n {
            XCTAssertLessThan(
                Fixtures.scaledResidual(laplacianDense, n: n, value: result.values[i], vector: result.vector(i)!), 50)
        }
        XCTAssertLessThan(Fixtures.orthogonality(z, rows: n, n: n), 50)
    }

    func testDstebzSelectedIndicesWithDsteinVectors() throws {
        let low = try symmetricTridiagonalEigen(
            diagonal: laplacianDiagonal, offDiagonal: laplacianOffDiagonal, ascendingIndices: 0...2, wantVectors: true)
        XCTAssertEqual(low.values.count, 3)
        assertMaxError(low.values, laplacianSpectrum.suffix(3), within: 1e-13)
        for i in 0..<3 {
            XCTAssertLessThan(
                Fixtures.scaledResidual(laplacianDense, n: n, value: low.values[i], vector: low.vector(i)!), 50)
        }
        XCTAssertLessThan(Fixtures.orthogonality(low.vectors!, rows: 3, n: n), 50)

        let ends = try symmetricTridiagonalEigen(
            diagonal: laplacianDiagonal, offDiagonal: laplacianOffDiagonal,
            selection: .bothEnds(largest: 2, smallest: 1))
        XCTAssertNil(ends.vectors)
        let expected = Array(laplacianSpectrum.prefix(2)) + [laplacianSpectrum[n - 1]]
        assertMaxError(ends.values, expected, within: 1e-13)
    }

    func testDsyevdRecoversKnownSpectrum() throws {
        let spectrum = Fixtures.linspace(-4, 9, 30).map { $0 + 0.01 * $0 * $0 }
        let a = Fixtures.matrix(spectrum: spectrum, seed: 11)
        let result = try symmetricEigen(matrix: a, dimension: 30, wantVectors: true)
        assertMaxError(result.values, spectrum.sorted(by: >), within: 1e-12)
        for i in 0..<30 {
            XCTAssertLessThan(Fixtures.scaledResidual(a, n: 30, value: result.values[i], vector: result.vector(i)!), 50)
        }
        XCTAssertLessThan(Fixtures.orthogonality(result.vectors!, rows: 30, n: 30), 50)
    }

    func testTinyOrders() throws {
        let one = try symmetricTridiagonalEigen(diagonal: [3.5], offDiagonal: [], wantVectors: true)
        XCTAssertEqual(one.values, [3.5])
        XCTAssertEqual(one.vectors, [1])
        let two = try symmetricTridiagonalEigen(diagonal: [0, 0], offDiagonal: [1])
        XCTAssertEqual(two.values[0], 1, accuracy: 1e-15)
        XCTAssertEqual(two.values[1], -1, accuracy: 1e-15)
        XCTAssertEqual(try symmetricEigen(matrix: [], dimension: 0).values, [])
    }

    func testErrorsNameRoutineAndInfo() {
        XCTAssertThrowsError(try symmetricTridiagonalEigen(diagonal: [1, 2, 3], offDiagonal: [1])) { error in
            guard case SpectraError.invalidArgument = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(
            try symmetricTridiagonalEigen(diagonal: [1, 2], offDiagonal: [0], ascendingIndices: 1...2)
        ) { error in
            guard case SpectraError.invalidArgument = error else { return XCTFail("\(error)") }
        }
        // LAPACKE's NaN check rejects the diagonal, argument 4 of LAPACKE_dstev.
        XCTAssertThrowsError(try symmetricTridiagonalEigen(diagonal: [1, .nan, 3], offDiagonal: [1, 1])) { error in
            XCTAssertEqual(error as? SpectraError, .lapack(routine: "LAPACKE_dstev", info: -4))
            let message = String(describing: error)
            XCTAssertTrue(message.contains("LAPACKE_dstev"), message)
            XCTAssertTrue(message.contains("info = -4"), message)
        }
        XCTAssertThrowsError(try symmetricEigen(matrix: [1, 0, 0, .nan], dimension: 2)) { error in
            guard case let SpectraError.lapack(routine, info) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(routine, "LAPACKE_dsyevd")
            XCTAssertLessThan(info, 0)
        }
        assertInvalidArgument(try symmetricEigen(matrix: [1, 2, 3], dimension: 2), naming: "matrix has 3 values, expected dimension² = 4")
    }
}
