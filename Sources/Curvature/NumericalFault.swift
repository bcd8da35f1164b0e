import Tensors

/// A NaN or infinity met during a computation, with where it appeared.
public struct NumericalFault: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A NaN or infinite logit, by its row in the batch (turned into a ``NumericalFault`` naming the
/// sample by ``SpectrumJob``).
public struct NonFiniteLogit: Error {
    public let row: Int, column: Int, value: Double

    /// The first non-finite logit of [N, C] `logits`, if any.
    public static func first(in logits: Tensor) -> NonFiniteLogit? {
        guard let bad = logits.scalars.firstIndex(where: { !$0.isFinite }) else { return nil }
        let classes = logits.shape[1]
        return NonFiniteLogit(row: bad / classes, column: bad % classes, value: logits[flat: bad])
    }
}
