import Foundation
import Tensors

/// One sample's Hutchinson trace estimate: a row of the trace CSV.
public struct TraceRow: InputHessianRow, Equatable {
    public var sample: Int
    /// The mean of vᵀHv over the probes.
    public var trace: Double
    /// Its standard error (a column `stderr`).
    public var standardError: Double
    /// ‖∇ₓ of the objective‖₂ of the sample, when asked for (a trailing `gradient_norm` column).
    public var gradientNorm: Double? = nil
    /// The finite Hessian's scale, in an h-sweep (a trailing `h` column).
    public var h: Double? = nil

    public static func header(gradientNorm: Bool, h: Bool) -> String {
        "sample,trace,stderr" + OptionalColumns.header(gradientNorm: gradientNorm, h: h)
    }

    public func csv(dtype: DType) -> String {
        "\(sample),\(CSVNumber.format(trace, dtype: dtype)),\(String(format: "%.3g", standardError))"
            + OptionalColumns.values(gradientNorm: gradientNorm, h: h, dtype: dtype)
    }
}
