import Foundation
import Spectra
import XCTest

final class SpectralDensityTests: XCTestCase {
    /// Trapezoidal ∫ f over the grid.
    private func integrate(_ values: [Double], over grid: [Double]) -> Double {
        var sum = 0.0
        for i in 1..<grid.count { sum += 0.5 * (values[i] + values[i - 1]) * (grid[i] - grid[i - 1]) }
        return sum
    }

    /// A diagonal matrix with 4 distinct eigenvalues: every Lanczos run breaks down after 4 steps,
    /// the Gauss rule is exact, and with Rademacher probes the weights are exactly multiplicity / n.
    func testFourDistinctEigenvaluesGiveExactNodesAndWeights() throws {
        let values: [Double] = [-1, 0.5, 2, 4]
        let multiplicities = [10, 20, 5, 15]
        let diagonal = zip(values, multiplicities).flatMap { [Double](repeating: $0, count: $1) }
        let n = diagonal.count
        let op = try DenseSymmetricOperator(diagonals: [diagonal])
        let grid = SpectralDensity.uniformGrid(from: -3, to: 6, count: 901)
        let sigma = 0.2
        let result = try spectralDensity(op, grid: grid, sigma: sigma, options: .init(probes: 3, steps: 10))[0]

        XCTAssertEqual(result.nodes.count, 12)  // 3 probes × 4 steps
        for (index, value) in values.enumerated() {
            let weight = zip(result.nodes, result.weights).filter { abs($0.0 - value) < 1e-10 }.map(\.1).reduce(0, +)
            XCTAssertEqual(weight, Double(multiplicities[index]) / Double(n), accuracy: 1e-12)
        }
        // The density is then exactly a mixture of four Gaussians.
        let peak = 0.3 / (sigma * (2 * Double.pi).squareRoot())
        XCTAssertEqual(result.density[grid.firstIndex { abs($0 - 4) < 1e-9 }!], peak, accuracy: 1e-9)
        XCTAssertEqual(integrate(result.density, over: grid), 1, accuracy: 1e-6)
        let mean = integrate(zip(grid, result.density).map(*), over: grid)
        XCTAssertEqual(mean, diagonal.reduce(0, +) / Double(n), accuracy: 1e-6)
    }

    /// A dense matrix with a continuous-looking spectrum, batched with a second, shifted one.
    func testDensityIntegratesToOneAndMeanMatchesTracePerSample() throws {
        let n = 60
        let spectra = [Fixtures.linspace(-2, 8, n), Fixtures.linspace(0, 3, n).map { $0 * $0 }]
        let matrices = spectra.enumerated().map { Fixtures.matrix(spectrum: $1, seed: UInt64(70 + $0)) }
        let op = try DenseSymmetricOperator(matrices: matrices, dimension: n)
        let grid = SpectralDensity.uniformGrid(from: -5, to: 12, count: 1001)
        let probes = 8
        let results = try spectralDensity(op, grid: grid, sigma: 0.4, options: .init(probes: probes, steps: 20, seed: 2))
        for (b, result) in results.enumerated() {
            XCTAssertEqual(result.weights.reduce(0, +), 1, accuracy: 1e-12)
            XCTAssertEqual(integrate(result.density, over: grid), 1, accuracy: 1e-6)
            XCTAssertTrue(result.density.allSatisfy { $0 >= 0 && $0.isFinite })
            // Σ w θ is the Hutchinson mean of zᵀAz / n: within a few standard errors of tr A / n,
            // the standard error being √(2 Σ_{i≠j} A_ij² / probes) / n.
            let offDiagonal = Fixtures.offDiagonalSumOfSquares(matrices[b], n: n)
            let standardError = (2 * offDiagonal / Double(probes)).squareRoot() / Double(n)
            let trueMean = spectra[b].reduce(0, +) / Double(n)
            let quadratureMean = zip(result.nodes, result.weights).map(*).reduce(0, +)
            XCTAssertEqual(quadratureMean, trueMean, accuracy: 4 * standardError)
            XCTAssertEqual(integrate(zip(grid, result.density).map(*), over: grid), quadratureMean, accuracy: 1e-6)
            // The density lives on the spectrum: almost no mass beyond two sigma of its ends.
            let below = zip(grid, result.density).filter { $0.0 < spectra[b].min()! - 0.8 }
            let above = zip(grid, result.density).filter { $0.0 > spectra[b].max()! + 0.8 }
            let outsideMass = integrate(below.map(\.1), over: below.map(\.0)) + integrate(above.map(\.1), over: above.map(\.0))
            XCTAssertLessThan(outsideMass, 0.01)
        }
    }

    func testRejectsBadArguments() throws {
        let op = try DenseSymmetricOperator(diagonals: [[1, 2, 3]])
        assertInvalidArgument(try spectralDensity(op, grid: [0, 1], sigma: 0), naming: "sigma 0.0 must be positive and finite")
        assertInvalidArgument(try spectralDensity(op, grid: [], sigma: 1), naming: "grid must be non-empty and finite")
        XCTAssertThrowsError(try spectralDensity(op, grid: [0, 1], sigma: 1, options: .init(steps: 4))) { error in
            XCTAssertEqual(error as? SpectraError, .tooManySteps(steps: 4, dimension: 3))
        }
    }
}
