#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Curvature

// Shared pieces of the harnesses: writing fuzz inputs to files for the path-based readers,
// splitting one input into a mode byte and one or two files, and checking that a parser that
// refuses an input does so with the error type and message style the project promises.

/// A fuzz input as a byte buffer that can be sliced without copying.
public struct FuzzInput {
    public let bytes: UnsafeBufferPointer<UInt8>

    public init(_ start: UnsafePointer<UInt8>, _ count: Int) {
        bytes = UnsafeBufferPointer(start: start, count: count)
    }

    /// The first byte (0 for an empty input): harnesses use it to pick a mode.
    public var mode: UInt8 { bytes.first ?? 0 }

    /// Everything after the mode byte.
    public var rest: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: bytes.dropFirst()) }

    /// After the mode byte, a little-endian 16-bit length `n` (clamped to what follows), then the
    /// first part (`n` bytes) and the second part (the remainder).
    public var twoParts: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) {
        let body = rest
        guard body.count >= 2 else { return (UnsafeBufferPointer(rebasing: body[body.count...]), body) }
        let length = min(Int(body[0]) | Int(body[1]) << 8, body.count - 2)
        return (UnsafeBufferPointer(rebasing: body[2 ..< 2 + length]),
                UnsafeBufferPointer(rebasing: body[(2 + length)...]))
    }
}

/// Files the harnesses write their inputs to, in `$FUZZ_TMPDIR` (run.sh points it at the work
/// directory, preferably on tmpfs) or `/tmp`, one directory per process.
public enum Scratch {
    public static let directory: String = {
        let base = getenv("FUZZ_TMPDIR").map { String(cString: $0) } ?? "/tmp"
        let path = base + "/curvature-fuzz-\(getpid())"
        if mkdir(path, 0o700) != 0 && errno != EEXIST { fatalError("cannot create \(path)") }
        return path
    }()

    /// Writes `bytes` to `directory/name` (replacing it) and returns the path.
    @discardableResult
    public static func write(_ bytes: UnsafeBufferPointer<UInt8>, named name: String) -> String {
        let path = directory + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { fatalError("cannot open \(path) for writing") }
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            guard written > 0 else { fatalError("cannot write \(path)") }
            offset += written
        }
        close(fd)
        return path
    }

    @discardableResult
    public static func write(_ bytes: [UInt8], named name: String) -> String {
        bytes.withUnsafeBufferPointer { write($0, named: name) }
    }
}

/// Checks a refusal: an expected error type, a one-line message that names the input.
///
/// Anything else is a finding, so it stops the fuzzer like a crash would.
public func checkRefusal(_ error: Error, naming names: [String], parser: String) {
    let message: String
    switch error {
    case let error as DatasetError: message = error.description
    case let error as ModelError: message = error.description
    default:
        fatalError("\(parser): unexpected error type \(type(of: error)): \(error)")
    }
    guard !message.isEmpty, !message.contains("\n"), !message.contains("\r") else {
        fatalError("\(parser): error message is not one line: \(String(reflecting: message))")
    }
    guard names.contains(where: { message.contains($0) }) else {
        fatalError("\(parser): error message names none of \(names): \(message)")
    }
}

/// `a × b × …` with overflow reported as nil.
public func checkedProduct(_ values: [Int]) -> Int? {
    var product = 1
    for value in values {
        let (next, overflow) = product.multipliedReportingOverflow(by: value)
        if overflow { return nil }
        product = next
    }
    return product
}
