import Autodiff
import Tensors

/// Slice, Gather, Split, Expand, Tile and Where on floating-point tensors (the image's values or
/// constants), with indices, sizes, shapes and conditions known at load: each is a gather or a
/// broadcast, so its derivatives of every order are the engine's own.
extension Operators {
    static func sliceFloats(_ c: NodeContext) throws -> [GraphValue] {
        let (x, batched) = try c.float(0)
        guard !x.shape.isEmpty else { throw c.fail("slices a scalar") }
        let picks = try slicePicks(c, shape: x.shape)
        try c.keepBatch(!c.batchOnAxis0(batched) || picks[0] == Array(0..<x.shape[0]), "slices the batch axis")
        return [.float(LayoutIndexing.pick(x, picks, planes: planes(c, x, batched)), batched: batched)]
    }

    static func gatherFloats(_ c: NodeContext) throws -> [GraphValue] {
        let (x, batched) = try c.float(0)
        let indices = try c.integers(1)
        let axis = try c.normalise(axis: c.int("axis", default: 0), rank: x.shape.count)
        try c.keepBatch(!c.batchOnAxis0(batched) || axis != 0, "gathers along the batch axis")
        guard !indices.dependsOnBatch else { throw c.fail("indices \(indices.description) depend on the batch size") }
        var picks = x.shape.map { Array(0..<$0) }
        picks[axis] = try indices.values.map { index in
            let resolved = index < 0 ? index + x.shape[axis] : index
            guard resolved >= 0 && resolved < x.shape[axis] else { throw c.fail("index \(index) is out of range for axis \(axis) of size \(x.shape[axis])") }
            return resolved
        }
        let shape = Array(x.shape[..<axis]) + indices.shape + Array(x.shape[(axis + 1)...])
        try c.checkSize(shape, batched: batched, "the result")
        return [.float(reshape(LayoutIndexing.pick(x, picks, planes: planes(c, x, batched)), shape), batched: batched)]
    }

    static func split(_ c: NodeContext) throws -> [GraphValue] {
        let (x, batched) = try c.float(0)
        let axis = try c.normalise(axis: c.int("axis", default: 0), rank: x.shape.count)
        try c.keepBatch(!c.batchOnAxis0(batched) || axis != 0, "splits the batch axis")
        let size = x.shape[axis], outputs = c.node.output.count
        var sizes: [Int]
        if c.hasInput(1) {
            sizes = try c.integers(1).values
        } else if let split = c.ints("split") {
            sizes = split
        } else {  // equal parts; opset 18's num_outputs leaves the last one smaller
            let parts = Swift.max(c.int("num_outputs", default: outputs), 1), part = (size + parts - 1) / parts
            sizes = (0..<parts).map { Swift.min(part, Swift.max(0, size - $0 * part)) }
        }
        guard sizes.count == outputs, sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == size else {
            throw c.fail("split \(sizes) does not cut axis \(axis) of size \(size) into \(outputs) outputs")
        }
        var start = 0
        return sizes.map { length in
            var picks = x.shape.map { Array(0..<$0) }
            picks[axis] = Array(start..<(start + length))
            start += length
            return .float(LayoutIndexing.pick(x, picks, planes: planes(c, x, batched)), batched: batched)
        }
    }

    /// Expand: NumPy broadcasting of the input against a target shape, which may hold the batch
    /// size (a class token expanded over the batch); the result then depends on the batch.
    static func expansion(_ c: NodeContext) throws -> [GraphValue] {
        let (x, batched) = try c.float(0)
        let requested = try c.integers(1)
        guard requested.shape.count == 1 else { throw c.fail("target \(requested.description) is not a vector") }
        let rank = Swift.max(x.shape.count, requested.values.count)
        let padded = [Int](repeating: 1, count: rank - x.shape.count) + x.shape
        var target = [Int](repeating: 1, count: rank - requested.values.count) + requested.values
        let batchAxes = target.indices.filter { target[$0] == IntegerValue.batch }
        for axis in batchAxes { target[axis] = c.batchSize }
        guard target.allSatisfy({ $0 >= 0 }), let shape = broadcastShape(padded, target) else {
            throw c.fail("cannot expand \(Shape.describe(x.shape)) to \(requested.description)")
        }
        if c.batchOnAxis0(batched) {
            try c.keepBatch(padded.count == x.shape.count && batchAxes.allSatisfy { $0 == 0 }, "expands \(Shape.describe(x.shape)) to \(requested.description), moving the batch axis")
        } else {
            try c.keepBatch(batchAxes.allSatisfy { $0 == 0 }, "puts the batch size on axis \(batchAxes.first ?? 0) of \(requested.description)")
        }
        let expandedBatched = batched || !batchAxes.isEmpty
        try c.checkSize(shape, batched: expandedBatched, "the result")
        return [.float(broadcast(reshape(x, padded), to: shape), batched: expandedBatched)]
    }

