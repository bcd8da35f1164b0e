import Curvature
import Foundation
import TestSupport
import XCTest

/// The boundary job on classifiers whose boundaries are known in closed form: a hyperplane (every
/// principal curvature 0), a ball of radius R (every one +1/R, distance R − ‖x − c‖) and a
/// cylinder S² × R^{d−3} (1/R in its two curved tangent directions, 0 in the rest).
final class BoundaryTests: XCTestCase {
    private let side = 4
    private var d: Int { side * side }
    private let radius = 0.5

    /// Two logits, z₀ = (R² − Σ_{i∈S} (x_i − c_i)²)/(2R) and z₁ = 0: class 0 inside the ball (all
    /// coordinates in S) or the cylinder (three), so ∇²g = −I_S/R and ‖∇g‖ = 1 on the boundary.
    private func quadric(curvedCoordinates: Int, center: Double = 0.5) -> Classifier {
        let (d, radius) = (d, radius)
        return { x in
            let flat = flatten(x)
            let c = Tensor(shape: [1, d], scalars: [Double](repeating: center, count: d), dtype: x.value.dtype)
            let mask = Tensor(shape: [1, d], scalars: (0..<d).map { $0 < curvedCoordinates ? 1.0 : 0 }, dtype: x.value.dtype)
            let squared = sum(square(flat - Variable(c)) * Variable(mask), alongAxes: [1], keepingDimensions: true)
            return Self.twoLogits(squared, slope: -1 / (2 * radius), intercept: radius / 2)
        }
    }

    /// z₀ = w·x + b, z₁ = 0.
    private func hyperplane(_ w: [Double], _ b: Double) -> Classifier {
        let d = d
        return { x in
            let column = Tensor(shape: [d, 1], scalars: w, dtype: x.value.dtype)
            return Self.twoLogits(matmul(flatten(x), Variable(column)), slope: 1, intercept: b)
        }
    }

    /// [N, 1] values s ↦ logits [slope·s + intercept, 0].
    private static func twoLogits(_ s: Variable, slope: Double, intercept: Double) -> Variable {
        let weight = Tensor(shape: [1, 2], scalars: [slope, 0], dtype: s.value.dtype)
        let bias = Tensor(shape: [1, 2], scalars: [intercept, 0], dtype: s.value.dtype)
        return matmul(s, Variable(weight)) + Variable(bias)
    }

    /// Three samples inside class 0's region, at known offsets from the center.
    private func batch(_ dtype: DType, offsets: [Double] = [0.2, 0.1, 0.3]) -> Batch {
        var pixels: [Double] = []
        for (s, offset) in offsets.enumerated() {
            // Along a different unit direction for each sample, inside the curved coordinates.
            var x = [Double](repeating: 0.5, count: d)
            x[s % 3] += offset
            pixels += x
        }
        return Batch(images: Tensor(shape: [offsets.count, 1, side, side], scalars: pixels, dtype: dtype),
                     labels: [Int](repeating: 0, count: offsets.count), indices: Array(0..<offsets.count))
    }

    private func run(_ model: @escaping Classifier, _ dtype: DType, k: Int, end: SpectrumEnd = .largest) throws -> [BoundaryRow] {
        var settings = BoundarySettings()
        (settings.k, settings.end) = (k, end)
        return try BoundaryJob(model: model, settings: settings).rows(for: batch(dtype))
    }

    private func tolerance(_ dtype: DType) -> Double { dtype == .float64 ? 1e-8 : 1e-4 }

    func testBallEveryPrincipalCurvatureIsOneOverRAndTheDistanceIsRMinusTheOffset() throws {
        for dtype in [DType.float64, .float32] {
            let rows = try run(quadric(curvedCoordinates: d), dtype, k: 4)
            XCTAssertEqual(rows.count, 3 * 4)
            XCTAssertTrue(rows.allSatisfy { $0.status == .ok && $0.converged && $0.target == 1 })
            assertMaxError(rows.map { $0.curvature! }, [Double](repeating: 1 / radius, count: 12), within: tolerance(dtype) / radius,
                           "\(dtype) curvatures")
            assertMaxError(rows.map { $0.distance! }, [0.2, 0.1, 0.3].flatMap { [Double](repeating: radius - $0, count: 4) },
                           within: tolerance(dtype), "\(dtype) distances")
            assertMaxError(rows.map { $0.normalCosine! }, [Double](repeating: 1, count: 12), within: tolerance(dtype), "\(dtype) cosines")
            assertMaxError(rows.map { $0.gradientNorm! }, [Double](repeating: 1, count: 12), within: tolerance(dtype), "\(dtype) ‖∇g‖")
            XCTAssertEqual(rows.prefix(4).map { $0.rank! }, [1, 2, 3, 4])
        }
    }

