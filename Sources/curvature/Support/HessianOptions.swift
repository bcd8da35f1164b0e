import ArgumentParser
import Curvature
import Foundation

/// `--hessian exact|finite [--h H]`, and the operator they name for a batch.
struct HessianOptions: ParsableArguments {
    @Option(help: "exact (double backprop) or finite (finite differences at scale --h).")
    var hessian: String = "exact"

    @Option(help: "Scale of the finite-scale Hessian.")
    var h: Double = 0.01

    func validate() throws {
        guard HessianKind(rawValue: hessian) != nil else { throw ValidationError("--hessian must be exact or finite, got '\(hessian)'") }
        guard h > 0 else { throw ValidationError("--h must be positive, got \(h)") }
    }

    func makeOperator(_ model: @escaping Classifier, _ batch: Batch) throws -> any BatchedLinearOperator {
        try HessianKind(rawValue: hessian)!.makeOperator(model: model, batch: batch, h: h).operator
    }
}
