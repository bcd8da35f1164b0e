/// The geometry of a grouped 2-D convolution: NCHW input [N, C, H, W], weight [O, C/groups, kh, kw];
/// output channel o sees only the C/groups input channels of its group, o / (O/groups)
/// (groups = C is depthwise).
public struct GroupedConvolutionGeometry: Equatable, Sendable {
    public let groups: Int
    /// One group's own convolution: C/groups input channels, O/groups output channels.
    public let perGroup: ConvolutionGeometry

    public init(input: [Int], weight: [Int], groups: Int, stride: Int, padding: Int) {
        precondition(input.count == 4 && weight.count == 4,
                     "grouped conv2d: input \(Shape.describe(input)) must be [N, C, H, W] and weight \(Shape.describe(weight)) [out, in/groups, kh, kw]")
        precondition(groups >= 1 && input[1] % groups == 0 && weight[0] % groups == 0 && weight[1] * groups == input[1],
                     "grouped conv2d: \(groups) groups do not fit input \(Shape.describe(input)) and weight \(Shape.describe(weight))")
        self.groups = groups
        perGroup = ConvolutionGeometry(input: [input[0], weight[1], input[2], input[3]],
                                       weight: [weight[0] / groups] + weight.dropFirst(), stride: stride, padding: padding)
    }

    public var inputShape: [Int] { [perGroup.batch, perGroup.inChannels * groups, perGroup.height, perGroup.width] }
    public var weightShape: [Int] { [perGroup.outChannels * groups] + perGroup.weightShape.dropFirst() }
    public var outputShape: [Int] { [perGroup.batch, perGroup.outChannels * groups, perGroup.outHeight, perGroup.outWidth] }

    /// Whether each group runs as a dense convolution of its own (`Tensor.conv2d` on copied
    /// channel slices) rather than directly: from 16 channels per group the GEMM's speed per
    /// multiply-add outweighs the copies. (HVP of a 64-channel 3×3 layer at batch 32: direct
    /// 1.6× faster than dense at 8 groups of 8 channels, 1.3× slower at 2 groups of 32.)
    var runsDenseByGroup: Bool { perGroup.inChannels >= 16 }

    /// The input laid out for the forward convolution and the weight gradient: zero padding, the
    /// columns dealt into `stride` phases.
    var inputPlacement: PlanePlacement {
        let g = perGroup
        return PlanePlacement(sourceHeight: g.height, sourceWidth: g.width, spacing: 1, top: g.padding, left: g.padding,
                              rows: g.height + 2 * g.padding, columns: g.width + 2 * g.padding, stride: g.stride)
    }

    /// The output gradient laid out for the input adjoint, a stride-1 correlation with the flipped
    /// kernel: `stride` − 1 zeros between elements, kernel − 1 − padding zeros before.
    var outputGradientPlacement: PlanePlacement {
        let g = perGroup
        return PlanePlacement(sourceHeight: g.outHeight, sourceWidth: g.outWidth, spacing: g.stride,
                              top: g.kernelHeight - 1 - g.padding, left: g.kernelWidth - 1 - g.padding,
                              rows: g.height + g.kernelHeight - 1, columns: g.width + g.kernelWidth - 1, stride: 1)
    }
}

extension Tensor {
    /// Grouped cross-correlation of NCHW `input` with `weight` [out, in/groups, kh, kw] (PyTorch's
    /// conv2d with `groups`), computed directly: no im2col buffer, and groups × fewer multiply-adds
    /// than the dense convolution with the block-diagonal kernel.
    public static func groupedConv2d(_ input: Tensor, _ weight: Tensor, groups: Int, stride: Int = 1, padding: Int = 0) -> Tensor {
        let g = GroupedConvolutionGeometry(input: input.shape, weight: weight.shape, groups: groups, stride: stride, padding: padding)
        precondition(input.dtype == weight.dtype, "grouped conv2d: dtypes \(input.dtype) and \(weight.dtype) differ")
        if g.runsDenseByGroup {
            return joiningGroups(groups, shape: g.outputShape, dtype: input.dtype) { group in
                conv2d(input.groupChannels(group, of: groups), weight.groupRows(group, of: groups), stride: stride, padding: padding)
            }
        }
        var out = Tensor(uninitialized: g.outputShape, dtype: input.dtype)
        switch input.dtype {
        case .float32: groupedCorrelation(input.buffer(Float.self), weight.buffer(Float.self), out.mutableBuffer(Float.self), g, forward: true)
        case .float64: groupedCorrelation(input.buffer(Double.self), weight.buffer(Double.self), out.mutableBuffer(Double.self), g, forward: true)
        }
        return out
    }

