/// Which eigenvalues of a symmetric matrix to compute.
///
/// The counts are counts, not indices: `.largest(3)` is the three largest eigenvalues.
public enum EigenvalueSelection: Equatable, Sendable {
    /// Every eigenvalue.
    case all
    /// The `k` largest (algebraically) eigenvalues.
    case largest(Int)
    /// The `k` smallest (algebraically) eigenvalues.
    case smallest(Int)
    /// The `largest` largest and the `smallest` smallest eigenvalues.
    case bothEnds(largest: Int, smallest: Int)

    /// The number of values requested, or `nil` for ``all``.
    public var count: Int? {
        switch self {
        case .all: return nil
        case let .largest(k), let .smallest(k): return k
        case let .bothEnds(largest, smallest): return largest + smallest
        }
    }

    /// Throws unless every count is positive (a zero side of ``bothEnds(largest:smallest:)`` is allowed).
    func validate() throws {
        switch self {
        case .all: return
        case let .largest(k), let .smallest(k):
            guard k >= 1 else { throw SpectraError.invalidArgument("eigenvalue count \(k) must be ≥ 1") }
        case let .bothEnds(largest, smallest):
            guard largest >= 0, smallest >= 0, largest + smallest >= 1 else {
                throw SpectraError.invalidArgument(
                    "bothEnds(largest: \(largest), smallest: \(smallest)) needs counts ≥ 0 with a positive sum")
            }
        }
    }
}
