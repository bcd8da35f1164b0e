import Tensors

/// One sample's spectral density at one λ: a row of the density CSV.
public struct DensityRow: InputHessianRow, Equatable {
    public var sample: Int
    public var lambda: Double
    public var density: Double
    /// ‖∇ₓ of the objective‖₂ of the sample, when asked for (a trailing `gradient_norm` column).
    public var gradientNorm: Double? = nil
    /// The finite Hessian's scale, in an h-sweep (a trailing `h` column).
    public var h: Double? = nil

    public static func header(gradientNorm: Bool, h: Bool) -> String {
        "sample,lambda,density" + OptionalColumns.header(gradientNorm: gradientNorm, h: h)
    }

    public func csv(dtype: DType) -> String {
        "\(sample),\(CSVNumber.format(lambda, dtype: dtype)),\(CSVNumber.format(density, dtype: dtype))"
            + OptionalColumns.values(gradientNorm: gradientNorm, h: h, dtype: dtype)
    }
}
