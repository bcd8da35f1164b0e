import Curvature
import Foundation
import TestSupport
import XCTest

/// The eigen-solvers on real networks' input Hessians, checked against dense LAPACK.
final class NetworkSpectraTests: XCTestCase {
    private func network(_ activation: String, seed: UInt64 = 3) throws -> Sequential {
        let json = """
            {"input":[1,6,6],"layers":[{"type":"conv2d","in":1,"out":4,"kernel":3,"padding":1},\(activation),\
            {"type":"avgpool2d","kernel":2},{"type":"flatten"},{"type":"linear","in":36,"out":12},\(activation),\
            {"type":"linear","in":12,"out":5}]}
            """
        return try Sequential(try Architecture(json: Data(json.utf8)), dtype: .float64, seed: seed)
    }

    private let softplus = #"{"type":"softplus","beta":3}"#
    private let relu = #"{"type":"relu"}"#

    private func batch(_ n: Int, seed: UInt64 = 11) -> Batch {
        let images = Tensor(randomShape: [n, 1, 6, 6], .uniform(low: 0, high: 1), dtype: .float64, seed: seed)
        return Batch(images: images, labels: (0..<n).map { $0 % 5 }, indices: Array(100..<(100 + n)))
    }

    func testLanczosTopTenMatchesDenseEigensolve() throws {
        let model = try network(softplus)
        let b = batch(3)
        let op = ExactInputHessian(model: { model($0) }, images: b.images, labels: b.labels, sampleIndices: b.indices)
        let dense = try denseEigen(op)
        let ritz = try lanczos(op, options: LanczosOptions(steps: 33, selection: .largest(10)))
        for sample in 0..<3 {
            let exact = dense[sample].eigenvalues
            XCTAssertLessThan(dense[sample].asymmetry, 1e-12, "the HVP-built Hessian is symmetric")
            // The well-separated top five converge to 1e-6 relative; every Ritz value lies within
            // its residual bound of an eigenvalue (the bound is a certificate).
            for i in 0..<10 {
                let theta = ritz[sample].ritzValues[i], bound = ritz[sample].residualBounds[i]
                if i < 5 {
                    XCTAssertEqual(theta, exact[i], accuracy: 1e-6 * Swift.abs(exact[0]), "sample \(sample) rank \(i + 1)")
                }
                let nearest = exact.map { Swift.abs($0 - theta) }.min()!
                XCTAssertLessThanOrEqual(nearest, bound + 1e-12 * Swift.abs(exact[0]), "sample \(sample) rank \(i + 1)")
            }
            XCTAssertTrue(exact.contains { $0 < -1e-8 }, "a smooth network's Hessian is indefinite")
        }
    }

    func testBatchedLanczosEqualsPerSampleLanczos() throws {
        let model = try network(softplus)
        let b = batch(4)
        let options = LanczosOptions(steps: 12, selection: .largest(5), seed: 9)
        let batched = try lanczos(ExactInputHessian(model: { model($0) }, images: b.images, labels: b.labels, sampleIndices: b.indices), options: options)
        for n in 0..<4 {
            let single = try lanczos(ExactInputHessian(model: { model($0) }, images: b.images.slice(rows: n..<(n + 1)),
                                                       labels: [b.labels[n]], sampleIndices: [b.indices[n]]), options: options)[0]
            assertMaxError(batched[n].ritzValues, single.ritzValues, within: 1, by: .allClose(absolute: 1e-14, relative: 1e-10), "sample \(n): batched against alone")
        }
    }

