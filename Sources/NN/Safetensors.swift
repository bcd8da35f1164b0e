import FileIO
import Foundation
import Tensors

/// The safetensors format: an 8-byte little-endian header length, a JSON header mapping names to
/// `{dtype, shape, data_offsets}` (plus optional `__metadata__` of strings), then the data.
///
/// Reading trusts nothing: the header length is checked against the file size before it is read,
/// every shape against overflow, every tensor's byte range against its dtype and shape and against
/// the data section, and the ranges must tile the data section without overlap.
public struct SafetensorsFile {
    /// Floating-point tensors by name, in file order (F32 and F64; F16/BF16 are widened to F32).
    public var tensors: [(name: String, tensor: Tensor)]
    /// Integer tensors PyTorch keeps in state dicts (`num_batches_tracked`), as Int64 values.
    public var integers: [(name: String, shape: [Int], values: [Int64])]
    public var metadata: [String: String]

    public init(tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:]) {
        self.tensors = tensors
        integers = []
        self.metadata = metadata
    }

    public subscript(name: String) -> Tensor? { tensors.first { $0.name == name }?.tensor }

    /// Largest header accepted: 100 MB, as the reference implementation.
    static let headerLimit = 100_000_000

    public static func read(from url: URL) throws -> SafetensorsFile {
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw ModelError("\(url.path): cannot read: \(fileProblem(error, path: url.path))")
        }
        return try parse(data, source: url.lastPathComponent)
    }

    public static func parse(_ data: Data, source: String) throws -> SafetensorsFile {
        func fail(_ message: String) -> ModelError { ModelError("\(source): \(message)") }
        guard data.count >= 8 else { throw fail("file holds \(data.count) bytes; a safetensors file starts with an 8-byte header length") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(headerLimit) else { throw fail("header length \(headerLength) exceeds the \(headerLimit)-byte limit") }
        guard headerLength <= UInt64(data.count - 8) else {
            throw fail("header length says \(headerLength) bytes but only \(data.count - 8) follow")
        }
        let headerEnd = 8 + Int(headerLength)
        let header = data.subdata(in: 8..<headerEnd)
        guard let object = try? JSONSerialization.jsonObject(with: header), let entries = object as? [String: Any] else {
            throw fail("header is not a JSON object")
        }
        let dataSize = data.count - headerEnd
        var metadata: [String: String] = [:]
        var parsed: [(name: String, dtype: String, shape: [Int], range: Range<Int>)] = []
        for (name, value) in entries {
            if name == "__metadata__" {
                guard let dictionary = value as? [String: Any] else { throw fail("__metadata__ is not an object") }
                for (key, item) in dictionary {
                    guard let text = item as? String else { throw fail("__metadata__.\(printable(key)) is not a string") }
                    metadata[key] = text
                }
                continue
            }
            // Names reach later messages (loading, shape checks) as they are: keep them printable.
            guard !containsControlCharacter(name) else {
                throw fail("tensor \(printable(name, limit: 80)): name contains a control character, expected a state_dict key")
            }
            guard let info = value as? [String: Any] else { throw fail("tensor \(name): entry is not an object") }
            guard let dtype = info["dtype"] as? String else { throw fail("tensor \(name): missing dtype") }
            guard let elementSize = elementSizes[dtype] else {
                throw fail("tensor \(name): dtype \(printable(dtype)) is not supported (expected one of \(elementSizes.keys.sorted().joined(separator: ", ")))")
            }
            guard let rawShape = info["shape"] as? [Any], let shape = integers(rawShape), shape.allSatisfy({ $0 >= 0 }) else {
                throw fail("tensor \(name): shape is not a list of non-negative integers")
            }
            guard let rawOffsets = info["data_offsets"] as? [Any], let offsets = integers(rawOffsets), offsets.count == 2 else {
                throw fail("tensor \(name): data_offsets is not a pair of integers")
            }
            var elements = 1
            for dim in shape {
                let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
                guard !overflow else { throw fail("tensor \(name): shape \(Shape.describe(shape)) overflows") }
                elements = product
            }
            let (bytes, overflow) = elements.multipliedReportingOverflow(by: elementSize)
            guard !overflow else { throw fail("tensor \(name): shape \(Shape.describe(shape)) overflows") }
            guard offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataSize else {
                throw fail("tensor \(name): data_offsets [\(offsets[0]), \(offsets[1])] outside the \(dataSize)-byte data section")
            }
            guard offsets[1] - offsets[0] == bytes else {
                throw fail("tensor \(name): shape \(Shape.describe(shape)) of \(dtype) needs \(bytes) bytes but data_offsets span \(offsets[1] - offsets[0])")
            }
            parsed.append((name, dtype, shape, offsets[0]..<offsets[1]))
        }
        // The ranges must tile the data section: no overlap, no gap, nothing trailing.
        parsed.sort { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }
        var cursor = 0
        for entry in parsed {
            guard entry.range.lowerBound == cursor else {
                throw fail(entry.range.lowerBound < cursor
                    ? "tensor \(entry.name) overlaps the previous tensor at byte \(entry.range.lowerBound)"
                    : "gap before tensor \(entry.name): bytes \(cursor)..<\(entry.range.lowerBound) belong to no tensor")
            }
            cursor = entry.range.upperBound
        }
        guard cursor == dataSize else { throw fail("\(dataSize - cursor) trailing bytes belong to no tensor") }

        var file = SafetensorsFile(tensors: [], metadata: metadata)
        for entry in parsed {
            let bytes = data.subdata(in: (headerEnd + entry.range.lowerBound)..<(headerEnd + entry.range.upperBound))
            switch entry.dtype {
            case "F32", "F64", "F16", "BF16":
                file.tensors.append((entry.name, decodeFloats(bytes, dtype: entry.dtype, shape: entry.shape)))
            default:
                file.integers.append((entry.name, entry.shape, decodeIntegers(bytes, dtype: entry.dtype)))
            }
        }
        return file
    }

    /// The file's bytes: header padded with spaces to a multiple of 8, then the tensors in order.
    public func serialized() -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        var blobs: [Data] = []
        for (name, tensor) in tensors {
            let blob = tensor.dtype == .float32
                ? tensor.withUnsafeBufferPointer(as: Float.self) { Data(buffer: $0) }
                : tensor.withUnsafeBufferPointer(as: Double.self) { Data(buffer: $0) }
            header[name] = ["dtype": tensor.dtype == .float32 ? "F32" : "F64", "shape": tensor.shape,
                            "data_offsets": [offset, offset + blob.count]]
            offset += blob.count
            blobs.append(blob)
        }
        for (name, shape, values) in integers {
            let blob = values.withUnsafeBufferPointer { Data(buffer: $0) }
            header[name] = ["dtype": "I64", "shape": shape, "data_offsets": [offset, offset + blob.count]]
            offset += blob.count
            blobs.append(blob)
        }
        var json = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while (json.count + 8) % 8 != 0 { json.append(0x20) }
        var data = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for blob in blobs { data.append(blob) }
        return data
    }

    /// Writes atomically.
    public func write(to url: URL) throws { try AtomicFile.write(serialized(), to: url) }

    // MARK: Decoding

    private static let elementSizes = ["F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1]

    private static func integers(_ values: [Any]) -> [Int]? {
        var result: [Int] = []
        for value in values {
            // `as? Int` refuses non-integral numbers; the bound keeps later arithmetic in range.
            guard let integer = value as? Int, integer >= 0, integer < 1 << 53 else { return nil }
            result.append(integer)
        }
        return result
    }

    private static func decodeFloats(_ bytes: Data, dtype: String, shape: [Int]) -> Tensor {
        bytes.withUnsafeBytes { raw -> Tensor in
            let count = Shape.count(shape)
            switch dtype {
            case "F64":
                return Tensor(shape: shape, scalars: (0..<count).map { Double(bitPattern: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self).littleEndian) }, dtype: .float64)
            case "F32":
                return Tensor(shape: shape, floats: (0..<count).map { Float(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self).littleEndian) })
            case "BF16":
                return Tensor(shape: shape, floats: (0..<count).map {
                    Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self).littleEndian) << 16)
                })
            default:  // F16
                return Tensor(shape: shape, floats: (0..<count).map {
                    Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self).littleEndian))
                })
            }
        }
    }

    private static func decodeIntegers(_ bytes: Data, dtype: String) -> [Int64] {
        bytes.withUnsafeBytes { raw -> [Int64] in
            let size = elementSizes[dtype]!
            return (0..<(raw.count / size)).map { i -> Int64 in
                switch dtype {
                case "I64": return Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))
                case "I32": return Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
                case "I16": return Int64(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)))
                case "I8": return Int64(raw.load(fromByteOffset: i, as: Int8.self))
                default: return Int64(raw.load(fromByteOffset: i, as: UInt8.self))
                }
            }
        }
    }
}