    func testCylinderCurvesInTwoTangentDirectionsAndIsFlatInTheRest() throws {
        for dtype in [DType.float64, .float32] {
            let top = try run(quadric(curvedCoordinates: 3), dtype, k: 3)
            XCTAssertTrue(top.allSatisfy { $0.status == .ok && $0.converged })
            let perSample: [Double] = [1 / radius, 1 / radius, 0]
            assertMaxError(top.map { $0.curvature! }, Array([[Double]](repeating: perSample, count: 3).joined()),
                           within: tolerance(dtype) / radius, "\(dtype) largest")
            let bottom = try run(quadric(curvedCoordinates: 3), dtype, k: 2, end: .smallest)
            assertMaxError(bottom.map { $0.curvature! }, [Double](repeating: 0, count: 6), within: tolerance(dtype) / radius, "\(dtype) smallest")
            XCTAssertEqual(bottom.prefix(2).map { $0.rank! }, [d - 2, d - 1], "ranks count the d − 1 tangent directions")
            let both = try run(quadric(curvedCoordinates: 3), dtype, k: 2, end: .both)
            XCTAssertEqual(both.prefix(4).map { $0.rank! }, [1, 2, d - 2, d - 1])
            assertMaxError(both.map { $0.curvature! }, Array([[Double]](repeating: [1 / radius, 1 / radius, 0, 0], count: 3).joined()),
                           within: tolerance(dtype) / radius, "\(dtype) both ends")
        }
    }

    func testHyperplaneIsFlatAtItsDistance() throws {
        var w = [Double](repeating: 0, count: d)
        (w[0], w[1]) = (-3, -4)  // ‖w‖ = 5; the plane lies at w·x + b = 0
        let b = 3.5 + 0.25 * 5  // at the samples w·x = −3.5 − 3·offset (first coordinate) or −4·offset …
        for dtype in [DType.float64, .float32] {
            let rows = try run(hyperplane(w, b), dtype, k: 2)
            let expected = batch(.float64).images.scalars.chunked(d).map { x in Swift.abs(zip(w, x).reduce(b) { $0 + $1.0 * $1.1 }) / 5 }
            XCTAssertTrue(rows.allSatisfy { $0.status == .ok })
            assertMaxError(rows.map { $0.curvature! }, [Double](repeating: 0, count: 6), within: 1e-12, "\(dtype): ∇²g = 0")
            assertMaxError(rows.map { $0.distance! }, expected.flatMap { [$0, $0] }, within: tolerance(dtype), "\(dtype) distances")
        }
    }

    /// The point found is on the boundary: just short of it the label wins, just past it the target.
    func testBoundaryPointsSeparateTheTwoClasses() throws {
        let model = quadric(curvedCoordinates: d)
        let images = batch(.float64)
        var settings = BoundarySettings()
        settings.k = 1
        let points = try BoundaryJob(model: model, settings: settings).rowsAndPoints(for: images).points.map { try XCTUnwrap($0) }
        for (b, point) in points.enumerated() {
            let x = Array(images.images.scalars[(b * d)..<((b + 1) * d)])
            let towards = zip(point, x).map { $0 - $1 }
            let length = towards.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for (step, expected) in [(-1e-6, 0), (1e-6, 1)] {
                let probe = zip(point, towards).map { $0 + step * $1 / length }
                let logits = evaluate(model, Tensor(shape: [1, 1, side, side], scalars: probe, dtype: .float64))
                XCTAssertEqual(predictions(logits), [expected], "sample \(b), \(step) along x_b − x")
            }
        }
    }

    func testMisclassifiedSamplesGetOneRowSayingSo() throws {
        let model = quadric(curvedCoordinates: d)
        let images = batch(.float64)
        let relabelled = Batch(images: images.images, labels: [0, 1, 0], indices: [7, 8, 9])
        let rows = try BoundaryJob(model: model, settings: BoundarySettings()).rows(for: relabelled)
        let missing = rows.filter { $0.sample == 8 }
        XCTAssertEqual(missing.count, 1)
        XCTAssertEqual(missing[0].status, .misclassified)
        XCTAssertEqual(missing[0].csv(dtype: .float64), "8,1,0,,,,,,,,misclassified,false")
        XCTAssertEqual(rows.filter { $0.sample == 7 }.count, 15, "k = 20 is capped at d − 1 = 15")
        // A finite-scale run with interpretability: every row has as many fields as the header.
        var finite = BoundarySettings()
        (finite.finiteScales, finite.randomDirections, finite.interpretability) = ([0.05], 1, true)
        let header = BoundaryRow.header(for: finite).split(separator: ",").count
        let finiteRows = try BoundaryJob(model: model, settings: finite).rows(for: relabelled)
        let misclassified = try XCTUnwrap(finiteRows.first { $0.sample == 8 }).csv(dtype: .float64)
        XCTAssertTrue(misclassified.hasPrefix("8,1,0,,,,,,,,misclassified,false,,,"), "empty h and direction: \(misclassified)")
        for row in finiteRows {
            XCTAssertEqual(row.csv(dtype: .float64).split(separator: ",", omittingEmptySubsequences: false).count, header, row.csv(dtype: .float64))
        }
    }

