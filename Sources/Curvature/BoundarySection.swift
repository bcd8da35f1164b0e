import Autodiff
import Randomness
import Robustness
import Spectra
import Tensors

/// The second direction of a cross-section.
public enum SectionDirection: String, Sendable, CaseIterable {
    /// The boundary's principal direction of largest curvature at the nearest boundary point.
    case principal
    /// A random direction (seeded).
    case random
    /// The input gradient of the margin at x (a random one where that is parallel to e₁, as
    /// for a ball).
    case gradient
}

/// A 2-D cross-section of one model's decision regions through a sample x: the plane
/// x + a·e₁ + b·e₂, e₁ the unit direction to the nearest boundary point x_b, e₂ a second unit
/// direction orthogonal to it. Distances are in the image's units (ℓ2 of pixels in [0, 1]).
public struct BoundarySection {
    /// One grid point: the coordinates, the predicted class and the margin
    /// z_y − max_{k≠y} z_k of the sample's class y (positive inside y's region; its zero level is
    /// the boundary).
    public struct Point: Equatable, Sendable {
        public var a: Double, b: Double
        public var predicted: Int
        public var margin: Double
    }

    public var points: [Point]
    /// ‖x_b − x‖, the position of x_b on the a axis (nil when no boundary point was found).
    public var boundaryDistance: Double?
    /// The sample's class y (its prediction) and the class across the nearest boundary.
    public var label: Int, target: Int?

    /// The sample's class (its prediction) and its nearest boundary point, searched as
    /// ``BoundaryJob`` does by default.
    public static func nearestPoint(model: Classifier, image: Tensor) -> (label: Int, point: NearestBoundarySearch.Point) {
        let y = predictions(evaluate(model, image))[0]
        let search = NearestBoundarySearch(tolerance: BoundarySettings().searchTolerance(for: image.dtype))
        return (y, search.search(model, images: image, labels: [y])[0])
    }

    /// Computes the section of `model` through `image` (one sample, [1, C, H, W]) on an N × N grid
    /// over [−extent, extent]².
    /// - Parameter nearest: ``nearestPoint(model:image:)`` when already known.
    public static func compute(model: @escaping Classifier, image: Tensor, sampleIndex: Int, direction: SectionDirection, extent: Double,
                               grid: Int, seed: UInt64, nearest: (label: Int, point: NearestBoundarySearch.Point)? = nil) throws -> BoundarySection {
        let d = image.count
        let x = image.scalars
        let (y, found) = nearest ?? nearestPoint(model: model, image: image)
        var e1: [Double]
        var boundaryDistance: Double?
        if found.converged, found.distance > 0 {
            e1 = zip(found.point, x).map { $0 - $1 }
            boundaryDistance = found.distance
        } else {
            // No boundary point: the direction in which the margin falls fastest.
            e1 = marginGradient(model, image, label: y).map { -$0 }
        }
        normalize(&e1)
        var e2: [Double]
        switch direction {
        case .gradient:
            e2 = marginGradient(model, image, label: y)
        case .random:
            e2 = randomDirection(d, sampleIndex: sampleIndex, seed: seed)
        case .principal:
            guard found.converged else { throw RunError("sample \(sampleIndex): no boundary point, so no principal direction; use another direction") }
            let shape = BoundaryShapeOperator(model: model, points: Tensor(shape: image.shape, scalars: found.point, dtype: image.dtype),
                                              labels: [y], targets: [found.target], sampleIndices: [sampleIndex])
            var settings = BoundarySettings()
            settings.seed = seed
            var options = settings.lanczosOptions(wanted: .largest(1), dtype: image.dtype)
            options.wantVectors = true
            e2 = try blockLanczos(shape, options: options)[0].ritzVectors ?? []
        }
        func orthogonalized(_ v: [Double]) -> [Double]? {
            let length = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let along = zip(e1, v).reduce(0) { $0 + $1.0 * $1.1 }
            var w = v
            for i in 0..<d { w[i] -= along * e1[i] }
            // A direction (nearly) parallel to e₁ leaves only rounding: it spans no plane.
            guard w.reduce(0, { $0 + $1 * $1 }).squareRoot() > 1e-6 * length else { return nil }
            normalize(&w)
            return w
        }
        guard let second = orthogonalized(e2) ?? orthogonalized(randomDirection(d, sampleIndex: sampleIndex, seed: seed)) else {
            throw RunError("sample \(sampleIndex): no second direction orthogonal to the first")
        }
        e2 = second

        let steps = (0..<grid).map { grid == 1 ? 0 : -extent + 2 * extent * Double($0) / Double(grid - 1) }
        var points: [Point] = []
        // One row of the grid per forward pass.
        for b in steps {
            var pixels = [Double]()
            pixels.reserveCapacity(grid * d)
            for a in steps { for i in 0..<d { pixels.append(x[i] + a * e1[i] + b * e2[i]) } }
            let logits = evaluate(model, Tensor(shape: [grid] + Array(image.shape.dropFirst()), scalars: pixels, dtype: image.dtype))
            let predicted = predictions(logits)
            let margins = decisionMargins(logits.scalars, classes: logits.shape[1], labels: [Int](repeating: y, count: grid))
            for (column, a) in steps.enumerated() {
                points.append(Point(a: a, b: b, predicted: predicted[column], margin: margins[column]))
            }
        }
        return BoundarySection(points: points, boundaryDistance: boundaryDistance, label: y, target: found.converged ? found.target : nil)
    }

    /// A seeded normal vector, the sample's own (its stream apart from Lanczos' starts).
    static func randomDirection(_ d: Int, sampleIndex: Int, seed: UInt64) -> [Double] {
        var generator = Xoshiro256StarStar(seed: seed ^ 0x5ec7_1011, stream: UInt64(sampleIndex))
        return (0..<d).map { _ in generator.normal() }
    }

    /// ∇ₓ(z_y − max_{k≠y} z_k) at the image, the strongest other class held.
    static func marginGradient(_ model: Classifier, _ image: Tensor, label y: Int) -> [Double] {
        let input = Variable(image, requiresGradient: true)
        let z = model(input)
        let other = InputHessianPart.strongestOtherClasses(z.value, labels: [y])
        return gradients(of: sum(gatherRows(z, classes: [y]) - gatherRows(z, classes: other)), withRespectTo: [input])[0].value.scalars
    }

    private static func normalize(_ v: inout [Double]) {
        let length = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if length > 0 { for i in v.indices { v[i] /= length } }
    }
}
