import Autodiff
import NN
import Tensors

extension Operators {
    static func reshaping(_ c: NodeContext) throws -> [GraphValue] {
        if case let .integers(value) = try c.input(0) { return [.integers(try reshapeIntegers(c, value))] }
        let (x, batched) = try c.float(0)
        let shape = x.shape
        var target: [Int]
        switch c.node.opType {
        case "Flatten":
            let axis = try c.normalise(axis: c.int("axis", default: 1), rank: shape.count + 1)
            target = [shape[..<axis].reduce(1, *), shape[axis...].reduce(1, *)]
            try c.keepBatch(!c.batchOnAxis0(batched) || axis == 1, "flattening from axis \(axis) mixes the batch with other axes; only axis 1 keeps samples apart")
        case "Squeeze":
            let axes = try c.axes(input: 1, rank: shape.count) ?? shape.indices.filter { shape[$0] == 1 }
            try c.keepBatch(!c.batchOnAxis0(batched) || !axes.contains(0), "squeezes the batch axis")
            if let bad = axes.first(where: { shape[$0] != 1 }) { throw c.fail("axis \(bad) has size \(shape[bad]), not 1") }
            target = shape.indices.filter { !axes.contains($0) }.map { shape[$0] }
        case "Unsqueeze":
            let rank = shape.count + (c.hasInput(1) ? try c.integers(1).values.count : (c.ints("axes") ?? []).count)
            guard let axes = try c.axes(input: 1, rank: rank) else { throw c.fail("has no axes") }
            try c.keepBatch(!c.batchOnAxis0(batched) || !axes.contains(0), "adds an axis before the batch axis")
            var rest = shape[...]
            target = (0..<rank).map { axes.contains($0) ? 1 : rest.popFirst() ?? 1 }
        default:  // Reshape
            target = try reshapeTarget(c, requested: try c.integers(1), input: shape, batched: c.batchOnAxis0(batched))
        }
        guard ONNXLimits.count(target, limit: Swift.max(x.count, ONNXLimits.values)) == x.count else {
            throw c.fail("cannot reshape \(Shape.describe(shape)) (\(x.count) values) to \(Shape.describe(target))")
        }
        return [.float(reshape(x, target), batched: batched)]
    }

    /// Resolves a Reshape target for a batched input: its first entry means "the batch" when it
    /// is the folded batch size, 0 (copy), -1 with the rest fixed, or the batch the graph was
    /// exported with; the rest is one sample's shape.
    static func reshapeTarget(_ c: NodeContext, requested: IntegerValue, input: [Int], batched: Bool) throws -> [Int] {
        var target = requested.values
        let allowZero = c.int("allowzero", default: 0) != 0
        for (axis, value) in target.enumerated() where value == 0 && !allowZero {
            guard axis < input.count else { throw c.fail("target \(requested.description) copies axis \(axis), which the input lacks") }
            target[axis] = input[axis]
        }
        if batched {
            guard let first = target.first else { throw c.fail("reshapes a batch to a scalar") }
            let perSample = input.dropFirst().reduce(1, *)
            let rest = Array(target.dropFirst())
            // A literal equal to the batch is not enough: at load the batch is 1, so [1, -1] would pass
            // there and then fail on every other batch size.
            let copied = !allowZero && requested.values.first == 0
            let firstIsBatch = first == IntegerValue.batch || copied || first == c.declaredBatch
                || (first == -1 && !rest.contains(-1) && ONNXLimits.count(rest) == perSample)
            try c.keepBatch(firstIsBatch && !rest.contains(IntegerValue.batch),
                            "target \(requested.description) does not keep the batch on axis 0")
            target = [input[0]] + rest
            if let hole = rest.firstIndex(of: -1) {
                let known = ONNXLimits.count(rest.enumerated().filter { $0.offset != hole }.map(\.element)) ?? 0
                guard known > 0, perSample % known == 0 else { throw c.fail("cannot infer axis \(hole + 1) of \(requested.description) for \(Shape.describe(input))") }
                target[hole + 1] = perSample / known
            }
        } else if let hole = target.firstIndex(of: -1) {
            let count = input.reduce(1, *)
            let known = ONNXLimits.count(target.enumerated().filter { $0.offset != hole }.map(\.element), limit: Swift.max(count, ONNXLimits.values)) ?? 0
            guard known > 0, count % known == 0 else { throw c.fail("cannot infer axis \(hole) of \(requested.description)") }
            target[hole] = count / known
        }
        guard target.allSatisfy({ $0 >= 0 }) else { throw c.fail("target \(requested.description) has a negative size") }
        return target
    }

    static func reshapeIntegers(_ c: NodeContext, _ value: IntegerValue) throws -> IntegerValue {
        switch c.node.opType {
        case "Unsqueeze":
            let rank = value.shape.count + (c.hasInput(1) ? try c.integers(1).values.count : (c.ints("axes") ?? []).count)
            guard let axes = try c.axes(input: 1, rank: rank) else { throw c.fail("has no axes") }
            var rest = value.shape[...]
            return IntegerValue(shape: (0..<rank).map { axes.contains($0) ? 1 : rest.popFirst() ?? 1 }, values: value.values)
        case "Squeeze":
            let axes = try c.axes(input: 1, rank: value.shape.count) ?? value.shape.indices.filter { value.shape[$0] == 1 }
            if let bad = axes.first(where: { value.shape[$0] != 1 }) { throw c.fail("axis \(bad) has size \(value.shape[bad]), not 1") }
            return IntegerValue(shape: value.shape.indices.filter { !axes.contains($0) }.map { value.shape[$0] }, values: value.values)
        case "Flatten":
            return IntegerValue(shape: [1, value.values.count], values: value.values)
        default:
            let target = try reshapeTarget(c, requested: try c.integers(1), input: value.shape, batched: false)
            guard ONNXLimits.count(target) == value.values.count else { throw c.fail("cannot reshape \(value.description) to \(target)") }
            return IntegerValue(shape: target, values: value.values)
        }
    }

