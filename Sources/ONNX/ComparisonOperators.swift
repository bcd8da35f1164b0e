import Autodiff
import Tensors

/// Comparisons and logic known at load (exporters compare shapes, as in `x.expand(n, -1, -1)`):
/// folded to 0/1 integers like the shape chains. Nothing computed from the image is compared.
extension Operators {
    static func comparison(_ c: NodeContext) throws -> [GraphValue] {
        let operands = try (0..<(c.node.opType == "Not" ? 1 : 2)).map { try loadTimeValue(c, $0) }
        if c.node.opType == "Not" {
            return [.integers(IntegerValue(shape: operands[0].shape, values: try operands[0].values.map { try known(c, $0) == 0 ? 1 : 0 }))]
        }
        let (a, b) = (operands[0], operands[1])
        guard let shape = broadcastShape(a.shape, b.shape) else {
            throw c.fail("shapes \(Shape.describe(a.shape)) and \(Shape.describe(b.shape)) do not broadcast")
        }
        guard ONNXLimits.count(shape).map({ $0 <= ONNXLimits.integerValues }) == true else {
            throw c.fail("would compare more than \(ONNXLimits.integerValues) values; Curvature folds only shape-sized comparisons")
        }
        let (left, right) = (spread(a.values, of: a.shape, to: shape), spread(b.values, of: b.shape, to: shape))
        let values = try zip(left, right).map { x, y -> Int in
            switch c.node.opType {
            case "And": return try known(c, x) != 0 && known(c, y) != 0 ? 1 : 0
            case "Or": return try known(c, x) != 0 || known(c, y) != 0 ? 1 : 0
            case "Xor": return try (known(c, x) != 0) != (known(c, y) != 0) ? 1 : 0
            default: return try compare(c, x, y) ? 1 : 0
            }
        }
        return [.integers(IntegerValue(shape: shape, values: values))]
    }

    /// A number known at load: an integer (possibly the batch symbol) or a float constant.
    private enum Number {
        case integer(Int), real(Double)
    }

    private struct LoadTimeValue {
        let shape: [Int]
        let values: [Number]
    }

    private static func loadTimeValue(_ c: NodeContext, _ index: Int) throws -> LoadTimeValue {
        switch try c.input(index) {
        case let .integers(value): return LoadTimeValue(shape: value.shape, values: value.values.map(Number.integer))
        case let .float(variable, batched):
            guard !batched else {
                throw c.fail("input \(index) is computed from the image; Curvature folds \(c.node.opType) only on values known at load")
            }
            guard variable.count <= ONNXLimits.integerValues else { throw c.fail("input \(index) holds \(variable.count) values; Curvature folds only shape-sized comparisons") }
            return LoadTimeValue(shape: variable.shape, values: variable.value.scalars.map(Number.real))
        }
    }

    /// A number as a Double, refusing the batch size, whose value is not known at load.
    private static func known(_ c: NodeContext, _ number: Number) throws -> Double {
        switch number {
        case let .real(x): return x
        case let .integer(i):
            if i == IntegerValue.batch { try c.keepBatch(false, "uses the batch size as a truth value") }
            return Double(i == IntegerValue.batch ? 1 : i)
        }
    }

    /// x op y. The batch size is unknown at load but at least 1, which decides some comparisons
    /// (N = −1 is false whatever N is); the others send the graph to be folded per batch size.
    private static func compare(_ c: NodeContext, _ x: Number, _ y: Number) throws -> Bool {
        let op = c.node.opType
        func holds(_ a: Double, _ b: Double) -> Bool {
            switch op {
            case "Equal": return a == b
            case "Less": return a < b
            case "Greater": return a > b
            case "LessOrEqual": return a <= b
            default: return a >= b
            }
        }
        let batchIsX = { if case .integer(IntegerValue.batch) = x { return true } else { return false } }()
        let batchIsY = { if case .integer(IntegerValue.batch) = y { return true } else { return false } }()
        if batchIsX && batchIsY { return holds(0, 0) }
        if batchIsX || batchIsY {
            let other = try known(c, batchIsX ? y : x)
            // The outcome at N = 1 and as N grows without bound: equal outcomes hold for every N ≥ 1
            // when the comparison with `other` changes at most once, below 1.
            let atOne = batchIsX ? holds(1, other) : holds(other, 1)
            let beyond = batchIsX ? holds(.greatestFiniteMagnitude, other) : holds(other, .greatestFiniteMagnitude)
            if atOne == beyond && other < 1 { return atOne }
            try c.keepBatch(false, "compares the batch size with \(other)")
            return atOne
        }
        return holds(try known(c, x), try known(c, y))
    }
}
