import Curvature
import Foundation
import TestSupport
import XCTest

/// The parts of the input Hessian against dense matrices built from their definitions,
/// H = Jᵀ(diag p − ppᵀ)J + Σₖ gₖ∇²zₖ, in Float64, and the margin Hessian against central differences.
final class HessianPartsTests: XCTestCase {
    private let classes = 4, batch = 2, d = 16

    /// A smooth network, so that the residual part is not zero.
    private func network() throws -> Sequential {
        let json = #"{"input":[1,4,4],"layers":[{"type":"conv2d","in":1,"out":3,"kernel":3,"padding":1},{"type":"softplus","beta":2},{"type":"flatten"},{"type":"linear","in":48,"out":4}]}"#
        return try Sequential(try Architecture(json: Data(json.utf8)), dtype: .float64, seed: 7)
    }

    private var images: Tensor { Tensor(randomShape: [batch, 1, 4, 4], .uniform(low: 0, high: 1), dtype: .float64, seed: 8) }
    private let labels = [2, 0]

    /// Column i of every sample's matrix, one batched product with e_i per sample.
    private func dense(_ apply: ([Double]) throws -> [Double]) rethrows -> [[Double]] {
        var matrices = [[Double]](repeating: [Double](repeating: 0, count: d * d), count: batch)
        for i in 0..<d {
            var e = [Double](repeating: 0, count: batch * d)
            for b in 0..<batch { e[b * d + i] = 1 }
            let column = try apply(e)
            for b in 0..<batch { for j in 0..<d { matrices[b][j * d + i] = column[b * d + j] } }
        }
        return matrices
    }