    /// At a finite scale the ball's offset is exact geometry: o(s) = R − √(R² − s²) in every tangent
    /// direction, so κ_h = 2(R − √(R² − h²))/h², which tends to 1/R.
    func testFiniteScaleCurvatureOfABallIsItsChordGeometry() throws {
        var settings = BoundarySettings()
        (settings.k, settings.finiteScales, settings.randomDirections) = (2, [0.05, 0.2], 3)
        let rows = try BoundaryJob(model: quadric(curvedCoordinates: d), settings: settings).rows(for: batch(.float64))
        XCTAssertEqual(rows.count, 3 * 2 * (2 + 3), "samples × scales × (principal + random) directions")
        for row in rows {
            let h = try XCTUnwrap(row.h)
            let exact = 2 * (radius - (radius * radius - h * h).squareRoot()) / (h * h)
            XCTAssertEqual(try XCTUnwrap(row.curvature), exact, accuracy: 2 * settings.finiteTolerance + 1e-9, "\(row.direction ?? "") h \(h)")
            XCTAssertTrue(row.converged)
            XCTAssertEqual(row.status, .ok)
        }
        XCTAssertEqual(Set(rows.compactMap(\.direction)), ["principal", "random-1", "random-2", "random-3"])
        XCTAssertTrue(rows.last!.csv(dtype: .float64).hasSuffix(",0.2,random-3"))
    }

    /// On a smooth network, κ_h along the exact principal directions tends to the exact principal
    /// curvatures as h → 0 (the offset's error is O(h³), so κ_h's is O(h)).
    func testFiniteScaleTendsToTheExactCurvaturesOnASmoothNetwork() throws {
        let json = #"{"input":[1,4,4],"layers":[{"type":"flatten"},{"type":"linear","in":16,"out":12},{"type":"softplus","beta":3},{"type":"linear","in":12,"out":3}]}"#
        let network = try Sequential(try Architecture(json: Data(json.utf8)), dtype: .float64, seed: 5)
        let model: Classifier = { network($0) }
        let images = batch(.float64)
        let predicted = predictions(evaluate(model, images.images))
        let own = Batch(images: images.images, labels: predicted, indices: images.indices)
        var settings = BoundarySettings()
        settings.k = 3
        let exact = try BoundaryJob(model: model, settings: settings).rows(for: own)
        XCTAssertTrue(exact.allSatisfy { $0.status == .ok }, "\(exact.map(\.status))")
        var errors: [Double] = []
        for h in [1e-2, 1e-3] {
            settings.finiteScales = [h]
            settings.randomDirections = 0
            let finite = try BoundaryJob(model: model, settings: settings).rows(for: own)
            XCTAssertEqual(finite.count, exact.count)
            let scale = exact.map { Swift.abs($0.curvature!) }.max()!
            errors.append(zip(finite, exact).map { Swift.abs($0.curvature! - $1.curvature!) / scale }.max()!)
        }
        XCTAssertLessThan(errors[1], 1e-2, "h = 1e-3: \(errors)")
        XCTAssertLessThan(errors[1], errors[0], "the error falls with h: \(errors)")
    }

    /// In a ball the saliency map ∇z₀ = −(x − c)/R and the minimal perturbation both lie along
    /// x − c, so both alignments are |⟨x, x − c⟩|/‖x − c‖ (Etmann et al.'s α) and the cosines that
    /// over ‖x‖.
    func testInterpretabilityColumnsOfABall() throws {
        var settings = BoundarySettings()
        (settings.k, settings.interpretability) = (1, true)
        let images = batch(.float64)
        var finite = settings
        (finite.finiteScales, finite.randomDirections) = ([0.1], 1)
        let rows = try BoundaryJob(model: quadric(curvedCoordinates: d), settings: settings).rows(for: images)
            + BoundaryJob(model: quadric(curvedCoordinates: d), settings: finite).rows(for: images)
        for row in rows {
            let x = Array(images.images.scalars[(row.sample * d)..<((row.sample + 1) * d)])
            let offset = x.map { $0 - 0.5 }
            let inner = Swift.abs(zip(x, offset).reduce(0) { $0 + $1.0 * $1.1 })
            let expected = inner / offset.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let cosine = expected / x.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let values = try XCTUnwrap(row.interpretability)
            assertMaxError([values.alignment, values.cosine, try XCTUnwrap(values.perturbationAlignment), try XCTUnwrap(values.perturbationCosine)],
                           [expected, cosine, expected, cosine], within: 1e-9, "sample \(row.sample)")
        }
        XCTAssertTrue(BoundaryRow.header(for: settings).hasSuffix(",converged,alignment,alignment_cosine,perturbation_alignment,perturbation_cosine"))
    }

