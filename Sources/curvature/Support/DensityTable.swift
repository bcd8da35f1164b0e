import Curvature
import Foundation

/// A density CSV, `[model,]sample,lambda,density`: each model's samples, each sample's density on
/// its own grid of λ (as `curvature density` writes it without --lambda-min/--lambda-max).
struct DensityTable {
    /// One sample's density at ascending λ.
    struct Curve: Equatable {
        var lambda: [Double] = []
        var density: [Double] = []
    }

    /// Whether the CSV has a column model.
    var named: Bool
    /// The models in order of first appearance (one, named "", without a column model), each with
    /// its samples in order of first appearance.
    var models: [(name: String, curves: [Curve])]

    init(csvAt path: String) throws {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw InputError("cannot read \(path): \(fileProblem(error, path: path))")
        }
        try self.init(csv: text, source: path)
    }

    init(csv text: String, source: String) throws {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard !lines.isEmpty else { throw InputError("\(source) is empty") }
        let header = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: CharacterSet.whitespacesAndNewlines.union(CharacterSet(charactersIn: "\"\u{FEFF}")))
        }
        func index(_ name: String) throws -> Int {
            guard let i = header.firstIndex(of: name) else { throw InputError("\(source) has no column '\(name)'") }
            return i
        }
        let model = header.firstIndex(of: "model"), sample = try index("sample")
        let lambda = try index("lambda"), density = try index("density")
        let needed = Swift.max(model ?? 0, sample, lambda, density) + 1
        named = model != nil
        models = []
        var modelIndex: [Substring: Int] = [:]
        var sampleIndex: [[Substring: Int]] = []
        for (number, line) in lines.enumerated() {
            let line = line.hasSuffix("\r") ? line.dropLast() : line
            if line.allSatisfy(\.isWhitespace) { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            let trimmed = { (i: Int) in Substring(fields[i].trimmingCharacters(in: .whitespaces)) }
            guard fields.count >= needed, let x = Double(trimmed(lambda)), let y = Double(trimmed(density)), x.isFinite, y.isFinite else {
                throw InputError("\(source), line \(number + 2): no finite λ and density in '\(line.prefix(80))'")
            }
            let name = model.map(trimmed) ?? ""
            let m: Int
            if let known = modelIndex[name] { m = known } else {
                m = models.count
                modelIndex[name] = m
                models.append((String(name), []))
                sampleIndex.append([:])
            }
            let key = trimmed(sample)
            let s: Int
            if let known = sampleIndex[m][key] { s = known } else {
                s = models[m].curves.count
                sampleIndex[m][key] = s
                models[m].curves.append(Curve())
            }
            models[m].curves[s].lambda.append(x)
            models[m].curves[s].density.append(y)
        }
        guard !models.isEmpty else { throw InputError("\(source) has a header but no data rows") }
        for m in models.indices {
            for s in models[m].curves.indices where !zip(models[m].curves[s].lambda, models[m].curves[s].lambda.dropFirst()).allSatisfy({ $0 <= $1 }) {
                let curve = models[m].curves[s]
                let order = curve.lambda.indices.sorted { curve.lambda[$0] < curve.lambda[$1] }
                models[m].curves[s] = Curve(lambda: order.map { curve.lambda[$0] }, density: order.map { curve.density[$0] })
            }
        }
    }

    /// The grid of λ every mean is taken on: the union of all samples' grids (of all models), or,
    /// past `limit` points, `limit` points evenly spaced from the smallest λ to the largest.
    func commonGrid(limit: Int = 20_000) -> [Double] {
        var all: [Double] = []
        for model in models { for curve in model.curves { all += curve.lambda } }
        all.sort()
        var grid: [Double] = []
        for x in all where grid.last != x { grid.append(x) }
        guard grid.count > limit, let low = grid.first, let high = grid.last else { return grid }
        return (0..<limit).map { low + (high - low) * Double($0) / Double(limit - 1) }
    }

    /// The mean of `curves` at each λ of the ascending `grid`: each curve interpolated linearly
    /// between its points, and 0 outside its own grid.
    static func mean(of curves: [Curve], on grid: [Double]) -> [Double] {
        var sum = [Double](repeating: 0, count: grid.count)
        guard !curves.isEmpty else { return sum }
        for curve in curves {
            guard let first = curve.lambda.first, let last = curve.lambda.last else { continue }
            // The first grid point at or past the curve's first λ
            var low = 0, high = grid.count
            while low < high {
                let middle = (low + high) / 2
                if grid[middle] < first { low = middle + 1 } else { high = middle }
            }
            var j = 0
            var g = low
            while g < grid.count, grid[g] <= last {
                let x = grid[g]
                while j + 1 < curve.lambda.count, curve.lambda[j + 1] < x { j += 1 }
                if j + 1 == curve.lambda.count {
                    sum[g] += curve.density[j]
                } else {
                    let (x0, x1) = (curve.lambda[j], curve.lambda[j + 1])
                    let (y0, y1) = (curve.density[j], curve.density[j + 1])
                    sum[g] += x1 > x0 ? y0 + (y1 - y0) * (x - x0) / (x1 - x0) : (y0 + y1) / 2
                }
                g += 1
            }
        }
        return sum.map { $0 / Double(curves.count) }
    }

    /// The CSV density.gp draws as the mean (its variable mean): `[model,]lambda,density`, each
    /// model's mean over its samples on the common grid, models in order of first appearance.
    func meansCSV() -> String {
        let grid = commonGrid()
        var lines = [named ? "model,lambda,density" : "lambda,density"]
        for model in models {
            let prefix = named ? model.name + "," : ""
            for (x, y) in zip(grid, Self.mean(of: model.curves, on: grid)) {
                lines.append(prefix + String(format: "%.10g,%.10g", x, y))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
