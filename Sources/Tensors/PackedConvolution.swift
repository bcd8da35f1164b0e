import CKernels

/// Float32 convolutions on the packed kernels (`PackedGEMM`), one product per group of samples:
/// forward y[O, G·hw] = W[O, P]·cols[P, G·hw]; input adjoint cols[P, G·hw] = Wᵀ[P, O]·dy[O, G·hw],
/// then col2im; weight adjoint dW[O, P] = Σ dy[O, G·hw]·colsᵀ[G·hw, P] with the groups' sums added
/// in order. The weight (or its transpose) is A and the samples' columns or gradients are B, both
/// read where they lie. Every output element
/// is one FMA chain in k order, so a sample comes out the same in any batch, any group and on any
/// number of threads, without the padded groups of one shape the OpenBLAS path needs.
extension Tensor {
    /// Whether Float32 convolutions run here, as Float32 `Tensor.matmul` does.
    static var convolvesPacked: Bool { PackedGEMM.replacesBLAS }

    static func packedConvForward(_ x: Tensor, _ w: Tensor, _ y: inout Tensor, _ g: ConvolutionGeometry) {
        let xp = x.buffer(Float.self).baseAddress!, yp = y.mutableBuffer(Float.self).baseAddress!
        let wp = w.buffer(Float.self).baseAddress!
        let inStride = g.inChannels * g.height * g.width, outStride = g.outChannels * g.outPixels
        let hw = g.outPixels, patch = g.patchSize, pointwise = isPointwise(g)
        forEachGroup(g) { first, count, columns, staging, inParallel in
            let ld = count * hw
            // One sample: its own input (pointwise) or columns, its own output; no copies.
            var source = UnsafePointer(xp + first * inStride)
            if !(pointwise && count == 1) {
                for s in 0..<count { unfold(xp + (first + s) * inStride, columns + s * hw, ld, g) }
                source = UnsafePointer(columns)
            }
            PackedGEMM.multiply(wp, rows: g.outChannels, lda: patch, by: .rows(source, ldb: ld), k: patch, n: ld,
                                into: count == 1 ? yp + first * outStride : staging, ldc: ld, inParallel: inParallel)
            if count > 1 { scatterOutputs(staging, ld, yp, first, count, g) }
        }
    }

    static func packedConvInputAdjoint(_ dy: Tensor, _ w: Tensor, _ dx: inout Tensor, _ g: ConvolutionGeometry) {
        let dyp = dy.buffer(Float.self).baseAddress!, dxp = dx.mutableBuffer(Float.self).baseAddress!
        let inStride = g.inChannels * g.height * g.width
        let hw = g.outPixels, patch = g.patchSize, pointwise = isPointwise(g)
        let wp = w.buffer(Float.self).baseAddress!
        forEachGroup(g) { first, count, columns, staging, inParallel in
            let ld = count * hw
            if count > 1 { gatherOutputs(dyp, first, count, staging, ld, g) }
            let product = pointwise && count == 1 ? dxp + first * inStride : columns
            // Wᵀ read in place: a tile's rows are neighbours in each row of W.
            PackedGEMM.multiply(wp, rows: patch, lda: 1, aStep: patch,
                                by: .rows(count == 1 ? dyp + first * g.outChannels * hw : staging, ldb: ld),
                                k: g.outChannels, n: ld, into: product, ldc: ld, inParallel: inParallel)
            if pointwise && count == 1 { return }
            for s in 0..<count { fold(columns + s * hw, ld, dxp + (first + s) * inStride, g) }
        }
    }

    /// A sample's im2col columns (rows `ld` apart); for a pointwise convolution, its channels as they are.
    private static func unfold(_ x: UnsafeMutablePointer<Float>, _ columns: UnsafeMutablePointer<Float>, _ ld: Int, _ g: ConvolutionGeometry) {
        guard isPointwise(g) else { return im2col(x, columns, ld, g) }
        let hw = g.outPixels
        for c in 0..<g.patchSize { (columns + c * ld).update(from: x + c * hw, count: hw) }
    }

    /// The inverse of `unfold`: col2im, or for a pointwise convolution the channels copied back.
    private static func fold(_ columns: UnsafeMutablePointer<Float>, _ ld: Int, _ x: UnsafeMutablePointer<Float>, _ g: ConvolutionGeometry) {
        guard isPointwise(g) else { return col2im(columns, ld, x, g) }
        let hw = g.outPixels
        for c in 0..<g.patchSize { (x + c * hw).update(from: columns + c * ld, count: hw) }
    }

    /// Calls `body(first, count, columns, staging, inParallel)` for groups of samples
    /// `first..<first+count` that share one product, with workspace for their columns [P, count·hw]
    /// and their outputs or gradients [O, count·hw]. Samples are grouped when a sample's product
    /// is narrow (deep layers: a 4×4 image is one 16-column panel), so that each tile of the weight
    /// meets at least ~128 columns; the groups run as `forEachGroup(batch:size:workspace:_:)` says.
    private static func forEachGroup(
        _ g: ConvolutionGeometry,
        _ body: (_ first: Int, _ count: Int, _ columns: UnsafeMutablePointer<Float>, _ staging: UnsafeMutablePointer<Float>,
                 _ inParallel: Bool) -> Void
    ) {
        let hw = g.outPixels
        let wanted = Swift.max(1, (128 + hw - 1) / Swift.max(hw, 1))
        let byMemory = Swift.max(1, (1 << 20) / Swift.max(g.patchSize * hw, 1))
        let group = Swift.min(wanted, byMemory, Swift.max(g.batch, 1))
        forEachGroup(batch: g.batch, size: group, workspace: { [g.patchSize * $0 * hw, group > 1 ? g.outChannels * $0 * hw : 0] }) {
            first, count, workspace, inParallel in body(first, count, workspace[0], workspace[1], inParallel)
        }
    }

