import Foundation

/// Writes NumPy `.npy` version 1.0 files (little-endian float32 or float64, C order).
enum NumPyWriter {
    static func float32(_ values: [Float], shape: [Int]) -> Data {
        file(descr: "<f4", shape: shape) { data in values.withUnsafeBufferPointer { data.append(Data(buffer: $0)) } }
    }

    static func float64(_ values: [Double], shape: [Int]) -> Data {
        file(descr: "<f8", shape: shape) { data in values.withUnsafeBufferPointer { data.append(Data(buffer: $0)) } }
    }

    private static func file(descr: String, shape: [Int], appendValues: (inout Data) -> Void) -> Data {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        // Magic (6) + version (2) + length (2) + header + newline, padded to a multiple of 64.
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93]) + Data("NUMPY".utf8) + Data([1, 0])
        withUnsafeBytes(of: UInt16(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(Data(header.utf8))
        appendValues(&data)
        return data
    }
}
