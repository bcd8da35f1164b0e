import Foundation
import Tensors

/// How result values are written in CSVs: 9 significant digits for Float32 runs (enough to read
/// every Float32 back exactly), and the shortest decimal that reads back to the same Double for
/// Float64 runs, so a Float64 result survives the file unchanged.
public enum CSVNumber {
    public static func format(_ value: Double, dtype: DType) -> String {
        switch dtype {
        case .float32: return String(format: "%.9g", value)
        case .float64: return value.isFinite ? "\(value)" : String(format: "%g", value)
        }
    }
}
