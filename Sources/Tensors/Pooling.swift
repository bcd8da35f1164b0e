/// The geometry of 2-D pooling over NCHW inputs (no padding, floor division like PyTorch).
public struct PoolingGeometry: Equatable, Sendable {
    public let batch, channels, height, width: Int
    public let kernel, stride: Int
    public var outHeight: Int { (height - kernel) / stride + 1 }
    public var outWidth: Int { (width - kernel) / stride + 1 }
    public var outputShape: [Int] { [batch, channels, outHeight, outWidth] }

    public init(input: [Int], kernel: Int, stride: Int) {
        precondition(input.count == 4, "pool2d: input must be [N, C, H, W], got \(Shape.describe(input))")
        precondition(kernel >= 1 && stride >= 1, "pool2d: kernel \(kernel) and stride \(stride) must be ≥ 1")
        precondition(input[2] >= kernel && input[3] >= kernel,
                     "pool2d: kernel \(kernel) larger than input \(Shape.describe(input))")
        (batch, channels, height, width) = (input[0], input[1], input[2], input[3])
        self.kernel = kernel
        self.stride = stride
    }
}

extension Tensor {
    /// Max-pooling; also returns, per output element, the flat index of the input element chosen
    /// (the first maximum in its window), which is all the derivative needs.
    public static func maxPool2d(_ input: Tensor, kernel: Int, stride: Int) -> (values: Tensor, indices: [Int32]) {
        let g = PoolingGeometry(input: input.shape, kernel: kernel, stride: stride)
        precondition(input.count <= Int(Int32.max), "maxPool2d: input \(Shape.describe(input.shape)) too large for 32-bit indices")
        var indices = [Int32](repeating: 0, count: Shape.count(g.outputShape))
        var out = Tensor(uninitialized: g.outputShape, dtype: input.dtype)
        indices.withUnsafeMutableBufferPointer { idx in
            switch input.dtype {
            case .float32: maxPool(input.buffer(Float.self), out.mutableBuffer(Float.self), idx, g)
            case .float64: maxPool(input.buffer(Double.self), out.mutableBuffer(Double.self), idx, g)
            }
        }
        return (out, indices)
    }

    private static func maxPool<T: KernelScalar>(
        _ x: UnsafeMutableBufferPointer<T>, _ y: UnsafeMutableBufferPointer<T>,
        _ indices: UnsafeMutableBufferPointer<Int32>, _ g: PoolingGeometry
    ) {
        let planeOutputs = g.outHeight * g.outWidth
        Parallel.forEachChunk(of: g.batch * g.channels, minimumChunk: 16) { planes in
        for plane in planes {
            var o = plane * planeOutputs
            let base = plane * g.height * g.width
            if g.kernel == 2 && g.stride == 2 {
                // The common case, unrolled: the first maximum of each 2×2 window.
                for oy in 0..<g.outHeight {
                    let top = base + 2 * oy * g.width
                    var ox = 0
                    if T.self == Float.self {
                        ox = maxPool2x2Vectorised(UnsafeMutableRawPointer(x.baseAddress!).assumingMemoryBound(to: Float.self),
                                                  UnsafeMutableRawPointer(y.baseAddress! + o).assumingMemoryBound(to: Float.self),
                                                  indices.baseAddress! + o, top: top, width: g.width, outWidth: g.outWidth)
                        o += ox
                    }
                    for ox in ox..<g.outWidth {
                        let a = top + 2 * ox, c = a + g.width
                        // Selects rather than branches: the comparisons are as likely one way as the other.
                        var best = a, value = x[a]
                        @inline(__always) func consider(_ candidate: Int) {
                            let v = x[candidate], take = v > value || v.isNaN
                            best = take ? candidate : best
                            value = take ? v : value
                        }
                        consider(a + 1)
                        consider(c)
                        consider(c + 1)
                        y[o] = value
                        indices[o] = Int32(best)
                        o += 1
                    }
                }
                continue
            }
            for oy in 0..<g.outHeight {
                for ox in 0..<g.outWidth {
                    var best = base + oy * g.stride * g.width + ox * g.stride
                    for i in 0..<g.kernel {
                        let row = base + (oy * g.stride + i) * g.width + ox * g.stride
                        for j in 0..<g.kernel where x[row + j] > x[best] || x[row + j].isNaN { best = row + j }
                    }
                    y[o] = x[best]
                    indices[o] = Int32(best)
                    o += 1
                }
            }
        }
        }
    }