    /// Calls `body(first, count, workspace, inParallel)` for the batch's groups of `size` samples,
    /// `first..<first+count` (the last may be smaller), with Float32 workspaces from the pool of the
    /// sizes `workspace(n)` gives for a block of n samples. Groups run in parallel, each its own
    /// unit of work (beside a busy process a descheduled thread then holds up one group, not a
    /// quarter of its share: cnn B=128 loaded 1,294–1,350 → 1,334–1,362 HVP/s, resnet18 B=32
    /// 44.6–45.6 → 45.8–47.0), when there are enough to give every thread several; otherwise one
    /// after another, each free to use the threads inside (`inParallel`). Only speed depends on
    /// the grouping: a sample's bits never do.
    static func forEachGroup(
        batch: Int, size group: Int, workspace: (_ samples: Int) -> [Int],
        _ body: (_ first: Int, _ count: Int, _ workspace: [UnsafeMutablePointer<Float>], _ inParallel: Bool) -> Void
    ) {
        let threads = Parallel.threadCount, groups = (batch + group - 1) / group
        let acrossGroups = threads > 1 && groups >= 2 * threads
        Parallel.forEachBlock(of: batch, size: acrossGroups ? group : Swift.max(batch, 1)) { samples in
            withPooledFloats(workspace(Swift.min(group, samples.count))) { pointers in
                for first in stride(from: samples.lowerBound, to: samples.upperBound, by: group) {
                    body(first, Swift.min(group, samples.upperBound - first), pointers, !acrossGroups)
                }
            }
        }
    }

    static func packedConvWeightAdjoint(_ x: Tensor, _ dy: Tensor, _ dw: inout Tensor, _ g: ConvolutionGeometry) {
        let xp = x.buffer(Float.self).baseAddress!, dyp = dy.buffer(Float.self).baseAddress!
        let dwp = dw.mutableBuffer(Float.self).baseAddress!
        let inStride = g.inChannels * g.height * g.width, outStride = g.outChannels * g.outPixels
        let hw = g.outPixels, patch = g.patchSize, weightCount = g.outChannels * patch
        // Each group of samples is one product dWᵀ[P, O] = cols[P, G·hw]·dyᵀ[G·hw, O]: the columns
        // read in place, the output gradients (O rows, fewer than P) packed. Its K is the group's
        // pixels in sample order; the groups' partial sums are added in group order (groups fixed
        // by geometry and batch, never by threads).
        let group = weightGroupSize(g), groups = (g.batch + group - 1) / group
        withPooledFloats(groups * weightCount) { partials in
            let partial = partials[0]
            Parallel.forEachBlock(of: g.batch, size: group) { samples in
                let index = samples.lowerBound / group, first = samples.lowerBound, count = samples.count, ld = count * hw
                let panelCount = Int(curvature_sgemm_packed_count(ld, g.outChannels))
                withPooledFloats(patch * ld, count > 1 ? g.outChannels * ld : 0, panelCount) { workspace in
                    let (columns, gathered, panels) = (workspace[0], workspace[1], workspace[2])
                    for s in 0..<count { unfold(xp + (first + s) * inStride, columns + s * hw, ld, g) }
                    if count > 1 { gatherOutputs(dyp, first, count, gathered, ld, g) }
                    curvature_sgemm_pack(count > 1 ? gathered : dyp + first * outStride, ld, 1, ld, g.outChannels, panels)
                    PackedGEMM.multiply(columns, rows: patch, lda: ld, by: .panels(panels), k: ld, n: g.outChannels,
                                        into: partial + index * weightCount, ldc: g.outChannels, inParallel: groups == 1)
                }
            }
            // dW = Σ partialᵀ, group by group.
            for o in 0..<g.outChannels {
                for p in 0..<patch {
                    var sum = partial[p * g.outChannels + o]
                    for index in 1..<Swift.max(groups, 1) { sum += partial[index * weightCount + p * g.outChannels + o] }
                    dwp[o * patch + p] = sum
                }
            }
        }
    }

    /// Float32 workspaces of these sizes from the tensor buffer pool, alive for `body`: large
    /// workspaces from the allocator would cost page faults on every call.
    static func withPooledFloats(_ counts: Int..., body: ([UnsafeMutablePointer<Float>]) -> Void) {
        withPooledFloats(counts, body: body)
    }

    static func withPooledFloats(_ counts: [Int], body: ([UnsafeMutablePointer<Float>]) -> Void) {
        let storages = counts.map { TensorStorage(byteCount: $0 * MemoryLayout<Float>.size) }
        withExtendedLifetime(storages) { body(storages.map { $0.pointer.assumingMemoryBound(to: Float.self) }) }
    }
}
