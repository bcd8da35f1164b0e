import Autodiff
import Tensors

/// Layout operators (Pad, Concat, Transpose, dilated and grouped kernels) as gathers and
/// scatters with index lists: the two are each other's adjoints, so every derivative of these
/// operators is exact to any order without kernels of their own.
enum LayoutIndexing {
    static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        for axis in stride(from: shape.count - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * shape[axis + 1] }
        return strides
    }

    /// Calls `body` with each multi-index of `shape` in row-major order.
    static func forEachIndex(_ shape: [Int], _ body: ([Int]) -> Void) {
        let count = shape.reduce(1, *)
        guard count > 0 else { return }
        var index = [Int](repeating: 0, count: shape.count)
        for _ in 0..<count {
            body(index)
            var axis = shape.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < shape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
    }

    /// Row-major flat positions, in a tensor of `shape`, of the elements whose index on each axis
    /// is one of `picks` on that axis (in the order of the picks: a slice, gather or split).
    static func flatIndices(picking picks: [[Int]], from shape: [Int]) -> [Int] {
        let strides = strides(shape)
        var flat: [Int] = []
        flat.reserveCapacity(picks.reduce(1) { $0 * $1.count })
        forEachIndex(picks.map(\.count)) { index in
            flat.append(zip(index.indices, index).reduce(0) { $0 + picks[$1.0][$1.1] * strides[$1.0] })
        }
        return flat
    }

    /// The elements of `x` picked on each axis by `picks`, as a tensor of the picks' counts.
    /// `planes` as in `gather`: a batch axis 0 picked whole keeps each sample's indices in its plane.
    static func pick(_ x: Variable, _ picks: [[Int]], planes: Int = 1) -> Variable {
        if picks.enumerated().allSatisfy({ $0.element == Array(0..<x.shape[$0.offset]) }) { return x }
        let (indices, shape) = IndexListCache.shared.entry(.init(operation: "pick", shape: x.shape, arguments: picks)) {
            (flatIndices(picking: picks, from: x.shape).map(Int32.init), picks.map(\.count))
        }
        return gather(x, flatIndices: indices, shape: shape, planes: planes)
    }

    /// Where each element of a `shape` tensor lands after `before`/`after` elements are added
    /// on each axis; with the padded shape.
    static func placement(of shape: [Int], before: [Int], after: [Int]) -> (indices: [Int32], shape: [Int]) {
        IndexListCache.shared.entry(.init(operation: "pad", shape: shape, arguments: [before, after])) {
            uncachedPlacement(of: shape, before: before, after: after)
        }
    }

    private static func uncachedPlacement(of shape: [Int], before: [Int], after: [Int]) -> (indices: [Int32], shape: [Int]) {
        let outShape = zip(shape, zip(before, after)).map { $0 + $1.0 + $1.1 }
        let outStrides = strides(outShape)
        var indices: [Int32] = []
        indices.reserveCapacity(shape.reduce(1, *))
        forEachIndex(shape) { index in
            var flat = 0
            for axis in 0..<shape.count { flat += (index[axis] + before[axis]) * outStrides[axis] }
            indices.append(Int32(flat))
        }
        return (indices, outShape)
    }

    /// `x` with `before`/`after` zeros on each axis, and `fill` (if not 0) in the added places.
    static func pad(_ x: Variable, before: [Int], after: [Int], fill: Double = 0) -> Variable {
        if before.allSatisfy({ $0 == 0 }) && after.allSatisfy({ $0 == 0 }) { return x }
        let (indices, outShape) = placement(of: x.shape, before: before, after: after)
        let placed = scatterAdd(x, flatIndices: indices, shape: outShape)
        guard fill != 0 else { return placed }
        var mask = [Double](repeating: fill, count: outShape.reduce(1, *))
        for index in indices { mask[Int(index)] = 0 }
        return placed + Variable(Tensor(shape: outShape, scalars: mask, dtype: x.dtype))
    }

    /// Parts joined along `axis` (each placed into the whole, then summed).
    static func concatenate(_ parts: [Variable], axis: Int) -> Variable {
        let total = parts.reduce(0) { $0 + $1.shape[axis] }
        var offset = 0
        var sum: Variable?
        for part in parts {
            var before = [Int](repeating: 0, count: part.shape.count), after = before
            before[axis] = offset
            after[axis] = total - offset - part.shape[axis]
            offset += part.shape[axis]
            let placed = pad(part, before: before, after: after)
            sum = sum.map { $0 + placed } ?? placed
        }
        return sum!
    }

    /// Axes reordered: output axis i is input axis `permutation[i]`.
    static func transpose(_ x: Variable, permutation: [Int]) -> Variable {
        if permutation == Array(0..<permutation.count) { return x }
        let (indices, outShape) = IndexListCache.shared.entry(.init(operation: "transpose", shape: x.shape, arguments: [permutation])) {
            let inStrides = strides(x.shape)
            let outShape = permutation.map { x.shape[$0] }
            var indices: [Int32] = []
            indices.reserveCapacity(x.count)
            // A run per output row: one closure call per element cost more than the gather.
            let inner = outShape[outShape.count - 1], innerStride = inStrides[permutation[permutation.count - 1]]
            forEachIndex(Array(outShape.dropLast())) { index in
                var start = 0
                for (axis, source) in permutation.dropLast().enumerated() { start += index[axis] * inStrides[source] }
                for k in 0..<inner { indices.append(Int32(start + k * innerStride)) }
            }
            return (indices, outShape)
        }
        return gather(x, flatIndices: indices, shape: outShape)
    }

    /// A [O, I, kh, kw] kernel spread out by `dilation` (zeros between taps), so a plain
    /// convolution with it is the dilated convolution.
    static func dilate(_ weight: Variable, _ dilation: (Int, Int)) -> Variable {
        let (o, i, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        let outShape = [o, i, (kh - 1) * dilation.0 + 1, (kw - 1) * dilation.1 + 1]
        var indices: [Int32] = []
        forEachIndex(weight.shape) { index in
            let flat = ((index[0] * i + index[1]) * outShape[2] + index[2] * dilation.0) * outShape[3] + index[3] * dilation.1
            indices.append(Int32(flat))
        }
        _ = (kh, kw)
        return scatterAdd(weight, flatIndices: indices, shape: outShape)
    }
}
