import Foundation
import NN
import Tensors

/// ONNX's element types that a model's weights and constants may use here.
enum ElementType: Int32 {
    case float = 1, uint8 = 2, int8 = 3, int32 = 6, int64 = 7, bool = 9, float16 = 10, double = 11

    var isFloatingPoint: Bool { self == .float || self == .float16 || self == .double }

    static func named(_ raw: Int32) -> String {
        let names: [Int32: String] = [1: "float", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64",
                                      8: "string", 9: "bool", 10: "float16", 11: "double", 12: "uint32", 13: "uint64",
                                      14: "complex64", 15: "complex128", 16: "bfloat16"]
        return names[raw] ?? "type \(raw)"
    }
}

/// A decoded ONNX tensor: floating point (as a Tensor of the model's dtype) or integers (shapes,
/// axes, pads — which only ever steer shapes and are folded at load).
enum DecodedTensor {
    case floating(Tensor, ElementType)
    case integers(IntegerValue)
}

extension Onnx_TensorProto {
    /// Decodes the tensor's values, checking every size against the bytes actually present.
    /// - Parameter what: how errors name it ("initializer 'conv1.weight'").
    func decoded(as dtype: DType, what: String) throws -> DecodedTensor {
        guard dataLocation != .external, externalData.isEmpty else {
            throw ModelError("\(what) keeps its values in an external file (\(externalData.first { $0.key == "location" }?.value ?? "?")); save the model with its weights inside (onnx.save(model, path, save_as_external_data=False))")
        }
        guard dims.allSatisfy({ $0 >= 0 && $0 <= Int64(1 << 31) }) else { throw ModelError("\(what) has dimensions \(dims)") }
        let shape = dims.map(Int.init)
        var count = 1
        for dim in shape {
            let (next, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow, next <= 1 << 31 else { throw ModelError("\(what): shape \(Shape.describe(shape)) is too large") }
            count = next
        }
        // Axes beside a 0 still count: their strides must not overflow either.
        var spread = 1
        for dim in shape {
            let (next, overflow) = spread.multipliedReportingOverflow(by: Swift.max(dim, 1))
            guard !overflow, next <= 1 << 31 else { throw ModelError("\(what): shape \(Shape.describe(shape)) is too large") }
            spread = next
        }
        guard let type = ElementType(rawValue: dataType) else {
            throw ModelError("\(what) has element type \(ElementType.named(dataType)); expected float, float16, double or an integer type")
        }
        func checkCount(_ found: Int) throws {
            guard found == count else {
                throw ModelError("\(what): shape \(Shape.describe(shape)) needs \(count) values but the file holds \(found)")
            }
        }
        func rawElements(size: Int) throws -> Int {
            guard rawData.count % size == 0 else {
                throw ModelError("\(what): \(rawData.count) bytes of raw data is not a whole number of \(ElementType.named(dataType)) values")
            }
            try checkCount(rawData.count / size)
            return count
        }
        let hasRaw = !rawData.isEmpty || (count == 0)
        switch type {
        case .float:
            var values: [Float]
            if !rawData.isEmpty {
                _ = try rawElements(size: 4)
                values = rawData.withUnsafeBytes { bytes in (0..<count).map { Float(bitPattern: bytes.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self).littleEndian) } }
            } else {
                try checkCount(floatData.count)
                values = floatData
            }
            return .floating(Tensor(shape: shape, floats: values).converted(to: dtype), type)
        case .double:
            var values: [Double]
            if !rawData.isEmpty {
                _ = try rawElements(size: 8)
                values = rawData.withUnsafeBytes { bytes in (0..<count).map { Double(bitPattern: bytes.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self).littleEndian) } }
            } else {
                try checkCount(doubleData.count)
                values = doubleData
            }
            return .floating(Tensor(shape: shape, scalars: values, dtype: dtype), type)
        case .float16:
            // Typed float16 values travel as their bit patterns in int32_data.
            let bits: [UInt16]
            if !rawData.isEmpty {
                _ = try rawElements(size: 2)
                bits = rawData.withUnsafeBytes { bytes in (0..<count).map { bytes.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self).littleEndian } }
            } else {
                try checkCount(int32Data.count)
                bits = int32Data.map { UInt16(truncatingIfNeeded: $0) }
            }
            return .floating(Tensor(shape: shape, scalars: bits.map(halfToDouble), dtype: dtype), type)
        case .int64, .int32, .int8, .uint8, .bool:
            let values: [Int]
            if !rawData.isEmpty {
                let size = type == .int64 ? 8 : type == .int32 ? 4 : 1
                _ = try rawElements(size: size)
                values = rawData.withUnsafeBytes { bytes in
                    (0..<count).map { i -> Int in
                        switch type {
                        case .int64: return Int(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
                        case .int32: return Int(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
                        case .int8: return Int(bytes.load(fromByteOffset: i, as: Int8.self))
                        default: return Int(bytes.load(fromByteOffset: i, as: UInt8.self))
                        }
                    }
                }
            } else if type == .int64 {
                try checkCount(int64Data.count)
                values = int64Data.map(Int.init)
            } else {
                try checkCount(int32Data.count)
                values = int32Data.map(Int.init)
            }
            _ = hasRaw
            return .integers(IntegerValue(shape: shape, values: values))
        }
    }
}

