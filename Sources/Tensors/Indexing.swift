extension Tensor {
    /// out[i] = self.flat[indices[i]], shaped `shape`.
    public func gather(flatIndices indices: [Int32], shape outShape: [Int]) -> Tensor {
        precondition(indices.count == Shape.count(outShape),
                     "gather: \(indices.count) indices for output shape \(Shape.describe(outShape))")
        var out = Tensor(uninitialized: outShape, dtype: dtype)
        switch dtype {
        case .float32: Self.gatherKernel(buffer(Float.self), out.mutableBuffer(Float.self), indices)
        case .float64: Self.gatherKernel(buffer(Double.self), out.mutableBuffer(Double.self), indices)
        }
        return out
    }

    /// The adjoint of `gather`: out.flat[indices[i]] += self[i] in a zero tensor of `shape`.
    /// With `planes` > 1, values and outputs fall into that many equal planes and every index of
    /// value plane p lies in output plane p (max-pooling's, per sample and channel): the planes
    /// are then filled in parallel, each zeroed and summed in index order as the serial loop would.
    public func scatterAdd(flatIndices indices: [Int32], shape outShape: [Int], planes: Int = 1) -> Tensor {
        precondition(indices.count == count,
                     "scatterAdd: \(indices.count) indices for \(count) values of \(Shape.describe(shape))")
        let outCount = Shape.count(outShape)
        precondition(planes >= 1 && count % planes == 0 && outCount % planes == 0,
                     "scatterAdd: \(planes) planes do not divide \(count) values and \(outCount) outputs")
        var out = Tensor(uninitialized: outShape, dtype: dtype)
        switch dtype {
        case .float32: Self.scatterKernel(buffer(Float.self), out.mutableBuffer(Float.self), indices, planes)
        case .float64: Self.scatterKernel(buffer(Double.self), out.mutableBuffer(Double.self), indices, planes)
        }
        return out
    }

    private static func gatherKernel<T: KernelScalar>(
        _ x: UnsafeMutableBufferPointer<T>, _ y: UnsafeMutableBufferPointer<T>, _ indices: [Int32]
    ) {
        indices.withUnsafeBufferPointer { index in
            Parallel.forEachChunk(of: index.count, minimumChunk: 1 << 14) { range in
                for i in range {
                    precondition(index[i] >= 0 && Int(index[i]) < x.count, "gather: index \(index[i]) outside \(x.count) elements")
                    y[i] = x[Int(index[i])]
                }
            }
        }
    }

    private static func scatterKernel<T: KernelScalar>(
        _ g: UnsafeMutableBufferPointer<T>, _ y: UnsafeMutableBufferPointer<T>, _ indices: [Int32], _ planes: Int
    ) {
        let valuesPerPlane = g.count / planes, outputsPerPlane = y.count / planes
        indices.withUnsafeBufferPointer { index in
            Parallel.forEachChunk(of: planes, minimumChunk: Swift.max(1, (1 << 14) / Swift.max(valuesPerPlane, 1))) { chunk in
                let outputs = (chunk.lowerBound * outputsPerPlane)..<(chunk.upperBound * outputsPerPlane)
                (y.baseAddress! + outputs.lowerBound).initialize(repeating: 0, count: outputs.count)
                for i in (chunk.lowerBound * valuesPerPlane)..<(chunk.upperBound * valuesPerPlane) {
                    // One check for both cases: with one plane, `outputs` is every element.
                    let target = Int(index[i])
                    precondition(outputs.contains(target), "scatterAdd: index \(target) of value \(i) outside \(outputs)")
                    y[target] += g[i]
                }
            }
        }
    }

    /// Flat indices of element (row, classes[row]) of an [N, C] tensor: the per-row gather.
    public static func rowIndices(classes: [Int], columns: Int) -> [Int32] {
        classes.enumerated().map { row, column in
            precondition(column >= 0 && column < columns, "gather: class \(column) of row \(row) outside 0..<\(columns)")
            return Int32(row * columns + column)
        }
    }

    // MARK: Batch axis

    /// Joins tensors along axis 0; all other axes must agree.
    public static func concatenate(_ parts: [Tensor]) -> Tensor {
        precondition(!parts.isEmpty, "concatenate: no tensors")
        let tail = Array(parts[0].shape.dropFirst())
        for part in parts {
            precondition(part.rank >= 1 && Array(part.shape.dropFirst()) == tail && part.dtype == parts[0].dtype,
                         "concatenate: \(Shape.describe(part.shape)) (\(part.dtype)) does not match \(Shape.describe(parts[0].shape)) (\(parts[0].dtype))")
        }
        let out = Tensor(uninitialized: [parts.reduce(0) { $0 + $1.shape[0] }] + tail, dtype: parts[0].dtype)
        var offset = 0
        for part in parts {
            let bytes = part.count * part.dtype.byteSize
            (out.storage.pointer + offset).copyMemory(from: part.storage.pointer, byteCount: bytes)
            offset += bytes
        }
        return out
    }

    /// Rows `range` along axis 0.
    public func slice(rows range: Range<Int>) -> Tensor {
        precondition(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0],
                     "slice: rows \(range) outside \(Shape.describe(shape))")
        let rowBytes = shape.dropFirst().reduce(1, *) * dtype.byteSize
        let out = Tensor(uninitialized: [range.count] + shape.dropFirst(), dtype: dtype)
        out.storage.pointer.copyMemory(from: storage.pointer + range.lowerBound * rowBytes, byteCount: range.count * rowBytes)
        return out
    }

    /// The rows at `indices` along axis 0, in that order (repeats allowed).
    public func rows(at indices: [Int]) -> Tensor {
        precondition(rank >= 1 && indices.allSatisfy { $0 >= 0 && $0 < shape[0] }, "rows: \(indices) outside \(Shape.describe(shape))")
        let rowBytes = shape.dropFirst().reduce(1, *) * dtype.byteSize
        let out = Tensor(uninitialized: [indices.count] + shape.dropFirst(), dtype: dtype)
        for (r, index) in indices.enumerated() {
            (out.storage.pointer + r * rowBytes).copyMemory(from: storage.pointer + index * rowBytes, byteCount: rowBytes)
        }
        return out
    }

    /// Adds zero rows before and after along axis 0, the adjoint of `slice(rows:)`.
    public func padded(rowsBefore before: Int, rowsAfter after: Int) -> Tensor {
        precondition(rank >= 1 && before >= 0 && after >= 0, "pad: bad padding \(before), \(after) for \(Shape.describe(shape))")
        let rowBytes = shape.dropFirst().reduce(1, *) * dtype.byteSize
        let out = Tensor(zeros: [before + shape[0] + after] + shape.dropFirst(), dtype: dtype)
        (out.storage.pointer + before * rowBytes).copyMemory(from: storage.pointer, byteCount: shape[0] * rowBytes)
        return out
    }
}
