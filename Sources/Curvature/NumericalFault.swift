import Classifiers
import Spectra
import Tensors

/// A NaN or infinity met during a computation, with where it appeared.
public struct NumericalFault: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A NaN or infinite logit, by its row in the batch (turned into a ``NumericalFault`` naming the
/// sample by the per-sample jobs).
public struct NonFiniteLogit: Error {
    public let row: Int, column: Int, value: Double

    /// The first non-finite logit of [N, C] `logits`, if any.
    public static func first(in logits: Tensor) -> NonFiniteLogit? {
        guard let bad = logits.scalars.firstIndex(where: { !$0.isFinite }) else { return nil }
        let classes = logits.shape[1]
        return NonFiniteLogit(row: bad / classes, column: bad % classes, value: logits[flat: bad])
    }
}

extension NumericalFault {
    /// Runs a job's computation for `batch` after checking its pixels; a NaN or infinity in the
    /// inputs, the logits (``NonFiniteLogit``) or a Hessian-vector product is an error naming the
    /// sample, so that no job writes NaN rows.
    static func namingSamples<Rows>(of batch: Batch, _ rows: () throws -> Rows) throws -> Rows {
        if let bad = batch.images.scalars.firstIndex(where: { !$0.isFinite }) {
            let d = batch.images.count / batch.count
            throw NumericalFault("sample \(batch.indices[bad / d]): input pixel \(bad % d) is \(batch.images[flat: bad])")
        }
        do {
            return try rows()
        } catch let SpectraError.operatorOutputNotFinite(sample, index) {
            throw NumericalFault("sample \(batch.indices[sample]): a Hessian-vector product is NaN or infinite at input coordinate \(index) (the loss or its gradient overflowed)")
        } catch let logit as NonFiniteLogit {
            throw NumericalFault("sample \(batch.indices[logit.row]): logit \(logit.column) is \(logit.value) (check the weights)")
        }
    }
}
