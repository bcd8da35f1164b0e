import Autodiff
import Tensors

extension Operators {
    /// ReduceMean, ReduceSum and ReduceMax over any axes but the batch's; axes from the attribute
    /// or, in later opsets, the second input.
    static func reduction(_ c: NodeContext) throws -> [GraphValue] {
        let (x, batched) = try c.float(0)
        let rank = x.shape.count
        let requested = try c.axes(input: 1, rank: rank) ?? []
        if requested.isEmpty && c.int("noop_with_empty_axes", default: 0) != 0 { return [.float(x, batched: batched)] }
        let axes = requested.isEmpty ? Array(0..<rank) : requested
        guard Set(axes).count == axes.count else { throw c.fail("axes \(axes) name an axis twice") }
        try c.keepBatch(!c.batchOnAxis0(batched) || !axes.contains(0), "reduces over the batch axis (axes \(axes))")
        if c.node.opType == "ReduceMax", let empty = axes.first(where: { x.shape[$0] == 0 }) {
            throw c.fail("takes the maximum over axis \(empty), which is empty")
        }
        let keep = c.int("keepdims", default: 1) != 0
        let y: Variable
        switch c.node.opType {
        case "ReduceMean": y = mean(x, alongAxes: axes, keepingDimensions: keep)
        case "ReduceSum": y = sum(x, alongAxes: axes, keepingDimensions: keep)
        default: y = maximum(x, alongAxes: axes, keepingDimensions: keep)
        }
        return [.float(y, batched: batched)]
    }
}
