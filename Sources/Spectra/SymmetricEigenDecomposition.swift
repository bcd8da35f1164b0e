/// Eigenvalues, and optionally eigenvectors, of a real symmetric matrix.
///
/// Throughout `Spectra` eigenvalues are sorted in descending order, whatever order LAPACK used.
public struct SymmetricEigenDecomposition: Equatable, Sendable {
    /// Order of the matrix, the length of each eigenvector.
    public var dimension: Int
    /// The computed eigenvalues, descending.
    public var values: [Double]
    /// `values.count × dimension` values, row-major: row `i` is the unit eigenvector of `values[i]`.
    public var vectors: [Double]?

    /// Creates a decomposition from its parts.
    ///
    /// - Parameter dimension: Order of the matrix.
    /// - Parameter values: Eigenvalues, descending.
    /// - Parameter vectors: Optional eigenvectors, one row per value.
    public init(dimension: Int, values: [Double], vectors: [Double]?) {
        self.dimension = dimension
        self.values = values
        self.vectors = vectors
    }

    /// The eigenvector of `values[i]`.
    ///
    /// - Parameter i: Index into ``values``.
    /// - Returns: `dimension` values, or `nil` if vectors were not computed.
    public func vector(_ i: Int) -> ArraySlice<Double>? {
        vectors.map { $0[(i * dimension)..<((i + 1) * dimension)] }
    }

    /// Reorders LAPACK's output (values plus vectors stored one after another) into descending order.
    init(dimension: Int, unsortedValues: [Double], unsortedVectors: [Double]?) {
        let order = unsortedValues.indices.sorted { unsortedValues[$0] > unsortedValues[$1] }
        self.dimension = dimension
        values = order.map { unsortedValues[$0] }
        vectors = unsortedVectors.map { z in
            var sorted = [Double]()
            sorted.reserveCapacity(z.count)
            for i in order { sorted.append(contentsOf: z[(i * dimension)..<((i + 1) * dimension)]) }
            return sorted
        }
    }
}
