import Tensors

/// The sum of all elements (rank 0).
public func sum(_ x: Variable) -> Variable { sum(x, toShape: []) }

/// Sums over `axes`, keeping them as size 1 when asked.
public func sum(_ x: Variable, alongAxes axes: [Int], keepingDimensions: Bool = false) -> Variable {
    let kept = sum(x, toShape: Tensor.reducedShape(x.shape, axes, keepingDimensions: true))
    return keepingDimensions ? kept : reshape(kept, Tensor.reducedShape(x.shape, axes, keepingDimensions: false))
}

/// The mean of all elements (rank 0).
public func mean(_ x: Variable) -> Variable { sum(x) * (1 / Double(x.count)) }

/// Means over `axes`.
public func mean(_ x: Variable, alongAxes axes: [Int], keepingDimensions: Bool = false) -> Variable {
    let total = sum(x, alongAxes: axes, keepingDimensions: keepingDimensions)
    return total * (Double(total.count) / Double(x.count))
}

/// The largest element over `axes`. The chosen positions are constants of the derivative (the
/// first of equal maxima wins, as in max-pooling), so the op is a gather and its derivative a scatter.
public func maximum(_ x: Variable, alongAxes axes: [Int], keepingDimensions: Bool = false) -> Variable {
    let kept = Tensor.reducedShape(x.shape, axes, keepingDimensions: true)
    let value = x.value.converted(to: .float64).scalars
    var best = [Int32](repeating: -1, count: Shape.count(kept))
    // Row-major strides of the kept shape, zero on the reduced axes: input position → output slot.
    var strides = [Int](repeating: 0, count: x.shape.count), stride = 1
    for axis in x.shape.indices.reversed() where kept[axis] != 1 || x.shape[axis] == 1 {
        strides[axis] = stride
        stride *= kept[axis]
    }
    var index = [Int](repeating: 0, count: x.shape.count)
    for flat in value.indices {
        let slot = zip(index, strides).reduce(0) { $0 + $1.0 * $1.1 }
        if best[slot] < 0 || value[flat] > value[Int(best[slot])] || value[flat].isNaN { best[slot] = Int32(flat) }
        var axis = x.shape.count - 1
        while axis >= 0 {
            index[axis] += 1
            if index[axis] < x.shape[axis] { break }
            index[axis] = 0
            axis -= 1
        }
    }
    let picked = gather(x, flatIndices: best, shape: kept)
    return keepingDimensions ? picked : reshape(picked, Tensor.reducedShape(x.shape, axes, keepingDimensions: false))
}

private func normalisedAxis(_ axis: Int, _ shape: [Int]) -> Int {
    let a = axis < 0 ? axis + shape.count : axis
    precondition(a >= 0 && a < shape.count, "axis \(axis) outside shape \(Shape.describe(shape))")
    return a
}

/// log Σ exp(x) along `axis`, computed stably.
public func logSumExp(_ x: Variable, axis: Int = -1, keepingDimensions: Bool = false) -> Variable {
    let a = normalisedAxis(axis, x.shape)
    let kept = Variable.record("logsumexp", x.value.softmaxFamily(.logSumExp, axis: a), inputs: [x]) { g, y, _ in
        // ∂/∂x = softmax(x) = exp(x − y)
        [broadcast(g, to: x.shape) * exp(x - broadcast(y, to: x.shape))]
    }
    return keepingDimensions ? kept : reshape(kept, Tensor.reducedShape(x.shape, [a], keepingDimensions: false))
}

/// x − logsumexp(x) along `axis`.
public func logSoftmax(_ x: Variable, axis: Int = -1) -> Variable {
    let a = normalisedAxis(axis, x.shape)
    return Variable.record("log_softmax", x.value.softmaxFamily(.logSoftmax, axis: a), inputs: [x]) { g, y, _ in
        [g - exp(y) * broadcast(sum(g, alongAxes: [a], keepingDimensions: true), to: x.shape)]
    }
}

/// exp(x) / Σ exp(x) along `axis`.
public func softmax(_ x: Variable, axis: Int = -1) -> Variable {
    let a = normalisedAxis(axis, x.shape)
    return Variable.record("softmax", x.value.softmaxFamily(.softmax, axis: a), inputs: [x]) { g, y, _ in
        [y * (g - broadcast(sum(g * y, alongAxes: [a], keepingDimensions: true), to: x.shape))]
    }
}
