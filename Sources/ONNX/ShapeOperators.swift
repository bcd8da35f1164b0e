import Autodiff
import NN
import Tensors

extension Operators {
    /// Shape, Gather, Slice, Constant and friends, on values known at load.
    static func shapeArithmetic(_ c: NodeContext) throws -> [GraphValue] {
        switch c.node.opType {
        case "Shape":
            let shape: [Int]
            var batched = false
            switch try c.input(0) {
            case let .float(x, isBatched): (shape, batched) = (x.shape, isBatched)
            case let .integers(value): shape = value.shape
            }
            var values = shape
            if c.batchOnAxis0(batched) { values[0] = IntegerValue.batch }
            let start = try clampedIndex(c.int("start", default: 0), count: values.count)
            let end = try clampedIndex(c.int("end", default: values.count), count: values.count)
            return [.integers(IntegerValue(vector: Array(values[start..<Swift.max(start, end)])))]
        case "Constant":
            return [try constantValue(c)]
        case "ConstantOfShape":
            let shape = try c.integers(0)
            guard !shape.dependsOnBatch, shape.values.allSatisfy({ $0 >= 0 }) else { throw c.fail("shape \(shape.description) is not fixed at load") }
            try c.checkSize(shape.values, batched: false, "shape")
            let fill: DecodedTensor = try c.attribute("value").map { try $0.t.decoded(as: c.dtype, what: c.label) }
                ?? .floating(Tensor(zeros: [1], dtype: c.dtype), .float)
            if case let .floating(t, _) = fill, t.count != 1 { throw c.fail("value should be one number, found \(Shape.describe(t.shape))") }
            switch fill {
            case let .floating(t, _): return [.float(Variable(Tensor(repeating: t[flat: 0], shape: shape.values, dtype: c.dtype)), batched: false)]
            case let .integers(v):
                guard ONNXLimits.count(shape.values)! <= ONNXLimits.integerValues else {
                    throw c.fail("shape \(shape.description) would hold more than \(ONNXLimits.integerValues) integers; Curvature supports at most that many in a shape")
                }
                return [.integers(IntegerValue(shape: shape.values, values: .init(repeating: v.values.first ?? 0, count: shape.values.reduce(1, *))))]
            }
        case "Gather":
            let data = try c.integers(0), indices = try c.integers(1)
            guard data.shape.count == 1, c.int("axis", default: 0) == 0 else { throw c.fail("gathers from a float tensor or along another axis; only shape vectors are supported") }
            let picked = try indices.values.map { data.values[try clampedIndex($0, count: data.values.count, strict: true)] }
            return [.integers(IntegerValue(shape: indices.shape, values: picked))]
        default:  // Slice
            let data = try c.integers(0)
            guard !data.shape.isEmpty else { throw c.fail("slices a scalar") }
            let picks = try slicePicks(c, shape: data.shape)
            let values = LayoutIndexing.flatIndices(picking: picks, from: data.shape).map { data.values[$0] }
            return [.integers(IntegerValue(shape: picks.map(\.count), values: values))]
        }
    }

