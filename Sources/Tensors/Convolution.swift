/// The geometry of a 2-D convolution over NCHW inputs with [out, in, kh, kw] weights.
public struct ConvolutionGeometry: Equatable, Sendable {
    public let batch, inChannels, height, width: Int
    public let outChannels, kernelHeight, kernelWidth: Int
    public let stride, padding: Int

    public var outHeight: Int { (height + 2 * padding - kernelHeight) / stride + 1 }
    public var outWidth: Int { (width + 2 * padding - kernelWidth) / stride + 1 }
    public var inputShape: [Int] { [batch, inChannels, height, width] }
    public var weightShape: [Int] { [outChannels, inChannels, kernelHeight, kernelWidth] }
    public var outputShape: [Int] { [batch, outChannels, outHeight, outWidth] }
    /// Rows of the im2col matrix: one per (channel, kernel row, kernel column).
    var patchSize: Int { inChannels * kernelHeight * kernelWidth }
    var outPixels: Int { outHeight * outWidth }

    public init(input: [Int], weight: [Int], stride: Int, padding: Int) {
        precondition(input.count == 4, "conv2d: input must be [N, C, H, W], got \(Shape.describe(input))")
        precondition(weight.count == 4, "conv2d: weight must be [out, in, kh, kw], got \(Shape.describe(weight))")
        precondition(input[1] == weight[1],
                     "conv2d: input \(Shape.describe(input)) has \(input[1]) channels but weight \(Shape.describe(weight)) expects \(weight[1])")
        precondition(stride >= 1 && padding >= 0, "conv2d: stride \(stride) must be ≥ 1 and padding \(padding) ≥ 0")
        precondition(input[2] + 2 * padding >= weight[2] && input[3] + 2 * padding >= weight[3],
                     "conv2d: kernel \(weight[2])×\(weight[3]) larger than padded input \(input[2])×\(input[3]) (padding \(padding))")
        (batch, inChannels, height, width) = (input[0], input[1], input[2], input[3])
        (outChannels, kernelHeight, kernelWidth) = (weight[0], weight[2], weight[3])
        self.stride = stride
        self.padding = padding
    }
}

extension Tensor {
    /// Cross-correlation of NCHW `input` with `weight` [out, in, kh, kw] (PyTorch's conv2d), via
    /// im2col and GEMMs: Float32 on the packed kernels (`PackedConvolution.swift`; 3×3 stride-1 layers
    /// of 16+ channels by Winograd, `WinogradConvolution.swift`), Float64 (and
    /// Float32 with `CURVATURE_PACKED_GEMM=0`) on OpenBLAS in padded groups of samples.
    public static func conv2d(_ input: Tensor, _ weight: Tensor, stride: Int = 1, padding: Int = 0) -> Tensor {
        let g = ConvolutionGeometry(input: input.shape, weight: weight.shape, stride: stride, padding: padding)
        precondition(input.dtype == weight.dtype, "conv2d: dtypes \(input.dtype) and \(weight.dtype) differ")
        var out = Tensor(uninitialized: g.outputShape, dtype: input.dtype)
        switch input.dtype {
        case .float32 where convolvesByWinograd(g): winogradForward(input, weight, &out, g)
        case .float32 where convolvesPacked: packedConvForward(input, weight, &out, g)
        case .float32: convForward(input, weight, &out, g, Float.self)
        case .float64: convForward(input, weight, &out, g, Double.self)
        }
        return out
    }

    /// The adjoint of `conv2d` in its input: given ∂L/∂output, returns ∂L/∂input (a transposed convolution).
    public static func conv2dInputAdjoint(
        _ outputGradient: Tensor, _ weight: Tensor, inputShape: [Int], stride: Int = 1, padding: Int = 0
    ) -> Tensor {
        let g = ConvolutionGeometry(input: inputShape, weight: weight.shape, stride: stride, padding: padding)
        precondition(outputGradient.shape == g.outputShape,
                     "conv2d input adjoint: gradient \(Shape.describe(outputGradient.shape)) should be \(Shape.describe(g.outputShape))")
        // At stride 1 every element is written (col2im copies whole planes out, a 1×1 GEMM has
        // β = 0); strided col2im adds into zeros.
        var out = stride == 1 ? Tensor(uninitialized: inputShape, dtype: weight.dtype) : Tensor(zeros: inputShape, dtype: weight.dtype)
        switch weight.dtype {
        case .float32 where convolvesByWinograd(g): winogradInputAdjoint(outputGradient, weight, &out, g)
        case .float32 where convolvesPacked: packedConvInputAdjoint(outputGradient, weight, &out, g)
        case .float32: convInputAdjoint(outputGradient, weight, &out, g, Float.self)
        case .float64: convInputAdjoint(outputGradient, weight, &out, g, Double.self)
        }
        return out
    }

