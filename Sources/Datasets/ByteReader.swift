#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CZlib

/// Streams the bytes of one file, inflating on the fly when the file starts with the gzip magic.
///
/// Readers of headered formats read the header first, then ask for exactly the payload the header
/// promises. Nothing is allocated from what a file *claims*: a raw file's claim is checked against
/// its size on disk before any allocation, and a gzip stream's buffer grows only as inflated bytes
/// actually arrive, never past the caller's bound. A lying header or a decompression bomb therefore
/// cannot make the reader allocate more than the caller expects.
final class ByteReader {
    /// Compressed input is read, and inflated output produced, in chunks of this many bytes.
    static let chunkSize = 1 << 18
    /// Deflate cannot expand data by more than about 1032:1; caps the trailer's size hint.
    static let maxDeflateRatio = 1032
    /// How far past a header's claim a gzip stream is inflated just to report its true size.
    static let excessCountLimit = 1 << 30

    let path: String
    /// Whether the file starts with the gzip magic `1f 8b`.
    let isGzip: Bool
    /// Size of the file on disk.
    let fileSize: Int
    /// Bytes delivered so far (inflated bytes for gzip).
    private(set) var position = 0

    private let file: UnsafeMutablePointer<FILE>
    private let input: UnsafeMutablePointer<UInt8>
    private let output: UnsafeMutablePointer<UInt8>
    private let stream: UnsafeMutablePointer<z_stream>?
    /// The gzip trailer's ISIZE (length mod 2³²): used only to size the first allocation.
    private let sizeHint: Int?
    private var compressedRead = 0
    /// Inflated bytes produced so far, for error messages.
    private var inflatedTotal = 0
    private var memberEnded = false
    private var finished = false

    /// Opens `path` and detects gzip from its first two bytes.
    init(path: String) throws {
        guard let file = fopen(path, "rb") else {
            throw DatasetError.io(file: path, reason: "cannot open: " + String(cString: strerror(errno)))
        }
        var info = stat()
        guard fstat(fileno(file), &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            fclose(file)
            throw DatasetError.io(file: path, reason: "not a regular file")
        }
        let fileSize = Int(info.st_size)
        var magic: [UInt8] = [0, 0]
        let isGzip = fread(&magic, 1, 2, file) == 2 && magic == [0x1f, 0x8b]
        var sizeHint: Int?
        if isGzip && fileSize >= 18 && fseek(file, -4, SEEK_END) == 0 {
            var trailer: [UInt8] = [0, 0, 0, 0]
            if fread(&trailer, 1, 4, file) == 4 {
                let isize = trailer.reversed().reduce(0) { $0 << 8 | Int($1) }
                // A multi-member or >4 GiB stream makes ISIZE meaningless; it is only a hint.
                if isize <= fileSize * Self.maxDeflateRatio { sizeHint = isize }
            }
        }
        guard fseek(file, 0, SEEK_SET) == 0 else {
            fclose(file)
            throw DatasetError.io(file: path, reason: "cannot seek: " + String(cString: strerror(errno)))
        }
        var stream: UnsafeMutablePointer<z_stream>?
        if isGzip {
            // zlib keeps a pointer back to the z_stream, so it must not move: allocate it.
            let s = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            s.initialize(to: z_stream())
            // 15 + 32: maximum window, and accept a gzip (or zlib) wrapper with automatic detection.
            guard inflateInit2_(s, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                s.deallocate()
                fclose(file)
                throw DatasetError.io(file: path, reason: "zlib inflateInit2 failed")
            }
            stream = s
        }
        self.path = path
        self.file = file
        self.fileSize = fileSize
        self.isGzip = isGzip
        self.sizeHint = sizeHint
        self.stream = stream
        self.input = .allocate(capacity: isGzip ? Self.chunkSize : 0)
        self.output = .allocate(capacity: Self.chunkSize)
    }

    deinit {
        if let stream {
            inflateEnd(stream)
            stream.deallocate()
        }
        input.deallocate()
        output.deallocate()
        fclose(file)
    }

    /// Bytes left in a raw file; `nil` for gzip, whose inflated size is unknown until inflated.
    var remainingIfKnown: Int? { isGzip ? nil : fileSize - position }

    /// Reads up to `limit` bytes; fewer only at the end of the data.
    ///
    /// Never allocates more than `limit` bytes, nor more than the file actually yields.
    func read(upTo limit: Int) throws -> [UInt8] {
        precondition(limit >= 0, "negative read size")
        guard isGzip else { return try readRaw(upTo: limit) }
        var result: [UInt8] = []
        let hinted = sizeHint.map { max(0, $0 - position) } ?? 0
        result.reserveCapacity(min(limit, max(hinted, Self.chunkSize)))
        while result.count < limit {
            let produced = try inflateChunk(capacity: min(Self.chunkSize, limit - result.count))
            if produced == 0 { break }
            if result.count + produced > result.capacity {
                // Grow geometrically but never past the caller's bound.
                result.reserveCapacity(min(limit, max(result.capacity * 2, result.count + produced)))
            }
            result.append(contentsOf: UnsafeBufferPointer(start: output, count: produced))
        }
        position += result.count
        return result
    }