    static func transposition(_ c: NodeContext) throws -> [GraphValue] {
        if case let .integers(value) = try c.input(0) {
            let permutation = c.ints("perm") ?? Array((0..<value.shape.count).reversed())
            guard permutation.sorted() == Array(0..<value.shape.count) else { throw c.fail("perm \(permutation) is not a permutation of the \(value.shape.count) axes") }
            let strides = LayoutIndexing.strides(value.shape)
            var values: [Int] = []
            LayoutIndexing.forEachIndex(permutation.map { value.shape[$0] }) { index in
                values.append(value.values[zip(permutation, index).reduce(0) { $0 + $1.1 * strides[$1.0] }])
            }
            return [.integers(IntegerValue(shape: permutation.map { value.shape[$0] }, values: values))]
        }
        let (x, batched) = try c.float(0)
        let permutation = c.ints("perm") ?? Array((0..<x.shape.count).reversed())
        guard permutation.sorted() == Array(0..<x.shape.count) else { throw c.fail("perm \(permutation) is not a permutation of the \(x.shape.count) axes") }
        try c.keepBatch(!c.batchOnAxis0(batched) || permutation.first == 0, "perm \(permutation) moves the batch axis")
        return [.float(LayoutIndexing.transpose(x, permutation: permutation), batched: batched)]
    }

    static func concatenation(_ c: NodeContext) throws -> [GraphValue] {
        let values = try (0..<c.inputs.count).map { try c.input($0) }
        if values.allSatisfy({ if case .integers = $0 { return true } else { return false } }) {
            let parts = try (0..<values.count).map { try c.integers($0) }
            guard parts.allSatisfy({ $0.shape.count == 1 }) else { throw c.fail("joins integer tensors that are not vectors") }
            let count = parts.reduce(0) { $0 + $1.values.count }
            guard count <= ONNXLimits.integerValues else { throw c.fail("joins \(count) integers; Curvature supports at most \(ONNXLimits.integerValues) in a shape") }
            return [.integers(IntegerValue(vector: parts.flatMap(\.values)))]
        }
        // While the batch is tracked, a constant part would lack it: every part must be computed.
        let inputs = try (0..<values.count).map { c.tracksBatch ? (try c.activation($0), true) : try c.float($0) }
        let parts = inputs.map(\.0), batched = inputs.contains { $0.1 }
        let rank = parts[0].shape.count
        let axis = try c.normalise(axis: c.int("axis", default: 1), rank: rank)
        try c.keepBatch(axis != 0, "joins along the batch axis")
        for part in parts where part.shape.count != rank || part.shape.enumerated().contains(where: { $0.offset != axis && $0.element != parts[0].shape[$0.offset] }) {
            throw c.fail("cannot join \(Shape.describe(parts[0].shape)) and \(Shape.describe(part.shape)) along axis \(axis)")
        }
        var joined = parts[0].shape
        joined[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
        try c.checkSize(joined, batched: batched, "the result")
        try c.charge(ONNXLimits.saturatingProduct(parts.count, ONNXLimits.count(Array(joined.dropFirst())) ?? 0, 32))
        return [.float(LayoutIndexing.concatenate(parts, axis: axis), batched: batched)]
    }

    static func padding(_ c: NodeContext) throws -> [GraphValue] {
        let (x, batched) = try c.float(0)
        let mode = c.string("mode", default: "constant")
        guard mode == "constant" else { throw c.fail("mode \(mode) is not supported (constant only)") }
        let rank = x.shape.count
        var pads: [Int]
        var fill: Double
        if c.opset < 11 {
            pads = c.ints("pads") ?? []
            fill = c.float("value", default: 0)
        } else {
            pads = try c.integers(1).values
            fill = c.hasInput(2) ? try c.scalar(2) : 0
        }
        var axes = Array(0..<rank)
        if c.hasInput(3) { axes = try c.integers(3).values.map { try c.normalise(axis: $0, rank: rank) } }
        guard pads.count == 2 * axes.count else { throw c.fail("pads \(pads) should hold two numbers per padded axis") }
        guard pads.allSatisfy({ $0 >= 0 }) else { throw c.fail("negative pads \(pads) (cropping) are not supported") }
        guard pads.allSatisfy({ $0 <= ONNXLimits.values }) else { throw c.fail("pads \(pads) are larger than \(ONNXLimits.values)") }
        var before = [Int](repeating: 0, count: rank), after = before
        for (i, axis) in axes.enumerated() { (before[axis], after[axis]) = (pads[i], pads[i + axes.count]) }
        try c.keepBatch(!c.batchOnAxis0(batched) || (before[0] == 0 && after[0] == 0), "pads the batch axis")
        try c.checkSize(zip(x.shape, zip(before, after)).map { $0 + $1.0 + $1.1 }, batched: c.batchOnAxis0(batched), "the padded result")
        return [.float(LayoutIndexing.pad(x, before: before, after: after, fill: fill), batched: batched)]
    }
}