    /// The adjoint of `conv2d` in its weight: given the input and ∂L/∂output, returns ∂L/∂weight.
    public static func conv2dWeightAdjoint(
        _ input: Tensor, _ outputGradient: Tensor, weightShape: [Int], stride: Int = 1, padding: Int = 0
    ) -> Tensor {
        let g = ConvolutionGeometry(input: input.shape, weight: weightShape, stride: stride, padding: padding)
        precondition(outputGradient.shape == g.outputShape,
                     "conv2d weight adjoint: gradient \(Shape.describe(outputGradient.shape)) should be \(Shape.describe(g.outputShape))")
        var out = Tensor(zeros: weightShape, dtype: input.dtype)
        if g.batch == 0 { return out }  // no samples: the sum is empty
        switch input.dtype {
        case .float32 where convolvesPacked: packedConvWeightAdjoint(input, outputGradient, &out, g)
        case .float32: convWeightAdjoint(input, outputGradient, &out, g, Float.self)
        case .float64: convWeightAdjoint(input, outputGradient, &out, g, Double.self)
        }
        return out
    }

    // MARK: Kernels

    /// Whether im2col would be the identity (1×1 kernel, stride 1, no padding).
    static func isPointwise(_ g: ConvolutionGeometry) -> Bool {
        g.kernelHeight == 1 && g.kernelWidth == 1 && g.stride == 1 && g.padding == 0
    }

    /// Samples unfolded together so one GEMM covers them: the weights are packed once per group
    /// instead of once per sample, and the GEMM's N dimension grows from H·W to G·H·W (about 128
    /// columns, at most 2²⁰ elements of im2col workspace). Fixed by the layer alone — never by the
    /// batch or the threads — and every group is padded to one width, so the layer's GEMMs all
    /// have one shape and a sample is computed the same way in any batch (see `parallelGemm`).
    private static func groupSize(_ g: ConvolutionGeometry) -> Int {
        let byMemory = Swift.max(1, (1 << 20) / Swift.max(g.patchSize * g.outPixels, 1))
        let byWidth = Swift.max(1, (128 + g.outPixels - 1) / Swift.max(g.outPixels, 1))
        return Swift.min(byMemory, byWidth)
    }

    /// Walks the batch for one of the kernels, in groups of `group` samples that the threads take
    /// in turn. When im2col would be the identity it calls `pointwise(group, n)` for each sample `n`;
    /// otherwise `unfolded(group, first, count, ld, columns, outputs)` for the group of samples
    /// `first..<first+count`, with workspace for their im2col `columns` [C·kh·kw, ld] and their
    /// `outputs` [O, ld], where ld = group·H·W rounded up to a multiple of 16 when `padded` (the
    /// columns past the samples are zero)
    /// and count·H·W otherwise. `group` numbers the groups; `parallelInside` says whether the
    /// group's GEMM may use the threads itself (there is one group only).
    private static func forEachSampleGroup<T: KernelScalar>(
        _ g: ConvolutionGeometry, group: Int, padded: Bool, _: T.Type, pointwise: (_ group: Int, _ n: Int) -> Void,
        unfolded: (_ group: Int, _ first: Int, _ count: Int, _ ld: Int, _ columns: UnsafeMutablePointer<T>,
                   _ outputs: UnsafeMutablePointer<T>, _ parallelInside: Bool) -> Void
    ) {
        let hw = g.outPixels
        let parallelInside = g.batch <= group
        Parallel.forEachBlock(of: g.batch, size: group) { samples in
            let index = samples.lowerBound / group
            if isPointwise(g) {
                for n in samples { pointwise(index, n) }
                return
            }
            // Padded groups are also a multiple of `gemmQuantum` wide, so `gemm` never splits their
            // columns into a main call and a tail call (a sample's pixels would then be computed
            // by one or the other depending on its place in the group).
            let ld = padded ? (group * hw + gemmQuantum - 1) / gemmQuantum * gemmQuantum : samples.count * hw
            let columns = UnsafeMutablePointer<T>.allocate(capacity: g.patchSize * ld)
            let outputs = UnsafeMutablePointer<T>.allocate(capacity: g.outChannels * ld)
            defer { columns.deallocate(); outputs.deallocate() }
            if ld > samples.count * hw {
                for row in 0..<g.patchSize { (columns + row * ld + samples.count * hw).initialize(repeating: 0, count: ld - samples.count * hw) }
                for row in 0..<g.outChannels { (outputs + row * ld + samples.count * hw).initialize(repeating: 0, count: ld - samples.count * hw) }
            }
            unfolded(index, samples.lowerBound, samples.count, ld, columns, outputs, parallelInside)
        }
    }