/// IEEE 754 binary16 → Double, subnormals and infinities included.
func halfToDouble(_ bits: UInt16) -> Double {
    let sign: Double = bits & 0x8000 != 0 ? -1 : 1
    let exponent = Int((bits >> 10) & 0x1F), fraction = Double(bits & 0x3FF)
    switch exponent {
    case 0: return sign * fraction * 0x1p-24
    case 31: return fraction == 0 ? sign * .infinity : .nan
    default: return sign * (1 + fraction / 1024) * Double(sign: .plus, exponent: exponent - 15, significand: 1)
    }
}

/// Double → the nearest binary16 (round to nearest even), for writing float16 weights back.
func doubleToHalf(_ value: Double) -> UInt16 {
    let f = Float(value).bitPattern
    let sign = UInt16((f >> 16) & 0x8000)
    let exponent = Int((f >> 23) & 0xFF) - 127 + 15
    var mantissa = f & 0x7F_FFFF
    if (f >> 23) & 0xFF == 0xFF { return sign | 0x7C00 | (mantissa != 0 ? 0x200 : 0) }
    if exponent >= 31 { return sign | 0x7C00 }
    if exponent <= 0 {
        guard exponent >= -10 else { return sign }
        mantissa |= 0x80_0000
        let shift = UInt32(14 - exponent)
        var half = mantissa >> shift
        let remainder = mantissa & ((1 << shift) - 1), halfway = UInt32(1) << (shift - 1)
        if remainder > halfway || (remainder == halfway && half & 1 == 1) { half += 1 }
        return sign | UInt16(half)
    }
    var half = UInt32(exponent) << 10 | (mantissa >> 13)
    let remainder = mantissa & 0x1FFF
    if remainder > 0x1000 || (remainder == 0x1000 && half & 1 == 1) { half += 1 }
    return sign | UInt16(half)
}

extension Onnx_TensorProto {
    /// This tensor with `values` in its own element type, as raw data (typed fields cleared).
    func replacingValues(with values: Tensor) -> Onnx_TensorProto {
        var copy = self
        copy.floatData = []
        copy.doubleData = []
        copy.int32Data = []
        var bytes = Data()
        switch ElementType(rawValue: dataType) {
        case .double:
            for x in values.scalars { withUnsafeBytes(of: x.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        case .float16:
            for x in values.scalars { withUnsafeBytes(of: doubleToHalf(x).littleEndian) { bytes.append(contentsOf: $0) } }
        default:
            for x in values.scalars { withUnsafeBytes(of: Float(x).bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        }
        copy.rawData = bytes
        return copy
    }
}