    /// Skips up to `limit` bytes without storing them and returns how many there were.
    func discard(upTo limit: Int) throws -> Int {
        guard isGzip else {
            let count = min(limit, fileSize - position)
            guard fseek(file, count, SEEK_CUR) == 0 else {
                throw DatasetError.io(file: path, reason: "cannot seek: " + String(cString: strerror(errno)))
            }
            position += count
            return count
        }
        var skipped = 0
        while skipped < limit {
            let produced = try inflateChunk(capacity: min(Self.chunkSize, limit - skipped))
            if produced == 0 { break }
            skipped += produced
        }
        position += skipped
        return skipped
    }

    /// A raw file's size is known, so exactly what it holds is allocated, and no more.
    private func readRaw(upTo limit: Int) throws -> [UInt8] {
        let count = min(limit, fileSize - position)
        guard count > 0 else { return [] }
        let bytes = try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = fread(buffer.baseAddress!, 1, count, file)
            if initialized != count {
                throw DatasetError.io(file: path, reason: "read \(position + initialized) of \(fileSize) bytes (file changed?)")
            }
        }
        position += count
        return bytes
    }

    /// Inflates at most `capacity` bytes into `output`; returns 0 only at the end of the data.
    private func inflateChunk(capacity: Int) throws -> Int {
        guard let s = stream, !finished, capacity > 0 else { return 0 }
        s.pointee.next_out = output
        s.pointee.avail_out = UInt32(capacity)
        while Int(s.pointee.avail_out) == capacity {
            if s.pointee.avail_in == 0 {
                let got = fread(input, 1, Self.chunkSize, file)
                if got == 0 {
                    if ferror(file) != 0 {
                        throw DatasetError.io(file: path, reason: "read error: " + String(cString: strerror(errno)))
                    }
                    if memberEnded {
                        finished = true
                        break
                    }
                    throw DatasetError.truncatedGzip(
                        file: path, compressedBytes: compressedRead,
                        inflatedBytes: inflatedTotal + capacity - Int(s.pointee.avail_out))
                }
                compressedRead += got
                s.pointee.next_in = input
                s.pointee.avail_in = UInt32(got)
            }
            if memberEnded {
                // `gzip -c a b > ab` concatenates members; anything else after the end is garbage.
                guard s.pointee.next_in.pointee == 0x1f else {
                    throw DatasetError.trailingData(file: path, offset: compressedOffset)
                }
                inflateReset(s)
                memberEnded = false
            }
            switch inflate(s, Z_NO_FLUSH) {
            case Z_OK:
                break
            case Z_STREAM_END:
                memberEnded = true
            case Z_BUF_ERROR where s.pointee.avail_in == 0:
                break  // needs more input: the loop refills
            case Z_NEED_DICT:
                throw DatasetError.corruptGzip(file: path, offset: compressedOffset, reason: "stream needs a preset dictionary")
            case Z_MEM_ERROR:
                throw DatasetError.io(file: path, reason: "zlib ran out of memory")
            default:
                let reason = s.pointee.msg.map { String(cString: $0) } ?? "invalid compressed data"
                throw DatasetError.corruptGzip(file: path, offset: compressedOffset, reason: reason)
            }
        }
        let produced = capacity - Int(s.pointee.avail_out)
        inflatedTotal += produced
        return produced
    }

    private var compressedOffset: Int { compressedRead - Int(stream?.pointee.avail_in ?? 0) }
}

extension ByteReader {
    /// Reads exactly the `expected` bytes a header promises and checks that nothing follows.
    ///
    /// For a raw file the claim is compared with the bytes on disk before anything is allocated; a
    /// gzip stream is inflated into a buffer that grows with the data and stops at `expected`.
    /// - Parameters:
    ///   - claim: what the header says, e.g. `10000×28×28`, for the error message.
    ///   - unit: what the bytes are, e.g. `pixel bytes`.
    func readPayload(expected: Int, claim: String, unit: String) throws -> [UInt8] {
        if let available = remainingIfKnown, available != expected {
            throw DatasetError.sizeMismatch(file: path, claim: claim, expected: expected, unit: unit, found: available)
        }
        let payload = try read(upTo: expected)
        guard payload.count == expected else {
            throw DatasetError.sizeMismatch(file: path, claim: claim, expected: expected, unit: unit, found: payload.count)
        }
        // Count (without storing) what follows, so the error can say how much the file really holds.
        let extra = try discard(upTo: Self.excessCountLimit + 1)
        if extra > Self.excessCountLimit {
            throw DatasetError.tooLarge(file: path, what: "data after the header (which says \(claim))", limit: expected)
        }
        if extra > 0 {
            throw DatasetError.sizeMismatch(file: path, claim: claim, expected: expected, unit: unit, found: expected + extra)
        }
        return payload
    }

    /// Reads a fixed-size header field, failing with ``DatasetError/truncated(file:field:needed:available:)``.
    func readField(_ count: Int, field: String) throws -> [UInt8] {
        if let available = remainingIfKnown, available < count {
            throw DatasetError.truncated(file: path, field: field, needed: count, available: available)
        }
        let bytes = try read(upTo: count)
        guard bytes.count == count else {
            throw DatasetError.truncated(file: path, field: field, needed: count, available: bytes.count)
        }
        return bytes
    }
}