    /// The adjoint of `groupedConv2d` in its input: given ∂L/∂output, returns ∂L/∂input (a grouped
    /// transposed convolution).
    public static func groupedConv2dInputAdjoint(
        _ outputGradient: Tensor, _ weight: Tensor, inputShape: [Int], groups: Int, stride: Int = 1, padding: Int = 0
    ) -> Tensor {
        let g = GroupedConvolutionGeometry(input: inputShape, weight: weight.shape, groups: groups, stride: stride, padding: padding)
        precondition(outputGradient.shape == g.outputShape,
                     "grouped conv2d input adjoint: gradient \(Shape.describe(outputGradient.shape)) should be \(Shape.describe(g.outputShape))")
        if g.runsDenseByGroup {
            return joiningGroups(groups, shape: inputShape, dtype: weight.dtype) { group in
                conv2dInputAdjoint(outputGradient.groupChannels(group, of: groups), weight.groupRows(group, of: groups),
                                   inputShape: g.perGroup.inputShape, stride: stride, padding: padding)
            }
        }
        var out = Tensor(uninitialized: inputShape, dtype: weight.dtype)
        // The transposed convolution is the grouped correlation of the spread-out gradient with each
        // group's kernel transposed and flipped: [in, out/groups, kh, kw].
        let flipped = weight.flippedTransposedGroups(groups)
        switch weight.dtype {
        case .float32:
            groupedCorrelation(outputGradient.buffer(Float.self), flipped.buffer(Float.self), out.mutableBuffer(Float.self), g, forward: false)
        case .float64:
            groupedCorrelation(outputGradient.buffer(Double.self), flipped.buffer(Double.self), out.mutableBuffer(Double.self), g, forward: false)
        }
        return out
    }

    /// The adjoint of `groupedConv2d` in its weight: given the input and ∂L/∂output, returns ∂L/∂weight.
    public static func groupedConv2dWeightAdjoint(
        _ input: Tensor, _ outputGradient: Tensor, weightShape: [Int], groups: Int, stride: Int = 1, padding: Int = 0
    ) -> Tensor {
        let g = GroupedConvolutionGeometry(input: input.shape, weight: weightShape, groups: groups, stride: stride, padding: padding)
        precondition(outputGradient.shape == g.outputShape,
                     "grouped conv2d weight adjoint: gradient \(Shape.describe(outputGradient.shape)) should be \(Shape.describe(g.outputShape))")
        if g.runsDenseByGroup {
            return concatenate((0..<groups).map { group in
                conv2dWeightAdjoint(input.groupChannels(group, of: groups), outputGradient.groupChannels(group, of: groups),
                                    weightShape: g.perGroup.weightShape, stride: stride, padding: padding)
            })
        }
        var out = Tensor(zeros: weightShape, dtype: input.dtype)
        switch input.dtype {
        case .float32: groupedWeightAdjoint(input.buffer(Float.self), outputGradient.buffer(Float.self), out.mutableBuffer(Float.self), g)
        case .float64: groupedWeightAdjoint(input.buffer(Double.self), outputGradient.buffer(Double.self), out.mutableBuffer(Double.self), g)
        }
        return out
    }

    // MARK: Dense by group

    /// Channels of `group` (of `groups` equal ones) of an [N, C, …] tensor, copied.
    private func groupChannels(_ group: Int, of groups: Int) -> Tensor {
        let perGroup = shape[1] / groups
        let out = Tensor(uninitialized: [shape[0], perGroup] + shape.dropFirst(2), dtype: dtype)
        Tensor.copyChannels(self, from: group * perGroup, into: out, at: 0, count: perGroup)
        return out
    }

    /// Rows of `group` (of `groups` equal ones) along axis 0: one group's kernels.
    private func groupRows(_ group: Int, of groups: Int) -> Tensor {
        let perGroup = shape[0] / groups
        return slice(rows: (group * perGroup)..<((group + 1) * perGroup))
    }

    /// An [N, C, …] tensor whose channels are `part(group)` [N, C/groups, …], group after group.
    private static func joiningGroups(_ groups: Int, shape: [Int], dtype: DType, _ part: (_ group: Int) -> Tensor) -> Tensor {
        let out = Tensor(uninitialized: shape, dtype: dtype), perGroup = shape[1] / groups
        for group in 0..<groups { copyChannels(part(group), from: 0, into: out, at: group * perGroup, count: perGroup) }
        return out
    }

    /// Channels from..<from+count of each sample of `source` into channels at..<at+count of the
    /// same sample of `target` (a tensor the caller just made).
    private static func copyChannels(_ source: Tensor, from: Int, into target: Tensor, at: Int, count: Int) {
        let planeBytes = source.shape.dropFirst(2).reduce(1, *) * source.dtype.byteSize
        for n in 0..<source.shape[0] {
            (target.storage.pointer + (n * target.shape[1] + at) * planeBytes)
                .copyMemory(from: source.storage.pointer + (n * source.shape[1] + from) * planeBytes, byteCount: count * planeBytes)
        }
    }

    // MARK: Kernels

