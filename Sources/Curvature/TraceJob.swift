import Classifiers
import Spectra
import Tensors

/// Estimates each sample's input-Hessian trace batch by batch (`curvature trace`).
public struct TraceJob: SampleJob {
    public let model: Classifier
    public let settings: TraceSettings

    public init(model: @escaping Classifier, settings: TraceSettings) {
        self.model = model
        self.settings = settings
    }

    /// The rows of one batch, one per sample in batch order.
    public func rows(for batch: Batch) throws -> [TraceRow] {
        try NumericalFault.namingSamples(of: batch) {
            let s = settings
            let (op, logits, gradient) = try s.inputHessian.makeOperator(model: model, batch: batch)
            if let bad = NonFiniteLogit.first(in: logits) { throw bad }
            let gradientNorms = s.gradientNorm ? rowNorms(gradient) : nil
            return try hutchinsonTrace(op, probes: s.probes, seed: s.seed).enumerated().map { b, estimate in
                TraceRow(sample: batch.indices[b], trace: estimate.estimate, standardError: estimate.standardError, gradientNorm: gradientNorms?[b])
            }
        }
    }
}