    func testReLUNetworkHessianHasRankAtMostClassesMinusOne() throws {
        let model = try network(relu)
        let b = batch(3)
        let op = ExactInputHessian(model: { model($0) }, images: b.images, labels: b.labels, sampleIndices: b.indices)
        for result in try denseEigen(op) {
            let top = result.eigenvalues[0]
            XCTAssertGreaterThan(top, 0)
            XCTAssertLessThanOrEqual(result.eigenvalues.filter { $0 > 1e-6 * top }.count, 4, "rank ≤ C − 1 = 4")
            XCTAssertGreaterThan(result.eigenvalues.last!, -1e-10 * top, "Gauss–Newton: positive semi-definite")
        }
        // At a finite scale the kinks show: more than C − 1 non-negligible eigenvalues.
        let finite = try FiniteScaleInputHessian.build(model: { model($0) }, images: b.images, labels: b.labels,
                                                       sampleIndices: b.indices, h: 0.05)
        let finiteValues = try denseEigen(finite.operator)[0].eigenvalues
        XCTAssertGreaterThan(finiteValues.filter { Swift.abs($0) > 1e-6 * Swift.abs(finiteValues[0]) }.count, 4)
    }

    func testFiniteScaleHessianOfASmoothNetworkApproachesTheExactOne() throws {
        let model = try network(softplus)
        let b = batch(1)
        let exact = try denseEigen(ExactInputHessian(model: { model($0) }, images: b.images, labels: b.labels, sampleIndices: b.indices))[0]
        let finite = try FiniteScaleInputHessian.build(model: { model($0) }, images: b.images, labels: b.labels, sampleIndices: b.indices, h: 1e-4)
        let values = try denseEigen(finite.operator)[0].eigenvalues
        assertMaxError(values, exact.eigenvalues, within: 1e-6, by: .relativeToLargest(), "finite h = 1e-4 against exact")
        XCTAssertLessThan(finite.asymmetry[0], 1e-6)
    }

    func testStochasticTraceLiesWithinThreeStandardErrors() throws {
        let model = try network(softplus)
        let b = batch(2)
        let op = ExactInputHessian(model: { model($0) }, images: b.images, labels: b.labels, sampleIndices: b.indices)
        let exact = try denseEigen(op).map { $0.eigenvalues.reduce(0, +) }
        let estimates = try hutchinsonTrace(op, probes: 64, seed: 5)
        XCTAssertEqual(estimates.count, exact.count)
        for (estimate, truth) in zip(estimates, exact) {
            XCTAssertLessThan(Swift.abs(estimate.estimate - truth), 3 * estimate.standardError + 1e-12)
            XCTAssertGreaterThan(estimate.standardError, 0)
        }
        let densities = try spectralDensity(op, grid: SpectralDensity.uniformGrid(from: -1, to: 3, count: 50), sigma: 0.05,
                                            options: SpectralDensityOptions(probes: 8, steps: 20, seed: 1))
        XCTAssertEqual(densities.count, exact.count)
        for (density, truth) in zip(densities, exact) {
            // SLQ's quadrature: Σ weights·nodes estimates trace/d.
            let mean = zip(density.nodes, density.weights).reduce(0) { $0 + $1.0 * $1.1 }
            XCTAssertEqual(mean * 36, truth, accuracy: Swift.max(0.5 * Swift.abs(truth), 1e-3))
        }
    }

    func testSpectrumJobRanksFollowOneConvention() throws {
        let model = try network(softplus)
        let b = batch(2)
        var settings = SpectrumSettings()
        (settings.method, settings.k) = (.dense, 100)
        let all = try SpectrumJob(model: { model($0) }, settings: settings).rows(for: b)
        XCTAssertEqual(all.count, 2 * 36, "--k ≥ d writes all d eigenvalues")
        let first = all.filter { $0.sample == 100 }
        XCTAssertEqual(first.map(\.rank), Array(1...36))
        // Lanczos with a fixed budget, converging block Lanczos, and power iteration.
        for (method, steps) in [(SpectrumMethod.lanczos, 36 as Int?), (.lanczos, nil), (.power, nil)] {
            (settings.method, settings.k, settings.steps) = (method, 3, steps)
            for end in SpectrumEnd.allCases {
                settings.end = end
                if method == .power && end == .both {
                    XCTAssertThrowsError(try settings.validate(dimension: 36), "power iteration converges to one end")
                    continue
                }
                XCTAssertNoThrow(try settings.validate(dimension: 36))
                let rows = try SpectrumJob(model: { model($0) }, settings: settings).rows(for: b).filter { $0.sample == 100 }
                XCTAssertEqual(rows.count, end == .both ? 6 : 3, "\(method) \(end)")
                if end == .both { XCTAssertEqual(rows.map(\.rank), [1, 2, 3, 34, 35, 36]) }
                for row in rows {
                    let truth = first[row.rank - 1].eigenvalue
                    XCTAssertEqual(row.eigenvalue, truth, accuracy: 1e-5 * Swift.abs(first[0].eigenvalue), "\(method) \(end) rank \(row.rank)")
                }
            }
        }
    }
}