    /// A convolution's GEMM [m × k]·[k × n] in fixed slices of rows (two when m ≥ 64), in
    /// parallel when `parallel`: the slices are the same either way, so the result is too.
    private static func rowSlicedGemm<T: KernelScalar>(
        _: T.Type, parallel: Bool, transposeA: Bool, m: Int, n: Int, k: Int,
        a: UnsafeMutablePointer<T>, lda: Int, b: UnsafeMutablePointer<T>, ldb: Int, c: UnsafeMutablePointer<T>, ldc: Int
    ) {
        // On one thread, calls past OpenBLAS's small-matrix kernels are made whole: their rows
        // come out as in the slices (`rowsComputedAlikeInAnyCall`), and op(B) is packed once.
        let whole = !parallel && rowsComputedAlikeInAnyCall(n: n, columnTile: n, k: k)
        let slice = m >= 64 && !whole ? ((m + 1) / 2 + gemmQuantum - 1) / gemmQuantum * gemmQuantum : m
        func rows(_ r: Range<Int>) {
            gemm(transposeA: transposeA, transposeB: false, m: r.count, n: n, k: k, alpha: 1,
                 a: a + (transposeA ? r.lowerBound : r.lowerBound * lda), lda: lda, b: b, ldb: ldb,
                 beta: 0, c: c + r.lowerBound * ldc, ldc: ldc, dtype: T.dtype)
        }
        if parallel && slice < m && Parallel.threadCount > 1 {
            Parallel.forEachBlock(of: m, size: slice, rows)
        } else {
            for start in stride(from: 0, to: m, by: slice) { rows(start..<Swift.min(start + slice, m)) }
        }
    }

    private static func convForward<T: KernelScalar>(
        _ x: Tensor, _ w: Tensor, _ y: inout Tensor, _ g: ConvolutionGeometry, _: T.Type
    ) {
        let xp = x.buffer(T.self).baseAddress!, yp = y.mutableBuffer(T.self).baseAddress!
        let inStride = g.inChannels * g.height * g.width, outStride = g.outChannels * g.outPixels, hw = g.outPixels
        let wp = w.buffer(T.self).baseAddress!
        forEachSampleGroup(g, group: groupSize(g), padded: true, T.self) { _, n in
            gemm(transposeA: false, transposeB: false, m: g.outChannels, n: hw, k: g.patchSize, alpha: 1,
                 a: w.storage.pointer, lda: g.patchSize, b: xp + n * inStride, ldb: hw,
                 beta: 0, c: yp + n * outStride, ldc: hw, dtype: T.dtype)
        } unfolded: { _, first, count, ld, columns, product, parallelInside in
            for s in 0..<count { im2col(xp + (first + s) * inStride, columns + s * hw, ld, g) }
            // A lone sample exactly as wide as the GEMM is written in place: same call, no copy.
            let inPlace = count == 1 && ld == hw
            rowSlicedGemm(T.self, parallel: parallelInside, transposeA: false, m: g.outChannels, n: ld, k: g.patchSize,
                          a: wp, lda: g.patchSize, b: columns, ldb: ld, c: inPlace ? yp + first * outStride : product, ldc: ld)
            if inPlace { return }
            scatterOutputs(product, ld, yp, first, count, g)
        }
    }