    /// A section of the ball: the margin at x + a·e₁ + b·e₂ is (R² − ‖x + a·e₁ + b·e₂ − c‖²)/(2R), with
    /// e₁ along x_b − x (away from the center) and e₂ orthogonal to it; x_b at a = R − ‖x − c‖.
    func testSectionOfABallIsItsDisc() throws {
        let images = batch(.float64)
        let image = Tensor(shape: [1, 1, side, side], scalars: Array(images.images.scalars.prefix(d)), dtype: .float64)
        for direction in SectionDirection.allCases {
            let section = try BoundarySection.compute(model: quadric(curvedCoordinates: d), image: image, sampleIndex: 0, direction: direction,
                                                      extent: 0.6, grid: 7, seed: 1)
            XCTAssertEqual(section.points.count, 49)
            XCTAssertEqual(try XCTUnwrap(section.boundaryDistance), radius - 0.2, accuracy: 1e-9)
            XCTAssertEqual(section.label, 0)
            // ‖x − c‖ = 0.2 along e₁, so the point (a, b) lies at distance √((0.2 + a)² + b²) from c.
            let expected = section.points.map { (radius * radius - ((0.2 + $0.a) * (0.2 + $0.a) + $0.b * $0.b)) / (2 * radius) }
            assertMaxError(section.points.map(\.margin), expected, within: 1e-9, "\(direction)")
            XCTAssertTrue(section.points.allSatisfy { ($0.margin > 0) == ($0.predicted == 0) || Swift.abs($0.margin) < 1e-12 })
        }
    }

    func testSettingsRefuseWhatCannotBeComputed() throws {
        var settings = BoundarySettings()
        settings.k = 0
        XCTAssertThrowsError(try settings.validate(dimension: d)) { error in
            XCTAssertEqual("\(error)", "`k` must be ≥ 1, got 0")
        }
        settings.k = 3
        settings.searchTolerance = 0
        XCTAssertThrowsError(try settings.validate(dimension: d)) { error in
            XCTAssertEqual("\(error)", "`searchTolerance` must lie in (0, 1), got 0.0")
        }
    }

    /// Fitted to a piecewise-linear network a finite-scale run drops the principal directions (there
    /// are none) and then needs random ones; a smooth network keeps them.
    func testSettingsFittedToAPiecewiseLinearNetworkUseRandomDirectionsOnly() throws {
        func network(_ activation: String) throws -> Sequential {
            try Sequential(try Architecture(json: Data(#"{"input":[1,4,4],"layers":[{"type":"flatten"},{"type":"linear","in":16,"out":5},{"type":"\#(activation)"},{"type":"linear","in":5,"out":3}]}"#.utf8)),
                           dtype: .float64, seed: 1)
        }
        var settings = BoundarySettings()
        settings.finiteScales = [0.01]
        XCTAssertTrue(settings.fitted(to: try network("tanh")).principalDirections)
        let relu = settings.fitted(to: try network("relu"))
        XCTAssertFalse(relu.principalDirections)
        XCTAssertThrowsError(try relu.validate(dimension: d)) { error in
            XCTAssertTrue("\(error)".hasPrefix("`randomDirections` 0 at a finite scale on a network without principal directions"), "\(error)")
        }
        settings.randomDirections = 2
        XCTAssertNoThrow(try settings.fitted(to: try network("relu")).validate(dimension: d))
    }

    /// The boundary job has the per-sample jobs' shape: a generic caller gets one CSV line per row.
    func testBoundaryJobRunsAsASampleJob() throws {
        func lines<Job: SampleJob>(_ job: Job, _ batch: Batch) throws -> [String] { try job.rows(for: batch).map { $0.csv(dtype: .float64) } }
        var settings = BoundarySettings()
        settings.k = 2
        let job = BoundaryJob(model: quadric(curvedCoordinates: d), settings: settings)
        let rows = try job.rows(for: batch(.float64))
        XCTAssertEqual(try lines(job, batch(.float64)), rows.map { $0.csv(dtype: .float64) })
        XCTAssertEqual(rows.count, 3 * 2)
    }
}

private extension Array {
    func chunked(_ size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
