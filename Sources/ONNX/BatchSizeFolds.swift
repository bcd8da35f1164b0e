import Autodiff
import Foundation
import Tensors

/// The graph folded for each batch size met, for a graph that moves the batch off axis 0 or
/// merges it with another (nn.MultiheadAttention's [T, N·heads, d]): no symbol stands for the
/// batch in such shapes, so each size gets its own, and its batches run whole, as PyTorch runs
/// them. Made once per size, under a lock.
final class BatchSizeFolds {
    private let lock = NSLock()
    /// By batch size; nil where that size runs one sample at a time.
    private var folds: [Int: FoldedGraph?] = [:]

    /// The graph for batches of `size`, folded by `fold` the first time.
    func graph(forBatch size: Int, folding fold: (Int) -> FoldedGraph?) -> FoldedGraph? {
        lock.lock()
        defer { lock.unlock() }
        if let known = folds[size] { return known }
        let made = fold(size)
        folds[size] = .some(made)
        return made
    }
}

extension ONNXModel {
    /// The graph folded for batches of `size`, or nil when they must run one sample at a time:
    /// when the fold fails (a shape the file spells out for the batch size it was exported with),
    /// or when a batch of seeded probe images gives a sample other bits than that sample alone
    /// (a node mixes samples, or a kernel's result depends on the batch) — checked on the first,
    /// a middle and the last sample, so the check costs three one-sample runs per size.
    func foldedGraph(forBatch size: Int) -> FoldedGraph? {
        let probe = Variable(Tensor(randomShape: [size] + inputShape, .uniform(low: 0, high: 1), dtype: dtype, seed: UInt64(size)))
        var folded = FoldedGraph()
        let checked = try? GradientMode.withoutGradients { () throws -> FoldedGraph? in
            _ = try fold(probe) { node, outputs in _ = folded.record(node, outputs: outputs, isConstant: self.isIntegerConstant) }
            let whole = try run(probe, graph: folded).value
            guard whole.shape == [size, outputCount] else { return nil }
            for sample in Set([0, size / 2, size - 1]) {
                let alone = try run(slice(probe, rows: sample..<(sample + 1)), graph: graph).value.scalars
                let together = whole.slice(rows: sample..<(sample + 1)).scalars
                guard alone.count == together.count, zip(alone, together).allSatisfy({ $0.bitPattern == $1.bitPattern }) else { return nil }
            }
            return folded
        }
        return checked ?? nil
    }
}
