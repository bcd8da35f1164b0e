import Foundation

/// A cross-section as `curvature section` writes it, with a boundary known in closed form.
public struct SectionFixture: Sendable {
    /// A model: `distance` d to its boundary point x_b = (d, 0) (nil: no boundary in the plane)
    /// and the boundary's curvature c there.
    public struct Model: Sendable {
        public var name: String
        public var distance: Double?
        public var curvature: Double

        public init(_ name: String, distance: Double?, curvature: Double = 0) {
            (self.name, self.distance, self.curvature) = (name, distance, curvature)
        }

        /// The margin at (a, b): d − a − c·b²/2, whose zero level is the parabola a = d − c·b²/2
        /// through x_b; 3 − a (no zero in the square) without a boundary.
        public func margin(_ a: Double, _ b: Double) -> Double {
            guard let distance else { return 3 - a }
            return distance - a - curvature * b * b / 2
        }

        /// Class 3, the sample's, where the margin is positive; 5 above the a axis and 7 below it past the boundary.
        public func predicted(_ a: Double, _ b: Double) -> Int { margin(a, b) > 0 ? 3 : b > 0 ? 5 : 7 }
    }

    public var models: [Model]
    /// Grid points per side, over [−2, 2]².
    public var side: Int

    public init(_ models: [Model], side: Int) { (self.models, self.side) = (models, side) }

    /// The grid's coordinates, from −2 to 2.
    public var steps: [Double] { (0..<side).map { -2 + 4 * Double($0) / Double(side - 1) } }

    /// `model,a,b,predicted,margin`: each model's grid, a fastest, then b.
    public var rows: [String] {
        var rows = ["model,a,b,predicted,margin"]
        for model in models {
            for b in steps { for a in steps { rows.append("\(model.name),\(a),\(b),\(model.predicted(a, b)),\(model.margin(a, b))") } }
        }
        return rows
    }

    /// `model,point,a,b`: x at (0, 0) and, where there is one, x_b at (d, 0).
    public var marks: [String] {
        ["model,point,a,b"] + models.flatMap { model in
            ["\(model.name),x,0,0"] + (model.distance.map { ["\(model.name),boundary,\($0),0"] } ?? [])
        }
    }

    /// The series section.gp draws for each panel, in order: the class map, the boundary, x, and
    /// x_b twice (its white disc, then its black ring).
    public static let seriesPerPanel = 5

    /// Checks the series of a section figure's table against the fixture; returns what differs.
    public func problems(in series: [PlottedSeries]) -> [String] {
        guard series.count == models.count * Self.seriesPerPanel else {
            return ["\(series.count) series, expected \(Self.seriesPerPanel) for each of \(models.count) panels"]
        }
        var problems: [String] = []
        for (i, model) in models.enumerated() {
            let map = series[Self.seriesPerPanel * i], boundary = series[Self.seriesPerPanel * i + 1]
            let grid = steps.flatMap { b in steps.map { a in [a, b, Double(model.predicted(a, b))] } }
            if !(map.points.count == grid.count && (0..<3).allSatisfy { c in PlottedSeries.close(map.column(c), grid.map { $0[c] }) }) {
                problems.append("\(model.name): the class map is not the grid's predicted classes")
            }
            let drawn = boundary.points.filter { $0.count >= 2 && $0[0].isFinite && $0[1].isFinite }
            if let d = model.distance {
                // Linear interpolation between grid points: exact along a (the margin is linear in a), within c·Δb²/8 along b.
                let step = 4 / Double(side - 1), tolerance = model.curvature * step * step / 8 + 1e-5
                if drawn.isEmpty || drawn.contains(where: { abs($0[0] - (d - model.curvature * $0[1] * $0[1] / 2)) > tolerance }) {
                    problems.append("\(model.name): the boundary drawn is not margin = 0: \(boundary.points.prefix(5))…")
                }
                for k in [3, 4] where !PlottedSeries.close(series[Self.seriesPerPanel * i + k].points.first ?? [], [d, 0]) {
                    problems.append("\(model.name): x_b drawn at \(series[Self.seriesPerPanel * i + k].points), expected (\(d), 0)")
                }
            } else if !drawn.isEmpty {
                problems.append("\(model.name): a boundary drawn where the margin has no zero")
            }
            if !PlottedSeries.close(series[Self.seriesPerPanel * i + 2].points.first ?? [], [0, 0]) {
                problems.append("\(model.name): x drawn at \(series[Self.seriesPerPanel * i + 2].points), expected (0, 0)")
            }
        }
        return problems
    }
}