    /// Copies the output gradients of samples first..<first+count into [O, ld], ld ≥ count·H·W.
    @inline(__always)
    static func gatherOutputs<T: KernelScalar>(
        _ dy: UnsafeMutablePointer<T>, _ first: Int, _ count: Int, _ into: UnsafeMutablePointer<T>, _ ld: Int, _ g: ConvolutionGeometry
    ) {
        let hw = g.outPixels, outStride = g.outChannels * hw
        for s in 0..<count {
            for o in 0..<g.outChannels { (into + o * ld + s * hw).update(from: dy + (first + s) * outStride + o * hw, count: hw) }
        }
    }

    private static func convInputAdjoint<T: KernelScalar>(
        _ dy: Tensor, _ w: Tensor, _ dx: inout Tensor, _ g: ConvolutionGeometry, _: T.Type
    ) {
        let dyp = dy.buffer(T.self).baseAddress!, dxp = dx.mutableBuffer(T.self).baseAddress!
        let inStride = g.inChannels * g.height * g.width, outStride = g.outChannels * g.outPixels, hw = g.outPixels
        let wp = w.buffer(T.self).baseAddress!
        forEachSampleGroup(g, group: groupSize(g), padded: true, T.self) { _, n in
            gemm(transposeA: true, transposeB: false, m: g.patchSize, n: hw, k: g.outChannels, alpha: 1,
                 a: w.storage.pointer, lda: g.patchSize, b: dyp + n * outStride, ldb: hw,
                 beta: 0, c: dxp + n * inStride, ldc: hw, dtype: T.dtype)
        } unfolded: { _, first, count, ld, columns, gathered, parallelInside in
            let inPlace = count == 1 && ld == hw  // the sample's gradient is already laid out [O, ld]
            if !inPlace { gatherOutputs(dyp, first, count, gathered, ld, g) }
            rowSlicedGemm(T.self, parallel: parallelInside, transposeA: true, m: g.patchSize, n: ld, k: g.outChannels,
                          a: wp, lda: g.patchSize, b: inPlace ? dyp + first * outStride : gathered, ldb: ld, c: columns, ldc: ld)
            for s in 0..<count { col2im(columns + s * hw, ld, dxp + (first + s) * inStride, g) }
        }
    }

    /// The inverse of `gatherOutputs`: copies [O, ld] back into the outputs of samples first..<first+count.
    @inline(__always)
    static func scatterOutputs<T: KernelScalar>(
        _ from: UnsafeMutablePointer<T>, _ ld: Int, _ y: UnsafeMutablePointer<T>, _ first: Int, _ count: Int, _ g: ConvolutionGeometry
    ) {
        let hw = g.outPixels, outStride = g.outChannels * hw
        for s in 0..<count {
            for o in 0..<g.outChannels { (y + (first + s) * outStride + o * hw).update(from: from + o * ld + s * hw, count: hw) }
        }
    }

    /// Samples per partial sum of the weight adjoint: fixed by the geometry and the batch, never by
    /// the thread count, so the sum over samples is rounded the same way on any number of threads.
    static func weightGroupSize(_ g: ConvolutionGeometry) -> Int {
        let byMemory = Swift.max(1, (1 << 20) / Swift.max(g.patchSize * g.outPixels, 1))
        return Swift.min(byMemory, Swift.max(1, (g.batch + 7) / 8))
    }