    private func assertClose(_ a: [[Double]], _ b: [[Double]], _ what: String, tolerance: Double = 1e-8,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, "\(what): matrices", file: file, line: line)
        for (n, (x, y)) in zip(a, b).enumerated() {
            assertMaxError(x, y, within: tolerance, by: .relativeToLargest(floor: 1e-3), "\(what), sample \(n)", file: file, line: line)
        }
    }

    func testPartsMatchTheirDefinitions() throws {
        let model = try network()
        let classifier: Classifier = { model($0) }
        let x = images
        let logits = evaluate(classifier, x).scalars
        // J: row c of sample b's Jacobian is ∇ₓ z_{b,c}.
        var jacobian = [[Double]](repeating: [Double](repeating: 0, count: classes * d), count: batch)
        for c in 0..<classes {
            let point = HessianAtPoint(of: { sum(gatherRows(classifier($0), classes: [Int](repeating: c, count: self.batch))) }, at: x)
            let g = point.gradient.value.scalars
            for b in 0..<batch { for i in 0..<d { jacobian[b][c * d + i] = g[b * d + i] } }
        }
        // ∇²z_c for every class, and p, g = p − e_y.
        let second = try (0..<classes).map { c -> [[Double]] in
            let point = HessianAtPoint(of: { sum(gatherRows(classifier($0), classes: [Int](repeating: c, count: self.batch))) }, at: x)
            return dense { point.product(along: Tensor(shape: x.shape, scalars: $0, dtype: .float64)).scalars }
        }
        var gaussNewton = [[Double]](), residual = [[Double]]()
        for b in 0..<batch {
            let z = Array(logits[(b * classes)..<((b + 1) * classes)]), top = z.max()!
            let e = z.map { Foundation.exp($0 - top) }, p = e.map { $0 / e.reduce(0, +) }
            var gn = [Double](repeating: 0, count: d * d), r = [Double](repeating: 0, count: d * d)
            for i in 0..<d {
                for j in 0..<d {
                    for k in 0..<classes {
                        for l in 0..<classes {
                            let a = (k == l ? p[k] : 0) - p[k] * p[l]
                            gn[i * d + j] += jacobian[b][k * d + i] * a * jacobian[b][l * d + j]
                        }
                        r[i * d + j] += (p[k] - (k == labels[b] ? 1 : 0)) * second[k][b][i * d + j]
                    }
                }
            }
            gaussNewton.append(gn)
            residual.append(r)
        }
        let full = try dense { try ExactInputHessian(model: classifier, images: x, labels: labels, sampleIndices: [0, 1]).apply($0) }
        assertClose(zip(gaussNewton, residual).map { zip($0, $1).map(+) }, full, "the definitions add up to the Hessian")
        for (part, expected) in [(HessianPart.full, full), (.gaussNewton, gaussNewton), (.residual, residual)] {
            let op = try InputHessianPart(model: classifier, images: x, labels: labels, sampleIndices: [0, 1], part: part, objective: .loss)
            assertClose(try dense { try op.apply($0) }, expected, "\(part)")
        }
    }

    func testMarginHessianMatchesCentralDifferencesOfItsGradient() throws {
        let model = try network()
        let classifier: Classifier = { model($0) }
        let x = images
        let op = try InputHessianPart(model: classifier, images: x, labels: labels, sampleIndices: [0, 1], part: .full, objective: .margin)
        let others = op.runnerUp
        XCTAssertTrue(zip(others, labels).allSatisfy { $0 != $1 })
        func marginGradient(_ at: Tensor) -> [Double] {
            HessianAtPoint(of: { z in let out = classifier(z); return sum(gatherRows(out, classes: self.labels) - gatherRows(out, classes: others)) },
                           at: at, keepingGraph: false).gradient.value.scalars
        }
        let step = 1e-5
        let differences = dense { e -> [Double] in
            let plus = marginGradient(x + Tensor(shape: x.shape, scalars: e.map { $0 * step }, dtype: .float64))
            let minus = marginGradient(x - Tensor(shape: x.shape, scalars: e.map { $0 * step }, dtype: .float64))
            return zip(plus, minus).map { ($0 - $1) / (2 * step) }
        }
        assertClose(try dense { try op.apply($0) }, differences, "margin Hessian", tolerance: 1e-6)
        let residual = try InputHessianPart(model: classifier, images: x, labels: labels, sampleIndices: [0, 1], part: .residual, objective: .margin)
        assertClose(try dense { try residual.apply($0) }, try dense { try op.apply($0) }, "the margin is all residual")
        XCTAssertThrowsError(try InputHessianPart(model: classifier, images: x, labels: labels, sampleIndices: [0, 1], part: .gaussNewton, objective: .margin)) { error in
            XCTAssertEqual("\(error)", "`part` gauss-newton has no effect with `objective` margin: the margin is linear in the logits, its Gauss–Newton part is zero")
        }
    }

    /// The small-matrix route gives the Gauss–Newton part's spectrum exactly: against LAPACK on the
    /// dense Gauss–Newton part of a smooth network, and on the full exact Hessian of a ReLU network
    /// (where the two are the same), where SpectrumJob takes it instead of Lanczos.
    func testGaussNewtonRouteGivesTheExactSpectrum() throws {
        let smooth = try network()
        let relu = try Sequential(try Architecture(json: Data(#"{"input":[1,4,4],"layers":[{"type":"conv2d","in":1,"out":3,"kernel":3,"padding":1},{"type":"relu"},{"type":"maxpool2d","kernel":2},{"type":"flatten"},{"type":"linear","in":12,"out":4}]}"#.utf8)),
                                  dtype: .float64, seed: 9)
        XCTAssertTrue(relu.isPiecewiseLinear)
        XCTAssertFalse(smooth.isPiecewiseLinear)
        let x = images
        for (model, part) in [(smooth, HessianPart.gaussNewton), (relu, .full)] {
            let classifier: Classifier = { model($0) }
            let op = try InputHessianPart(model: classifier, images: x, labels: labels, sampleIndices: [0, 1], part: part, objective: .loss)
            let dense = try denseEigen(op)
            let fast = try GaussNewtonSpectrum(model: classifier, images: x, labels: labels)
            for b in 0..<batch {
                let scale = dense[b].eigenvalues[0]
                XCTAssertGreaterThan(scale, 1e-6)
                for k in 0..<classes { XCTAssertEqual(fast.eigenvalues[b][k], dense[b].eigenvalues[k], accuracy: 1e-10 * scale, "\(part) λ\(k + 1)") }
                for k in classes..<d { XCTAssertEqual(dense[b].eigenvalues[k], 0, accuracy: 1e-10 * scale, "rank ≤ C − 1") }
                XCTAssertTrue(fast.residuals[b].allSatisfy { $0 < 1e-12 * Swift.max(scale, 1) })
            }
            // SpectrumJob: the route and Lanczos on the same operator agree on the top k.
            var settings = SpectrumSettings()
            (settings.k, settings.steps, settings.part, settings.piecewiseLinear) = (3, 16, part, model.isPiecewiseLinear)
            let lanczosRows = try SpectrumJob(model: classifier, settings: settings).rows(for: Batch(images: x, labels: labels, indices: [0, 1]))
            settings.gaussNewtonRoute = true
            XCTAssertTrue(settings.takesGaussNewtonRoute)
            let routeRows = try SpectrumJob(model: classifier, settings: settings).rows(for: Batch(images: x, labels: labels, indices: [0, 1]))
            XCTAssertEqual(routeRows.map(\.rank), lanczosRows.map(\.rank))
            assertMaxError(routeRows.map(\.eigenvalue), lanczosRows.map(\.eigenvalue), within: 1e-9, by: .relative(floor: 1e-3), "\(part): route against Lanczos")
        }
        // A smooth network's full Hessian is not Gauss–Newton only: no route there.
        var settings = SpectrumSettings()
        (settings.gaussNewtonRoute, settings.piecewiseLinear) = (true, false)
        XCTAssertFalse(settings.takesGaussNewtonRoute)
    }
}
