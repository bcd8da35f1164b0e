import Tensors

/// out[i] = x.flat[indices[i]]; the indices are constants.
/// `planes` > 1 says that the indices stay within planes (see `Tensor.scatterAdd`), so that the
/// derivative, a scatter, can fill its planes in parallel.
public func gather(_ x: Variable, flatIndices indices: [Int32], shape: [Int], planes: Int = 1) -> Variable {
    Variable.record("gather", x.value.gather(flatIndices: indices, shape: shape), inputs: [x]) { g, _, _ in
        [scatterAdd(g, flatIndices: indices, shape: x.shape, planes: planes)]
    }
}

/// Adds x[i] into position indices[i] of a zero tensor of `shape`; the adjoint of `gather`.
/// `planes` as in `Tensor.scatterAdd`.
public func scatterAdd(_ x: Variable, flatIndices indices: [Int32], shape: [Int], planes: Int = 1) -> Variable {
    Variable.recordDeferred("scatter_add", shape: shape, dtype: x.dtype, inputs: [x],
                            compute: { x.value.scatterAdd(flatIndices: indices, shape: shape, planes: planes) }) { g, _, _ in
        [gather(g, flatIndices: indices, shape: x.shape, planes: planes)]
    }
}

/// Element (n, classes[n]) of each row of an [N, C] variable: [N].
public func gatherRows(_ x: Variable, classes: [Int]) -> Variable {
    precondition(x.shape.count == 2 && x.shape[0] == classes.count,
                 "gatherRows: \(classes.count) classes for rows of \(Shape.describe(x.shape))")
    return gather(x, flatIndices: Tensor.rowIndices(classes: classes, columns: x.shape[1]), shape: [classes.count])
}

/// The same values under a new shape.
public func reshape(_ x: Variable, _ shape: [Int]) -> Variable {
    if x.shape == shape { return x }
    Shape.checkReshape(x.shape, to: shape)
    return Variable.recordDeferred("reshape", shape: shape, dtype: x.dtype, inputs: [x], compute: { x.value.reshaped(shape) }) { g, _, _ in
        [reshape(g, x.shape)]
    }
}

/// [N, …] → [N, product of the rest].
public func flatten(_ x: Variable) -> Variable {
    reshape(x, [x.shape[0], x.shape.dropFirst().reduce(1, *)])
}

/// Joins variables along axis 0.
public func concatenate(_ parts: [Variable]) -> Variable {
    let value = Tensor.concatenate(parts.map(\.value))
    return Variable.record("concatenate", value, inputs: parts) { g, _, needs in
        var start = 0
        return parts.enumerated().map { i, part in
            defer { start += part.shape[0] }
            return needs[i] ? slice(g, rows: start..<(start + part.shape[0])) : nil
        }
    }
}

/// Rows `range` along axis 0.
public func slice(_ x: Variable, rows range: Range<Int>) -> Variable {
    Variable.record("slice", x.value.slice(rows: range), inputs: [x]) { g, _, _ in
        [pad(g, rowsBefore: range.lowerBound, rowsAfter: x.shape[0] - range.upperBound)]
    }
}

/// Zero rows before and after along axis 0; the adjoint of `slice`.
public func pad(_ x: Variable, rowsBefore: Int, rowsAfter: Int) -> Variable {
    Variable.record("pad", x.value.padded(rowsBefore: rowsBefore, rowsAfter: rowsAfter), inputs: [x]) { g, _, _ in
        [slice(g, rows: rowsBefore..<(rowsBefore + x.shape[0]))]
    }
}