/// Numerical faults are named, never written as NaN rows; breakdown is an invariant subspace.
final class NumericalFaultTests: XCTestCase {
    func testNaNInputOrWeightsIsAnErrorNamingTheSample() throws {
        let json = #"{"input":[1,2,2],"layers":[{"type":"flatten"},{"type":"linear","in":4,"out":3},{"type":"softplus"},{"type":"linear","in":3,"out":2}]}"#
        let model = try Sequential(try Architecture(json: Data(json.utf8)), dtype: .float64, seed: 1)
        var pixels = [Double](repeating: 0.5, count: 12)
        pixels[6] = .nan
        let batch = Batch(images: Tensor(shape: [3, 1, 2, 2], scalars: pixels, dtype: .float64), labels: [0, 1, 0], indices: [40, 41, 42])
        let job = SpectrumJob(model: { model($0) }, settings: SpectrumSettings())
        XCTAssertThrowsError(try job.rows(for: batch)) { error in
            XCTAssertEqual("\(error)", "sample 41: input pixel 2 is nan")
        }
        model.namedParameters[0].parameter.value = Tensor(repeating: .infinity, shape: [3, 4], dtype: .float64)
        let clean = Batch(images: Tensor(repeating: 0.5, shape: [2, 1, 2, 2], dtype: .float64), labels: [0, 1], indices: [7, 8])
        XCTAssertThrowsError(try job.rows(for: clean)) { error in
            XCTAssertTrue("\(error)".hasPrefix("sample 7: logit"), "\(error)")
        }
        // The exact Gauss–Newton route names the sample too (before any eigenproblem).
        var route = SpectrumSettings()
        (route.part, route.gaussNewtonRoute) = (.gaussNewton, true)
        XCTAssertTrue(route.takesGaussNewtonRoute)
        XCTAssertThrowsError(try SpectrumJob(model: { model($0) }, settings: route).rows(for: clean)) { error in
            XCTAssertTrue("\(error)".hasPrefix("sample 7: logit"), "\(error)")
        }
    }

    func testLanczosOnARankDeficientNetworkHessianBreaksDownCleanly() throws {
        // A ReLU network's exact Hessian has rank ≤ C − 1 = 2: Lanczos must stop, not produce NaN.
        let json = #"{"input":[1,3,3],"layers":[{"type":"flatten"},{"type":"linear","in":9,"out":6},{"type":"relu"},{"type":"linear","in":6,"out":3}]}"#
        let model = try Sequential(try Architecture(json: Data(json.utf8)), dtype: .float64, seed: 2)
        let images = Tensor(randomShape: [2, 1, 3, 3], .uniform(low: 0, high: 1), dtype: .float64, seed: 3)
        let op = ExactInputHessian(model: { model($0) }, images: images, labels: [0, 2], sampleIndices: [0, 1])
        for result in try lanczos(op, options: LanczosOptions(steps: 8)) {
            XCTAssertTrue(result.brokeDown)
            XCTAssertLessThanOrEqual(result.steps, 3)
            XCTAssertTrue(result.ritzValues.allSatisfy(\.isFinite))
            XCTAssertTrue(result.residualBounds.allSatisfy { $0 < 1e-10 })
        }
    }
}