    /// The source positions a Slice keeps on each axis of a tensor of `shape`, from its starts,
    /// ends, axes and steps (attributes before opset 10, inputs 1–4 since), clamped as ONNX says
    /// for each step's sign.
    static func slicePicks(_ c: NodeContext, shape: [Int]) throws -> [[Int]] {
        let starts: [Int], ends: [Int], axes: [Int], steps: [Int]
        if c.opset < 10 {
            (starts, ends) = (c.ints("starts") ?? [], c.ints("ends") ?? [])
            axes = try (c.ints("axes") ?? Array(0..<starts.count)).map { try c.normalise(axis: $0, rank: shape.count) }
            steps = [Int](repeating: 1, count: starts.count)
        } else {
            starts = try c.integers(1).values
            ends = try c.integers(2).values
            axes = try (c.hasInput(3) ? c.integers(3).values : Array(0..<starts.count)).map { try c.normalise(axis: $0, rank: shape.count) }
            steps = c.hasInput(4) ? try c.integers(4).values : [Int](repeating: 1, count: starts.count)
        }
        guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count, !steps.contains(0),
              Set(axes).count == axes.count else {
            throw c.fail("starts \(starts), ends \(ends), axes \(axes) and steps \(steps) do not fit together")
        }
        var picks = shape.map { Array(0..<$0) }
        for (i, axis) in axes.enumerated() {
            let size = shape[axis], step = steps[i]
            func resolve(_ v: Int, low: Int, high: Int) -> Int { Swift.min(Swift.max(v < 0 ? v + size : v, low), high) }
            var positions: [Int] = []
            if step > 0 {
                var at = resolve(starts[i], low: 0, high: size)
                let end = resolve(ends[i], low: 0, high: size)
                while at < end {
                    positions.append(at)
                    let (next, overflow) = at.addingReportingOverflow(step)
                    if overflow { break }
                    at = next
                }
            } else {
                var at = resolve(starts[i], low: -1, high: size - 1)
                let end = resolve(ends[i], low: -1, high: size - 1)
                while at > end {
                    positions.append(at)
                    let (next, overflow) = at.addingReportingOverflow(step)
                    if overflow { break }
                    at = next
                }
            }
            picks[axis] = positions
        }
        return picks
    }

    /// A Python-style index (negative from the end), clamped to 0…count unless `strict`.
    static func clampedIndex(_ index: Int, count: Int, strict: Bool = false) throws -> Int {
        let resolved = index < 0 ? index + count : index
        if strict {
            guard resolved >= 0 && resolved < count else { throw ModelError("index \(index) is out of range for \(count) values") }
            return resolved
        }
        return Swift.min(Swift.max(resolved, 0), count)
    }

    static func constantValue(_ c: NodeContext) throws -> GraphValue {
        guard let attribute = c.node.attribute.first else { throw c.fail("has no value") }
        switch attribute.name {
        case "value":
            switch try attribute.t.decoded(as: c.dtype, what: c.label) {
            case let .floating(t, _): return .float(Variable(t), batched: false)
            case let .integers(v): return .integers(v)
            }
        case "value_float": return .float(Variable(Tensor(scalar: Double(attribute.f), dtype: c.dtype)), batched: false)
        case "value_floats":
            return .float(Variable(Tensor(shape: [attribute.floats.count], scalars: attribute.floats.map(Double.init), dtype: c.dtype)), batched: false)
        case "value_int": return .integers(IntegerValue(shape: [], values: [Int(attribute.i)]))
        case "value_ints": return .integers(IntegerValue(vector: attribute.ints.map(Int.init)))
        default: throw c.fail("constant of kind \(attribute.name) is not supported")
        }
    }

    /// Add, Sub, Mul, Div on shape values; the batch symbol may not take part.
    static func integerArithmetic(_ c: NodeContext, _ a: IntegerValue, _ b: IntegerValue) throws -> IntegerValue {
        guard !a.dependsOnBatch, !b.dependsOnBatch else {
            throw c.fail("computes with the batch size (\(a.description), \(b.description)); export with a fixed flatten (torch.flatten(x, 1))")
        }
        let (long, short) = a.values.count >= b.values.count ? (a, b) : (b, a)
        guard short.values.count == 1 || short.values.count == long.values.count else { throw c.fail("shapes \(a.description) and \(b.description) do not broadcast") }
        let values = try long.values.indices.map { i -> Int in
            let x = a.values.count == 1 ? a.values[0] : a.values[i], y = b.values.count == 1 ? b.values[0] : b.values[i]
            let (result, overflow): (Int, Bool)
            switch c.node.opType {
            case "Add": (result, overflow) = x.addingReportingOverflow(y)
            case "Sub": (result, overflow) = x.subtractingReportingOverflow(y)
            case "Mul": (result, overflow) = x.multipliedReportingOverflow(by: y)
            default: (result, overflow) = y == 0 ? (0, false) : x.dividedReportingOverflow(by: y)
            }
            guard !overflow else { throw c.fail("\(x) \(c.node.opType) \(y) overflows a 64-bit integer") }
            return result
        }
        return IntegerValue(shape: long.shape, values: values)
    }
}
