/// A batch of symmetric linear maps, one per sample, applied all at once.
///
/// Vectors travel as one flat `batchSize × dimension` row-major array: row `b` is sample `b`'s
/// vector, and ``apply(_:into:)`` maps it by sample `b`'s own symmetric matrix `H_b`. The solvers
/// in `Spectra` see nothing but this protocol, so they run unchanged on a dense test matrix or on a
/// network's input Hessian, where one batched Hessian-vector product returns every `H_b · v_b`.
///
/// Rows are independent: a solver passes a zero row for a sample it has finished with, and an
/// implementation must return that sample's `H_b · 0 = 0` without affecting the other rows.
public protocol BatchedLinearOperator {
    /// Number of samples, that is, of independent matrices `H_b`.
    var batchSize: Int { get }
    /// Length of each sample's vector; every `H_b` is `dimension × dimension`.
    var dimension: Int { get }

    /// Computes `result[b] = H_b · vectors[b]` for every row `b`.
    ///
    /// - Parameter vectors: `batchSize × dimension` values, row-major.
    /// - Parameter result: On entry already sized to `batchSize × dimension`; every entry must be
    ///   overwritten.
    func apply(_ vectors: [Double], into result: inout [Double]) throws

    /// The random stream of sample `b`'s start and probe vectors. By default its position in the
    /// batch; an operator over a dataset returns the sample's index there, so a sample's result does
    /// not depend on how the samples were batched, sharded or resumed.
    func randomStream(forSample b: Int) -> UInt64

    /// Computes `H_b · v` for `columns` vectors of every sample at once (a block solver's step).
    ///
    /// - Parameter vectors: `columns` blocks one after another, each `batchSize × dimension`
    ///   row-major: block `c` holds every sample's `c`-th vector.
    /// - Parameter result: On entry sized as `vectors`; every entry must be overwritten, in the same layout.
    ///
    /// The default applies the blocks one by one; an operator whose cost per vector falls with the
    /// batch (a network's Hessian-vector product) can apply them as one batch of `columns × batchSize`.
    func apply(columns: Int, _ vectors: [Double], into result: inout [Double]) throws

    /// The same operators for the samples at `rows` only (in that order), so a solver can stop
    /// paying for samples it has finished; `nil` (the default) when the operator cannot shrink
    /// more cheaply than it applies zero rows. Sample `i` of the result must compute exactly what
    /// sample `rows[i]` of this one does.
    func restricted(to rows: [Int]) throws -> (any BatchedLinearOperator)?

    /// Orthonormal directions (rows of `dimension` values) outside the subspace whose spectrum is
    /// wanted, as many for every sample: the solvers search their orthogonal complement, as for the
    /// boundary's tangent space, where the normal's trivial zero is no curvature. Default: none.
    func excludedDirections(forSample b: Int) -> [Double]
}

extension BatchedLinearOperator {
    public func randomStream(forSample b: Int) -> UInt64 { UInt64(b) }

    public func restricted(to rows: [Int]) throws -> (any BatchedLinearOperator)? { nil }

    public func excludedDirections(forSample b: Int) -> [Double] { [] }

    public func apply(columns: Int, _ vectors: [Double], into result: inout [Double]) throws {
        let block = batchSize * dimension
        var output = [Double](repeating: 0, count: block)
        for c in 0..<columns {
            try apply(Array(vectors[(c * block)..<((c + 1) * block)]), into: &output)
            guard output.count == block else { throw SpectraError.operatorOutputSize(expected: block, actual: output.count) }
            result.replaceSubrange((c * block)..<((c + 1) * block), with: output)
        }
    }
}

extension BatchedLinearOperator {
    /// Applies the operator to a batch of vectors and returns a new array.
    ///
    /// - Parameter vectors: `batchSize × dimension` values, row-major.
    /// - Returns: `batchSize × dimension` values, row `b` being `H_b · vectors[b]`.
    public func apply(_ vectors: [Double]) throws -> [Double] {
        try checkShape()
        guard vectors.count == batchSize * dimension else {
            throw SpectraError.invalidArgument(
                "vectors has \(vectors.count) values, expected batchSize × dimension = \(batchSize * dimension)")
        }
        var result = [Double](repeating: 0, count: vectors.count)
        try checkedApply(vectors, into: &result)
        return result
    }

    /// Throws unless the operator has at least one sample and one dimension.
    func checkShape() throws {
        guard batchSize >= 1, dimension >= 1 else {
            throw SpectraError.invalidArgument(
                "operator has batchSize \(batchSize) and dimension \(dimension); both must be ≥ 1")
        }
    }

    /// Applies the operator and verifies what came back, so a broken operator surfaces as an error
    /// here rather than as NaN Ritz values many steps later.
    func checkedApply(_ vectors: [Double], into result: inout [Double]) throws {
        let expected = batchSize * dimension
        if result.count != expected { result = [Double](repeating: 0, count: expected) }
        try apply(vectors, into: &result)
        guard result.count == expected else {
            throw SpectraError.operatorOutputSize(expected: expected, actual: result.count)
        }
        for (i, value) in result.enumerated() where !value.isFinite {
            throw SpectraError.operatorOutputNotFinite(sample: i / dimension, index: i % dimension)
        }
    }

    /// ``apply(columns:_:into:)`` with the same checks as ``checkedApply(_:into:)``.
    func checkedApply(columns: Int, _ vectors: [Double], into result: inout [Double]) throws {
        let expected = columns * batchSize * dimension
        if result.count != expected { result = [Double](repeating: 0, count: expected) }
        try apply(columns: columns, vectors, into: &result)
        guard result.count == expected else {
            throw SpectraError.operatorOutputSize(expected: expected, actual: result.count)
        }
        for (i, value) in result.enumerated() where !value.isFinite {
            throw SpectraError.operatorOutputNotFinite(sample: (i / dimension) % batchSize, index: i % dimension)
        }
    }
}
