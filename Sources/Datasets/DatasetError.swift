/// Everything that can go wrong while reading a data set.
///
/// Each case carries the file, the field, what was found and what was expected, and its
/// ``description`` is one line a user can act on, for example
/// `t10k-images-idx3-ubyte.gz: header says 10000×28×28 = 7840000 pixel bytes but the file holds 7839000`.
/// Tests match on the case, so each hostile input has its own, specific error.
public enum DatasetError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A file or directory is missing; `tried` lists every place that was looked at.
    case notFound(what: String, tried: [String], hint: String)
    /// The operating system refused to open or read a file.
    case io(file: String, reason: String)
    /// A gzip stream ends before its end-of-stream marker.
    case truncatedGzip(file: String, compressedBytes: Int, inflatedBytes: Int)
    /// zlib rejected the compressed data (bad block, bad CRC, bad length…).
    case corruptGzip(file: String, offset: Int, reason: String)
    /// Bytes that are not another gzip member follow a complete gzip member.
    case trailingData(file: String, offset: Int)
    /// The (decompressed) data is larger than the caller's bound.
    case tooLarge(file: String, what: String, limit: Int)
    /// A fixed-size part of a file (magic, header, dimensions) is cut short.
    case truncated(file: String, field: String, needed: Int, available: Int)
    /// The file does not start with the magic bytes of its format.
    case badMagic(file: String, found: [UInt8], expected: [UInt8])
    /// A header field holds a value this reader does not handle (dtype, rank, version, order, shape).
    case unsupported(file: String, field: String, found: String, expected: String)
    /// A text header (the NumPy dictionary) cannot be parsed.
    case malformedHeader(file: String, reason: String)
    /// The product of a header's dimensions does not fit in a 64-bit size.
    case overflow(file: String, field: String, product: String)
    /// The size a header implies differs from the number of bytes the file actually holds.
    case sizeMismatch(file: String, claim: String, expected: Int, unit: String, found: Int)
    /// The images file and the labels file disagree on the number of samples.
    case countMismatch(imagesFile: String, images: Int, labelsFile: String, labels: Int)
    /// A label is negative or not below the number of classes.
    case labelOutOfRange(file: String, index: Int, label: Int, classCount: Int)
    /// A CSV row has the wrong number of fields (rows and columns count from 1).
    case fieldCount(file: String, row: Int, found: Int, expected: Int)
    /// A CSV field is not an integer in range (rows and columns count from 1).
    case badField(file: String, row: Int, column: Int, found: String, expected: String)
    /// A numeric element of a binary file is unusable (for example NaN pixels).
    case badValue(file: String, location: String, found: String, expected: String)
    /// An argument passed by the caller is out of range (subsets, batches, class counts).
    case invalidArgument(context: String, found: String, expected: String)

    public var description: String {
        switch self {
        case let .notFound(what, tried, hint):
            let places = tried.isEmpty ? "" : " (looked for \(tried.joined(separator: ", ")))"
            return "\(what): not found\(places)" + (hint.isEmpty ? "" : "; \(hint)")
        case let .io(file, reason):
            return "\(file): \(reason)"
        case let .truncatedGzip(file, compressedBytes, inflatedBytes):
            return "\(file): gzip data is truncated: the stream ends after \(compressedBytes) compressed"
                + " bytes (\(inflatedBytes) inflated) without its end marker"
        case let .corruptGzip(file, offset, reason):
            return "\(file): corrupt gzip data near compressed byte \(offset): \(reason)"
        case let .trailingData(file, offset):
            return "\(file): unexpected non-gzip bytes at compressed byte \(offset) after the end of the gzip stream"
        case let .tooLarge(file, what, limit):
            return "\(file): \(what) exceeds the limit of \(limit) bytes"
        case let .truncated(file, field, needed, available):
            return "\(file): \(field) needs \(needed) bytes but only \(available) remain"
        case let .badMagic(file, found, expected):
            return "\(file): magic bytes \(hex(found)), expected \(hex(expected))"
        case let .unsupported(file, field, found, expected):
            return "\(file): \(field) is \(found), expected \(expected)"
        case let .malformedHeader(file, reason):
            return "\(file): malformed header: \(reason)"
        case let .overflow(file, field, product):
            return "\(file): \(field) \(product) overflows a 64-bit size"
        case let .sizeMismatch(file, claim, expected, unit, found):
            return "\(file): header says \(claim) = \(expected) \(unit) but the file holds \(found)"
        case let .countMismatch(imagesFile, images, labelsFile, labels):
            return "\(labelsFile): holds \(labels) labels but \(imagesFile) holds \(images) images"
        case let .labelOutOfRange(file, index, label, classCount):
            return "\(file): label \(label) at index \(index) is out of range, expected 0..<\(classCount)"
        case let .fieldCount(file, row, found, expected):
            return "\(file): row \(row) has \(found) fields, expected \(expected)"
        case let .badField(file, row, column, found, expected):
            return "\(file): row \(row), column \(column) is \"\(found)\", expected \(expected)"
        case let .badValue(file, location, found, expected):
            return "\(file): \(location) is \(found), expected \(expected)"
        case let .invalidArgument(context, found, expected):
            return "\(context): found \(found), expected \(expected)"
        }
    }
}

/// Bytes as `1f 8b 08`, the way a hex dump shows them.
private func hex(_ bytes: [UInt8]) -> String {
    bytes.map { byte in
        let digits = String(byte, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }.joined(separator: " ")
}