    /// Weight [O, I/groups, kh, kw] → [I, O/groups, kh, kw]: within each group, inputs and outputs
    /// swapped and the kernel turned by 180°.
    private func flippedTransposedGroups(_ groups: Int) -> Tensor {
        let (o, perGroup, kh, kw) = (shape[0], shape[1], shape[2], shape[3])
        let outsPerGroup = o / groups, taps = kh * kw
        let source = scalars
        var flipped = [Double](repeating: 0, count: count)
        for out in 0..<o {
            let group = out / outsPerGroup, k = out % outsPerGroup
            for c in 0..<perGroup {
                let from = (out * perGroup + c) * taps, to = ((group * perGroup + c) * outsPerGroup + k) * taps
                for t in 0..<taps { flipped[to + taps - 1 - t] = source[from + t] }
            }
        }
        return Tensor(shape: [perGroup * groups, outsPerGroup, kh, kw], scalars: flipped, dtype: dtype)
    }

    /// For each sample and group, the group's `sources` planes of `x` placed (`forward`: the input;
    /// otherwise: the output gradient, spread out) and correlated with the group's kernels `w`
    /// [outputs, sources, kh, kw] into the group's planes of `y`. Samples and groups go to the
    /// threads whole, so each output is computed the same way in any batch on any thread count.
    private static func groupedCorrelation<T: KernelScalar>(
        _ x: UnsafeMutableBufferPointer<T>, _ w: UnsafeMutableBufferPointer<T>, _ y: UnsafeMutableBufferPointer<T>,
        _ geometry: GroupedConvolutionGeometry, forward: Bool
    ) {
        let g = geometry.perGroup, groups = geometry.groups
        let layout = forward ? geometry.inputPlacement : geometry.outputGradientPlacement
        let sources = forward ? g.inChannels : g.outChannels, outputs = forward ? g.outChannels : g.inChannels
        let (height, width) = forward ? (g.outHeight, g.outWidth) : (g.height, g.width)
        let sourcePlane = layout.sourceHeight * layout.sourceWidth, outputPlane = height * width
        let kernel = g.kernelHeight * g.kernelWidth
        let xp = UnsafePointer(x.baseAddress!), wp = UnsafePointer(w.baseAddress!), yp = y.baseAddress!
        let work = Swift.max(1, outputs * sources * outputPlane * kernel)
        Parallel.forEachChunk(of: g.batch * groups, minimumChunk: Swift.max(1, (1 << 15) / work)) { units in
            let planes = UnsafeMutablePointer<T>.allocate(capacity: sources * layout.planeSize)
            defer { planes.deallocate() }
            for unit in units {
                let (n, group) = (unit / groups, unit % groups)
                for c in 0..<sources {
                    layout.place(xp + ((n * groups + group) * sources + c) * sourcePlane, into: planes + c * layout.planeSize)
                }
                for k in 0..<outputs {
                    let channel = group * outputs + k
                    PlaneCorrelation.correlate(UnsafePointer(planes), count: sources, layout, taps: wp + channel * sources * kernel,
                                               kernelHeight: g.kernelHeight, kernelWidth: g.kernelWidth,
                                               into: yp + (n * groups * outputs + channel) * outputPlane, height: height, width: width)
                }
            }
        }
    }

    /// ∂L/∂w[o, c, i, j] = Σ_n Σ_pixels ∂L/∂y[n, o] · x[n, c] shifted by (i, j): the groups go to the
    /// threads whole and each sums its samples in order, so the rounding depends on the batch
    /// alone, never on the threads.
    private static func groupedWeightAdjoint<T: KernelScalar>(
        _ x: UnsafeMutableBufferPointer<T>, _ dy: UnsafeMutableBufferPointer<T>, _ dw: UnsafeMutableBufferPointer<T>,
        _ geometry: GroupedConvolutionGeometry
    ) {
        let g = geometry.perGroup, groups = geometry.groups, layout = geometry.inputPlacement
        let kernel = g.kernelHeight * g.kernelWidth, inputPlane = g.height * g.width, outputPlane = g.outPixels
        let xp = UnsafePointer(x.baseAddress!), dyp = UnsafePointer(dy.baseAddress!), dwp = dw.baseAddress!
        Parallel.forEachChunk(of: groups) { chunk in
            let planes = UnsafeMutablePointer<T>.allocate(capacity: g.inChannels * layout.planeSize)
            let sample = UnsafeMutablePointer<T>.allocate(capacity: kernel)
            defer { planes.deallocate(); sample.deallocate() }
            for group in chunk {
                for n in 0..<g.batch {
                    for c in 0..<g.inChannels {
                        layout.place(xp + ((n * groups + group) * g.inChannels + c) * inputPlane, into: planes + c * layout.planeSize)
                    }
                    for k in 0..<g.outChannels {
                        let channel = group * g.outChannels + k
                        let gradient = dyp + (n * groups * g.outChannels + channel) * outputPlane
                        for c in 0..<g.inChannels {
                            PlaneCorrelation.tapProducts(gradient, height: g.outHeight, width: g.outWidth,
                                                         UnsafePointer(planes + c * layout.planeSize), layout,
                                                         kernelHeight: g.kernelHeight, kernelWidth: g.kernelWidth, into: sample)
                            let total = dwp + (channel * g.inChannels + c) * kernel
                            for t in 0..<kernel { total[t] += sample[t] }
                        }
                    }
                }
            }
        }
    }
}
