import Messages
import Tensors

/// The settings of a Hutchinson-trace run; ``validate(dimension:)`` is where they are checked.
public struct TraceSettings: InputHessianJobSettings, Equatable {
    /// Rademacher probes v per sample, averaging vᵀHv (the standard error falls as 1/√probes).
    public var probes = 32
    public var inputHessian = InputHessianSettings()

    public init() {}

    /// Checks the settings before any work: two probes at least, for a standard error.
    public func validate(dimension: Int? = nil) throws {
        try inputHessian.validate()
        guard probes >= 2 else { throw SettingError("\(setting: "probes") must be ≥ 2 for a standard error, got \(probes)") }
    }

    public func record(dimension: Int, dtype: DType) -> [String: String] { ["probes": String(probes)] }
}