    /// The 2×2, stride-2 windows of one output row, eight or four at a time: the same
    /// comparisons in the same order as the scalar loop (a, a+1, c, c+1; strictly greater or NaN
    /// takes), lane by lane. Returns how many outputs it wrote (all of a row at least 4 wide);
    /// the caller does the rest.
    @inline(__always)
    private static func maxPool2x2Vectorised(
        _ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ indices: UnsafeMutablePointer<Int32>,
        top: Int, width: Int, outWidth: Int
    ) -> Int {
        // Two concrete twins rather than one function generic over the vector type: Swift 6.3
        // left such a version unspecialised, a call per window group (30 % of an epoch).
        @inline(__always) func eight(at ox: Int) {
            let upper = UnsafeRawPointer(x + top + 2 * ox).loadUnaligned(as: SIMD16<Float>.self)
            let lower = UnsafeRawPointer(x + top + width + 2 * ox).loadUnaligned(as: SIMD16<Float>.self)
            let first = SIMD8<Int32>(repeating: Int32(top + 2 * ox)) &+ SIMD8<Int32>(0, 2, 4, 6, 8, 10, 12, 14)
            var value = upper.evenHalf, best = first
            @inline(__always) func consider(_ candidate: SIMD8<Float>, _ offset: Int) {
                let take = (candidate .> value) .| (candidate .!= candidate)
                value.replace(with: candidate, where: take)
                best.replace(with: first &+ Int32(offset), where: take)
            }
            consider(upper.oddHalf, 1)
            consider(lower.evenHalf, width)
            consider(lower.oddHalf, width + 1)
            UnsafeMutableRawPointer(y + ox).storeBytes(of: value, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(indices + ox).storeBytes(of: best, as: SIMD8<Int32>.self)
        }
        @inline(__always) func four(at ox: Int) {
            let upper = UnsafeRawPointer(x + top + 2 * ox).loadUnaligned(as: SIMD8<Float>.self)
            let lower = UnsafeRawPointer(x + top + width + 2 * ox).loadUnaligned(as: SIMD8<Float>.self)
            let first = SIMD4<Int32>(repeating: Int32(top + 2 * ox)) &+ SIMD4<Int32>(0, 2, 4, 6)
            var value = upper.evenHalf, best = first
            @inline(__always) func consider(_ candidate: SIMD4<Float>, _ offset: Int) {
                let take = (candidate .> value) .| (candidate .!= candidate)
                value.replace(with: candidate, where: take)
                best.replace(with: first &+ Int32(offset), where: take)
            }
            consider(upper.oddHalf, 1)
            consider(lower.evenHalf, width)
            consider(lower.oddHalf, width + 1)
            UnsafeMutableRawPointer(y + ox).storeBytes(of: value, as: SIMD4<Float>.self)
            UnsafeMutableRawPointer(indices + ox).storeBytes(of: best, as: SIMD4<Int32>.self)
        }
        // The row's tail as one last vector overlapping the one before: the windows computed twice
        // get the same value and index both times.
        if outWidth >= 8 {
            var ox = 0
            while ox + 8 <= outWidth { eight(at: ox); ox += 8 }
            if outWidth - ox > 4 { eight(at: outWidth - 8) } else if ox < outWidth { four(at: outWidth - 4) }
            return outWidth
        }
        if outWidth >= 4 {
            four(at: 0)
            if outWidth > 4 { four(at: outWidth - 4) }
            return outWidth
        }
        return 0
    }

    /// Average pooling.
    public static func avgPool2d(_ input: Tensor, kernel: Int, stride: Int) -> Tensor {
        let g = PoolingGeometry(input: input.shape, kernel: kernel, stride: stride)
        var out = Tensor(uninitialized: g.outputShape, dtype: input.dtype)
        switch input.dtype {
        case .float32: avgPool(input.buffer(Float.self), out.mutableBuffer(Float.self), g, adjoint: false)
        case .float64: avgPool(input.buffer(Double.self), out.mutableBuffer(Double.self), g, adjoint: false)
        }
        return out
    }

    /// The adjoint of average pooling: spreads each output gradient evenly over its window.
    public static func avgPool2dAdjoint(_ outputGradient: Tensor, inputShape: [Int], kernel: Int, stride: Int) -> Tensor {
        let g = PoolingGeometry(input: inputShape, kernel: kernel, stride: stride)
        precondition(outputGradient.shape == g.outputShape,
                     "avgPool2d adjoint: gradient \(Shape.describe(outputGradient.shape)) should be \(Shape.describe(g.outputShape))")
        var out = Tensor(zeros: inputShape, dtype: outputGradient.dtype)
        switch outputGradient.dtype {
        case .float32: avgPool(out.mutableBuffer(Float.self), outputGradient.buffer(Float.self), g, adjoint: true)
        case .float64: avgPool(out.mutableBuffer(Double.self), outputGradient.buffer(Double.self), g, adjoint: true)
        }
        return out
    }

    /// Forward: y = window means of x. Adjoint: x += y / k² over each window.
    private static func avgPool<T: KernelScalar>(
        _ x: UnsafeMutableBufferPointer<T>, _ y: UnsafeMutableBufferPointer<T>, _ g: PoolingGeometry, adjoint: Bool
    ) {
        let scale = 1 / T(g.kernel * g.kernel)
        var o = 0
        for plane in 0..<(g.batch * g.channels) {
            let base = plane * g.height * g.width
            for oy in 0..<g.outHeight {
                for ox in 0..<g.outWidth {
                    if adjoint {
                        let share = y[o] * scale
                        for i in 0..<g.kernel {
                            let row = base + (oy * g.stride + i) * g.width + ox * g.stride
                            for j in 0..<g.kernel { x[row + j] += share }
                        }
                    } else {
                        var total: T = 0
                        for i in 0..<g.kernel {
                            let row = base + (oy * g.stride + i) * g.width + ox * g.stride
                            for j in 0..<g.kernel { total += x[row + j] }
                        }
                        y[o] = total * scale
                    }
                    o += 1
                }
            }
        }
    }
}
