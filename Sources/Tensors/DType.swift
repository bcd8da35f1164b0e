import RealModule

/// The element type of a tensor: Float32 for speed, Float64 for verification.
public enum DType: String, Sendable, CaseIterable, CustomStringConvertible {
    case float32, float64

    public var byteSize: Int { self == .float32 ? 4 : 8 }
    public var description: String { rawValue }
}

/// The scalar types the kernels are written for. Kernels are generic over this protocol and
/// specialised for `Float` and `Double` inside this module; callers only see `Tensor`.
protocol KernelScalar: BinaryFloatingPoint & Real & SIMDScalar & Codable {
    static var dtype: DType { get }
}

extension Float: KernelScalar {
    static var dtype: DType { .float32 }
}

extension Double: KernelScalar {
    static var dtype: DType { .float64 }
}