    private static func convWeightAdjoint<T: KernelScalar>(
        _ x: Tensor, _ dy: Tensor, _ dw: inout Tensor, _ g: ConvolutionGeometry, _: T.Type
    ) {
        let xp = x.buffer(T.self).baseAddress!, dyp = dy.buffer(T.self).baseAddress!
        let dwp = dw.mutableBuffer(T.self).baseAddress!
        let inStride = g.inChannels * g.height * g.width, outStride = g.outChannels * g.outPixels, hw = g.outPixels
        let weightCount = g.outChannels * g.patchSize
        // Each group of samples sums into its own slice; the slices are added in group order.
        let group = weightGroupSize(g), groups = (g.batch + group - 1) / group
        let partials = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(groups * weightCount, 1))
        defer { partials.deallocate() }
        forEachSampleGroup(g, group: group, padded: false, T.self) { index, n in
            gemm(transposeA: false, transposeB: true, m: g.outChannels, n: g.patchSize, k: hw, alpha: 1,
                 a: dyp + n * outStride, lda: hw, b: xp + n * inStride, ldb: hw,
                 beta: n == index * group ? 0 : 1, c: partials + index * weightCount, ldc: g.patchSize, dtype: T.dtype)
        } unfolded: { index, first, count, ld, columns, gathered, _ in
            for s in 0..<count { im2col(xp + (first + s) * inStride, columns + s * hw, ld, g) }
            let inPlace = count == 1 && ld == hw
            if !inPlace { gatherOutputs(dyp, first, count, gathered, ld, g) }
            gemm(transposeA: false, transposeB: true, m: g.outChannels, n: g.patchSize, k: ld, alpha: 1,
                 a: inPlace ? dyp + first * outStride : gathered, lda: ld, b: columns, ldb: ld,
                 beta: 0, c: partials + index * weightCount, ldc: g.patchSize, dtype: T.dtype)
        }
        dwp.update(from: partials, count: weightCount)
        for index in 1..<Swift.max(groups, 1) {
            let partial = partials + index * weightCount
            for i in 0..<weightCount { dwp[i] += partial[i] }
        }
    }

    /// Output columns ox whose input column ox·stride − padding + j lies inside the image.
    @inline(__always)
    private static func validColumns(_ g: ConvolutionGeometry, _ j: Int) -> Range<Int> {
        let offset = j - g.padding  // ix = ox·stride + offset
        let low = offset >= 0 ? 0 : (-offset + g.stride - 1) / g.stride
        let high = Swift.max(low, Swift.min(g.outWidth, (g.width - offset + g.stride - 1) / g.stride))
        return low..<high
    }

    /// Unfolds one sample [C, H, W] into columns [C·kh·kw, outH·outW] (rows `ld` apart), zero
    /// outside the image.
    static func im2col<T: KernelScalar>(
        _ x: UnsafeMutablePointer<T>, _ columns: UnsafeMutablePointer<T>, _ ld: Int, _ g: ConvolutionGeometry
    ) {
        let (oh, ow) = (g.outHeight, g.outWidth)
        if g.stride == 1 {
            // Each channel copied once into a zero-bordered plane; every (tap, output row) is then
            // one copy of a whole output row, with no edge tests (the branches per row cost more
            // than the copying).
            let (hp, wp) = (g.height + 2 * g.padding, g.width + 2 * g.padding)
            withUnsafeTemporaryAllocation(of: T.self, capacity: hp * wp) { scratch in
                let padded = scratch.baseAddress!
                padded.initialize(repeating: 0, count: hp * wp)
                var row = 0
                for c in 0..<g.inChannels {
                    let plane = x + c * g.height * g.width
                    for y in 0..<g.height { shortCopy(padded + (y + g.padding) * wp + g.padding, plane + y * g.width, g.width) }
                    for i in 0..<g.kernelHeight {
                        for j in 0..<g.kernelWidth {
                            let dst = columns + row * ld, src = padded + i * wp + j
                            for oy in 0..<oh { shortCopy(dst + oy * ow, src + oy * wp, ow) }
                            row += 1
                        }
                    }
                }
            }
            return
        }
        var row = 0
        for c in 0..<g.inChannels {
            let plane = x + c * g.height * g.width
            for i in 0..<g.kernelHeight {
                for j in 0..<g.kernelWidth {
                    let dst = columns + row * ld
                    let valid = validColumns(g, j), offset = j - g.padding
                    for oy in 0..<oh {
                        let iy = oy * g.stride - g.padding + i
                        let line = dst + oy * ow
                        if iy < 0 || iy >= g.height {
                            line.update(repeating: 0, count: ow)
                            continue
                        }
                        let src = plane + iy * g.width + offset
                        if valid.lowerBound > 0 { line.update(repeating: 0, count: valid.lowerBound) }
                        for ox in valid { line[ox] = src[ox * g.stride] }
                        if valid.upperBound < ow { (line + valid.upperBound).update(repeating: 0, count: ow - valid.upperBound) }
                    }
                    row += 1
                }
            }
        }
    }

    /// Copies a short run (an image row, a few to a few hundred elements) with vector moves in
    /// line, the tail as one last vector that overlaps the one before it: im2col makes one such
    /// copy per kernel tap and output row, and a memmove call (or a scalar tail) for each cost
    /// more than the copying itself.
    @inline(__always)
    private static func shortCopy<T: KernelScalar>(_ dst: UnsafeMutablePointer<T>, _ src: UnsafeMutablePointer<T>, _ n: Int) {
        @inline(__always) func move<V: SIMD>(_: V.Type, _ at: Int) where V.Scalar == T {
            UnsafeMutableRawPointer(dst + at).storeBytes(of: UnsafeRawPointer(src + at).loadUnaligned(as: V.self), as: V.self)
        }
        if n >= 8 {
            var i = 0
            while i + 8 < n { move(SIMD8<T>.self, i); i += 8 }
            move(SIMD8<T>.self, n - 8)
        } else if n >= 4 {
            move(SIMD4<T>.self, 0)
            move(SIMD4<T>.self, n - 4)
        } else {
            for i in 0..<n { dst[i] = src[i] }
        }
    }

    /// dst[0..<n] += src[0..<n] for a short run, eight or four at a time in line.
    @inline(__always)
    private static func shortAdd<T: KernelScalar>(_ dst: UnsafeMutablePointer<T>, _ src: UnsafeMutablePointer<T>, _ n: Int) {
        var i = 0
        while i + 8 <= n {
            let sum = UnsafeRawPointer(dst + i).loadUnaligned(as: SIMD8<T>.self) + UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<T>.self)
            UnsafeMutableRawPointer(dst + i).storeBytes(of: sum, as: SIMD8<T>.self)
            i += 8
        }
        if i + 4 <= n {
            let sum = UnsafeRawPointer(dst + i).loadUnaligned(as: SIMD4<T>.self) + UnsafeRawPointer(src + i).loadUnaligned(as: SIMD4<T>.self)
            UnsafeMutableRawPointer(dst + i).storeBytes(of: sum, as: SIMD4<T>.self)
            i += 4
        }
        while i < n { dst[i] += src[i]; i += 1 }
    }

    /// Folds columns (rows `ld` apart) back into one sample [C, H, W], adding overlapping contributions.
    static func col2im<T: KernelScalar>(
        _ columns: UnsafeMutablePointer<T>, _ ld: Int, _ x: UnsafeMutablePointer<T>, _ g: ConvolutionGeometry
    ) {
        let (oh, ow) = (g.outHeight, g.outWidth)
        if g.stride == 1 {
            // Summed into a zero-bordered plane per channel, whole output rows at a time with no
            // edge tests, then its interior copied out: each element receives the same terms in
            // the same order, from the same +0, as when added into `x` directly (which is zero).
            let (hp, wp) = (g.height + 2 * g.padding, g.width + 2 * g.padding)
            withUnsafeTemporaryAllocation(of: T.self, capacity: hp * wp) { scratch in
                let padded = scratch.baseAddress!
                var row = 0
                for c in 0..<g.inChannels {
                    padded.initialize(repeating: 0, count: hp * wp)
                    for i in 0..<g.kernelHeight {
                        for j in 0..<g.kernelWidth {
                            let src = columns + row * ld, dst = padded + i * wp + j
                            for oy in 0..<oh { shortAdd(dst + oy * wp, src + oy * ow, ow) }
                            row += 1
                        }
                    }
                    let plane = x + c * g.height * g.width
                    for y in 0..<g.height { shortCopy(plane + y * g.width, padded + (y + g.padding) * wp + g.padding, g.width) }
                }
            }
            return
        }
        var row = 0
        for c in 0..<g.inChannels {
            let plane = x + c * g.height * g.width
            for i in 0..<g.kernelHeight {
                for j in 0..<g.kernelWidth {
                    let src = columns + row * ld
                    let valid = validColumns(g, j), offset = j - g.padding
                    for oy in 0..<oh {
                        let iy = oy * g.stride - g.padding + i
                        if iy < 0 || iy >= g.height { continue }
                        let line = plane + iy * g.width + offset, col = src + oy * ow
                        for ox in valid { line[ox * g.stride] += col[ox] }
                    }
                    row += 1
                }
            }
        }
    }
}
