/// The header of a NumPy `.npy` file: version, dtype, memory order and shape.
///
/// The format is `\x93NUMPY`, a major and a minor version byte, the header length (2 bytes little
/// endian in version 1.0, 4 bytes in 2.0 and 3.0), then a Python dictionary literal such as
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (10, 28, 28), }`, padded with spaces.
public struct NumPyHeader: Equatable, Sendable {
    /// The magic that opens every `.npy` file.
    public static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// Format version, e.g. `1.0`.
    public let majorVersion: Int
    /// Format minor version, 0 in every published version.
    public let minorVersion: Int
    /// The dtype string, e.g. `<f4` (byte order, kind, size).
    public let descr: String
    /// Whether the data is column-major; this reader accepts only `false`.
    public let fortranOrder: Bool
    /// The array's shape; its product fits in 64 bits.
    public let shape: [Int]
    /// Bytes before the data: magic, version, length field and dictionary.
    public let dataOffset: Int

    /// `(10, 28, 28)`, the way NumPy prints a shape.
    public var shapeDescription: String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }

    /// Reads and checks the header of the `.npy` file at `path` (raw or gzip).
    public static func read(atPath path: String) throws -> NumPyHeader {
        try read(from: ByteReader(path: path))
    }

    /// Reads the header and leaves `reader` at the first data byte.
    static func read(from reader: ByteReader) throws -> NumPyHeader {
        let file = reader.path
        let prefix = try reader.readField(8, field: "npy magic and version")
        guard Array(prefix[0 ..< 6]) == magic else {
            throw DatasetError.badMagic(file: file, found: Array(prefix[0 ..< 6]), expected: magic)
        }
        let (major, minor) = (Int(prefix[6]), Int(prefix[7]))
        guard (1 ... 3).contains(major), minor == 0 else {
            throw DatasetError.unsupported(file: file, field: "npy version", found: "\(major).\(minor)", expected: "1.0, 2.0 or 3.0")
        }
        let lengthBytes = try reader.readField(major == 1 ? 2 : 4, field: "npy header length")
        let length = lengthBytes.reversed().reduce(0) { $0 << 8 | Int($1) }  // little-endian
        // Checked against the file before the dictionary is read (readField does that for raw files).
        let dictionary = try reader.readField(length, field: "npy header (its length field says \(length) bytes)")
        var parser = DictionaryParser(bytes: dictionary, file: file)
        let entries = try parser.parse()
        for key in entries.keys where !["descr", "fortran_order", "shape"].contains(key) {
            throw DatasetError.malformedHeader(file: file, reason: "unexpected key '\(printable(key))'")
        }
        guard case .string(let descr)? = entries["descr"] else {
            throw DatasetError.malformedHeader(file: file, reason: "'descr' is missing or not a string")
        }
        guard case .bool(let fortranOrder)? = entries["fortran_order"] else {
            throw DatasetError.malformedHeader(file: file, reason: "'fortran_order' is missing or not True/False")
        }
        guard case .tuple(let shape)? = entries["shape"] else {
            throw DatasetError.malformedHeader(file: file, reason: "'shape' is missing or not a tuple of integers")
        }
        try checkShapeProduct(shape, file: file, field: "shape")
        return NumPyHeader(
            majorVersion: major, minorVersion: minor, descr: descr, fortranOrder: fortranOrder, shape: shape,
            dataOffset: 8 + lengthBytes.count + length)
    }
}

/// The subset of Python literal syntax NumPy writes in a header: a dictionary with string keys
/// and string, `True`/`False` or tuple-of-integer values.
private struct DictionaryParser {
    enum Value { case string(String), bool(Bool), tuple([Int]) }

    let bytes: [UInt8]
    let file: String
    var index = 0

    init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
    }

    mutating func parse() throws -> [String: Value] {
        var entries: [String: Value] = [:]
        try expect("{")
        while try peek() != UInt8(ascii: "}") {
            let key = try string()
            try expect(":")
            guard entries[key] == nil else { throw failure("duplicate key '\(printable(key))'") }
            entries[key] = try value()
            if try peek() == UInt8(ascii: ",") { index += 1 } else { break }
        }
        try expect("}")
        skipSpace()
        guard index == bytes.count else { throw failure("unexpected text after the dictionary") }
        return entries
    }

    private mutating func value() throws -> Value {
        switch try peek() {
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "("):
            index += 1
            var items: [Int] = []
            while try peek() != UInt8(ascii: ")") {
                items.append(try integer())
                if try peek() == UInt8(ascii: ",") { index += 1 } else { break }
            }
            try expect(")")
            return .tuple(items)
        default:
            if word("True") { return .bool(true) }
            if word("False") { return .bool(false) }
            throw failure("unsupported value")
        }
    }

    /// A quoted string without escapes (NumPy never writes any in a header).
    private mutating func string() throws -> String {
        let quote = try peek()
        guard quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"") else { throw failure("expected a quoted string") }
        index += 1
        let start = index
        while index < bytes.count && bytes[index] != quote { index += 1 }
        guard index < bytes.count else { throw failure("unterminated string") }
        index += 1
        return String(decoding: bytes[start ..< index - 1], as: UTF8.self)
    }

    /// A non-negative decimal integer, with the `L` suffix Python 2 wrote for long integers.
    private mutating func integer() throws -> Int {
        _ = try peek()
        let start = index
        var value = 0
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = times10.addingReportingOverflow(Int(bytes[index] - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else {
                throw DatasetError.overflow(file: file, field: "shape entry", product: digitsFrom(start))
            }
            value = next
            index += 1
        }
        guard index > start else { throw failure("expected a non-negative integer") }
        if index < bytes.count && bytes[index] == UInt8(ascii: "L") { index += 1 }
        return value
    }

    private func digitsFrom(_ start: Int) -> String {
        var end = start
        while end < bytes.count, bytes[end] >= UInt8(ascii: "0"), bytes[end] <= UInt8(ascii: "9") { end += 1 }
        return String(decoding: bytes[start ..< end], as: UTF8.self)
    }

    private mutating func word(_ text: String) -> Bool {
        let spelled = Array(text.utf8)
        guard bytes[index...].starts(with: spelled) else { return false }
        index += spelled.count
        return true
    }

    private mutating func expect(_ character: Unicode.Scalar) throws {
        guard try peek() == UInt8(ascii: character) else { throw failure("expected '\(character)'") }
        index += 1
    }

    /// The next byte that is not white space; throws at the end of the header.
    private mutating func peek() throws -> UInt8 {
        skipSpace()
        guard index < bytes.count else { throw failure("header ends early") }
        return bytes[index]
    }

    private mutating func skipSpace() {
        while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
    }

    private func failure(_ reason: String) -> DatasetError {
        .malformedHeader(file: file, reason: "\(reason) at byte \(index) of the dictionary")
    }
}

/// Header text quoted in an error message: control and non-ASCII characters escaped and at most
/// `limit` characters kept, so that a hostile header cannot break the message's single line.
func printable(_ text: String, limit: Int = 40) -> String {
    let scalars = text.unicodeScalars
    let shown = scalars.prefix(limit).map { $0.isASCII && $0.value >= 0x20 && $0.value != 0x7F ? String($0) : $0.escaped(asASCII: true) }
    return shown.joined() + (scalars.count > limit ? "…" : "")
}