    /// Tile: each axis repeated a number of times known at load; the batch size as the repeat of
    /// axis 0 of a constant (`token.repeat(n, 1, 1)`) makes the result depend on the batch.
    static func tiling(_ c: NodeContext) throws -> [GraphValue] {
        let (x, batched) = try c.float(0)
        let repeats = try c.integers(1)
        guard repeats.values.count == x.shape.count else {
            throw c.fail("repeats \(repeats.description) should give one count per axis of \(Shape.describe(x.shape))")
        }
        var counts = repeats.values
        let batchAxes = counts.indices.filter { counts[$0] == IntegerValue.batch }
        for axis in batchAxes { counts[axis] = c.batchSize }
        guard counts.allSatisfy({ $0 >= 0 }) else { throw c.fail("repeats \(repeats.description) should not be negative") }
        if c.batchOnAxis0(batched) {
            try c.keepBatch(counts[0] == 1 && batchAxes.isEmpty, "repeats \(repeats.description) repeat the batch axis")
        } else {
            try c.keepBatch(batchAxes.allSatisfy { $0 == 0 } && (batchAxes.isEmpty || x.shape[0] == 1),
                            "repeats \(repeats.description) put the batch size on an axis other than a constant's first, of size 1")
        }
        var shape: [Int] = []
        for (size, count) in zip(x.shape, counts) {
            let (product, overflow) = size.multipliedReportingOverflow(by: count)
            guard !overflow else { throw c.fail("repeats \(repeats.description) of \(Shape.describe(x.shape)) overflow") }
            shape.append(product)
        }
        let tiledBatched = batched || !batchAxes.isEmpty
        try c.checkSize(shape, batched: tiledBatched, "the result")
        let picks = x.shape.indices.map { axis in (0..<shape[axis]).map { $0 % x.shape[axis] } }
        return [.float(LayoutIndexing.pick(x, picks, planes: planes(c, x, batched)), batched: tiledBatched)]
    }

    /// Where with a condition known at load: on integers folded, on floats a choice per element
    /// that no derivative can move.
    static func selection(_ c: NodeContext) throws -> [GraphValue] {
        let condition = try c.integers(0)
        guard !condition.dependsOnBatch else { throw c.fail("condition \(condition.description) depends on the batch size") }
        if case let .integers(a) = try c.input(1), case let .integers(b) = try c.input(2) {
            guard let shape = broadcastShape(condition.shape, a.shape).flatMap({ broadcastShape($0, b.shape) }) else {
                throw c.fail("condition \(Shape.describe(condition.shape)) and values \(Shape.describe(a.shape)), \(Shape.describe(b.shape)) do not broadcast")
            }
            guard ONNXLimits.count(shape).map({ $0 <= ONNXLimits.integerValues }) == true else {
                throw c.fail("would choose among more than \(ONNXLimits.integerValues) integers; Curvature folds only shape-sized ones")
            }
            let taken = spread(condition.values, of: condition.shape, to: shape)
            let (whenTrue, whenFalse) = (spread(a.values, of: a.shape, to: shape), spread(b.values, of: b.shape, to: shape))
            return [.integers(IntegerValue(shape: shape, values: taken.indices.map { taken[$0] != 0 ? whenTrue[$0] : whenFalse[$0] }))]
        }
        let (a, aBatched) = try c.float(1), (b, bBatched) = try c.float(2)
        let valueShape = try checkBroadcast(c, a.shape, aBatched, b.shape, bBatched)
        guard let shape = broadcastShape(valueShape, condition.shape) else {
            throw c.fail("condition \(Shape.describe(condition.shape)) does not broadcast against \(Shape.describe(valueShape))")
        }
        try c.keepBatch(!c.batchOnAxis0(aBatched || bBatched) || (shape.count == valueShape.count && shape[0] == valueShape[0]),
                        "the condition \(Shape.describe(condition.shape)) moves or widens the batch axis")
        try c.checkSize(shape, batched: aBatched || bBatched, "the result")
        let taken = spread(condition.values, of: condition.shape, to: shape)
        // Constants are chosen in place, so an infinite value left out never meets a zero.
        func part(_ v: Variable, _ batched: Bool, keepWhere flag: Int) -> Variable {
            let full = broadcast(reshape(v, [Int](repeating: 1, count: shape.count - v.shape.count) + v.shape), to: shape)
            let mask = Tensor(shape: shape, scalars: taken.map { ($0 != 0 ? 1 : 0) == flag ? 1 : 0 }, dtype: v.dtype)
            guard !batched else { return full * Variable(mask) }
            let chosen = full.value.scalars.enumerated().map { mask[flat: $0.offset] != 0 ? $0.element : 0 }
            return Variable(Tensor(shape: shape, scalars: chosen, dtype: v.dtype))
        }
        return [.float(part(a, aBatched, keepWhere: 1) + part(b, bBatched, keepWhere: 0), batched: aBatched || bBatched)]
    }

    /// The row-major `values` of a tensor of `shape` broadcast to `target` (which it broadcasts to).
    static func spread<Element>(_ values: [Element], of shape: [Int], to target: [Int]) -> [Element] {
        let padded = [Int](repeating: 1, count: target.count - shape.count) + shape
        let picks = zip(padded, target).map { own, full in own == 1 ? [Int](repeating: 0, count: full) : Array(0..<full) }
        return LayoutIndexing.flatIndices(picking: picks, from: padded).map { values[$0] }
    }

    /// Planes for a gather of `x`: its samples when axis 0 is the batch, picked whole.
    private static func planes(_ c: NodeContext, _ x: Variable, _ batched: Bool) -> Int {
        c.batchOnAxis0(batched) ? Swift.max(1, x.shape[0]) : 1
    }
}
