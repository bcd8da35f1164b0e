import RealModule

extension Tensor {
    /// Expands size-1 (or missing leading) axes to `target`, NumPy style.
    public func broadcast(to target: [Int]) -> Tensor {
        if target == shape { return self }
        var out = Tensor(uninitialized: target, dtype: dtype)
        switch dtype {
        case .float32: Self.expand(self, &out, Float.self)
        case .float64: Self.expand(self, &out, Double.self)
        }
        return out
    }

    /// Sums over the axes along which `target` is 1 (or missing), the adjoint of `broadcast(to:)`.
    public func sum(toShape target: [Int]) -> Tensor {
        if target == shape { return self }
        _ = Shape.broadcastStrides(target, to: shape)  // checks that `target` broadcasts to `shape`
        var out = Tensor(zeros: target, dtype: dtype)
        switch dtype {
        case .float32: Self.accumulate(self, &out, Float.self)
        case .float64: Self.accumulate(self, &out, Double.self)
        }
        return out
    }

    /// The sum of all elements as a rank-0 tensor.
    public func sum() -> Tensor { sum(toShape: []) }

    /// Sums over `axes`, keeping them as size-1 axes when `keepingDimensions` is true.
    public func sum(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        let kept = Self.reducedShape(shape, axes, keepingDimensions: true)
        let total = sum(toShape: kept)
        return keepingDimensions ? total : total.reshaped(Self.reducedShape(shape, axes, keepingDimensions: false))
    }

    /// The shape after reducing `axes` (negative axes count from the end).
    public static func reducedShape(_ shape: [Int], _ axes: [Int], keepingDimensions: Bool) -> [Int] {
        let normalised = Set(axes.map { axis -> Int in
            let a = axis < 0 ? axis + shape.count : axis
            precondition(a >= 0 && a < shape.count, "reduce: axis \(axis) outside shape \(Shape.describe(shape))")
            return a
        })
        var result: [Int] = []
        for (axis, dim) in shape.enumerated() {
            if !normalised.contains(axis) { result.append(dim) } else if keepingDimensions { result.append(1) }
        }
        return result
    }

    /// Walks the elements of shape `full` against those of `small` broadcast to it: calls
    /// `body(fullOffset, smallOffset, count, smallStride)` per inner run of `count` elements, which
    /// are contiguous in `full` and `smallStride` apart (0 along a broadcast axis) in `small`.
    private static func forEachBroadcastRun(
        full: [Int], small: [Int],
        _ body: (_ fullOffset: Int, _ smallOffset: Int, _ count: Int, _ smallStride: Int) -> Void
    ) {
        let loop = StridedLoop(shape: full, strides: [Shape.strides(full), Shape.broadcastStrides(small, to: full)])
        let n = loop.innerCount, s = loop.innerStride(1)
        loop.forEachRun { f, b, _ in body(f, b, n, s) }
    }

    private static func expand<T: KernelScalar>(_ x: Tensor, _ out: inout Tensor, _: T.Type) {
        let src = x.buffer(T.self).baseAddress!, dst = out.mutableBuffer(T.self).baseAddress!
        forEachBroadcastRun(full: out.shape, small: x.shape) { o, i, n, s in
            if s == 0 {
                let v = src[i]
                for k in 0..<n { dst[o + k] = v }
            } else {
                for k in 0..<n { dst[o + k] = src[i + k * s] }
            }
        }
    }

    private static func accumulate<T: KernelScalar>(_ x: Tensor, _ out: inout Tensor, _: T.Type) {
        let src = x.buffer(T.self).baseAddress!, dst = out.mutableBuffer(T.self).baseAddress!
        forEachBroadcastRun(full: x.shape, small: out.shape) { i, o, n, s in
            if s == 0 {
                var total: T = 0
                for k in 0..<n { total += src[i + k] }
                dst[o] += total
            } else {
                for k in 0..<n { dst[o + k * s] += src[i + k] }
            }
        }
    }
}

// MARK: - Softmax family along one axis

/// What to compute along the axis: log Σ exp, log-softmax or softmax.
public enum SoftmaxFunction: Sendable {
    case logSumExp, logSoftmax, softmax
}

extension Tensor {
    /// Applies a softmax-family function along `axis`. `logSumExp` keeps `axis` as size 1.
    public func softmaxFamily(_ function: SoftmaxFunction, axis: Int) -> Tensor {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < rank, "\(function): axis \(axis) outside shape \(Shape.describe(shape))")
        let outer = shape[..<a].reduce(1, *), length = shape[a], inner = shape[(a + 1)...].reduce(1, *)
        var outShape = shape
        if function == .logSumExp { outShape[a] = 1 }
        var out = Tensor(uninitialized: outShape, dtype: dtype)
        switch dtype {
        case .float32: Self.softmaxKernel(self, &out, Float.self, function, outer, length, inner)
        case .float64: Self.softmaxKernel(self, &out, Double.self, function, outer, length, inner)
        }
        return out
    }

    private static func softmaxKernel<T: KernelScalar>(
        _ x: Tensor, _ out: inout Tensor, _: T.Type, _ function: SoftmaxFunction,
        _ outer: Int, _ length: Int, _ inner: Int
    ) {
        let src = x.buffer(T.self).baseAddress!, dst = out.mutableBuffer(T.self).baseAddress!
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * length * inner + i
                var peak = -T.infinity
                for k in 0..<length { peak = Swift.max(peak, src[base + k * inner]) }
                if !peak.isFinite { peak = 0 }  // all -inf (or inf/NaN): let the arithmetic say so
                var total: T = 0
                for k in 0..<length { total += .exp(src[base + k * inner] - peak) }
                // Work relative to the peak: exact for large logits, where peak + log(total) is not.
                let logTotal = T.log(total)
                switch function {
                case .logSumExp:
                    dst[o * inner + i] = peak + logTotal
                case .logSoftmax:
                    for k in 0..<length { dst[base + k * inner] = (src[base + k * inner] - peak) - logTotal }
                case .softmax:
                    let scale = 1 / total
                    for k in 0..<length { dst[base + k * inner] = .exp(src[base + k * inner] - peak) * scale }
                }
            }
        }
    }
}
