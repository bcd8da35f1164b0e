import CZlib

/// Reading files that may or may not be gzip-compressed, and writing gzip data.
public enum Gzip {
    /// The two bytes every gzip member starts with.
    public static let magic: [UInt8] = [0x1f, 0x8b]

    /// Whether `bytes` starts with the gzip magic.
    public static func isCompressed(_ bytes: some Collection<UInt8>) -> Bool {
        bytes.starts(with: magic)
    }

    /// Reads a whole file, inflating it when it starts with `1f 8b`, otherwise taking it as is.
    ///
    /// Decompression streams through zlib (`inflateInit2` with 15 + 32 window bits, so the gzip
    /// wrapper and its CRC are checked, and concatenated members are read in turn).
    /// - Parameters:
    ///   - path: the file.
    ///   - maxBytes: the most (decompressed) bytes the caller expects; the reader never
    ///     allocates more, and a file holding more is an error rather than a memory blow-up.
    /// - Returns: the decompressed bytes.
    /// - Throws: ``DatasetError/tooLarge(file:what:limit:)``,
    ///   ``DatasetError/truncatedGzip(file:compressedBytes:inflatedBytes:)``,
    ///   ``DatasetError/corruptGzip(file:offset:reason:)``, ``DatasetError/io(file:reason:)``.
    public static func readFile(atPath path: String, maxBytes: Int) throws -> [UInt8] {
        precondition(maxBytes >= 0, "negative byte limit")
        let reader = try ByteReader(path: path)
        if let size = reader.remainingIfKnown, size > maxBytes {
            throw DatasetError.tooLarge(file: path, what: "file of \(size) bytes", limit: maxBytes)
        }
        let bytes = try reader.read(upTo: maxBytes)
        if try reader.discard(upTo: 1) > 0 {
            throw DatasetError.tooLarge(file: path, what: "decompressed data", limit: maxBytes)
        }
        return bytes
    }

    /// Compresses `bytes` into a single gzip member.
    ///
    /// Used for writing compressed outputs and test fixtures.
    /// - Parameter level: zlib compression level, 0 (store) to 9 (smallest).
    public static func compress(_ bytes: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        // zlib keeps a pointer back to the z_stream, so it must not move: allocate it.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        // 15 + 16: maximum window, gzip wrapper instead of zlib's.
        guard deflateInit2_(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                            zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DatasetError.invalidArgument(context: "Gzip.compress", found: "level \(level)", expected: "0...9")
        }
        defer { deflateEnd(stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(stream, uLong(bytes.count))))
        let status: Int32 = bytes.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.pointee.next_out = target.baseAddress
                var offset = 0
                var status = Z_OK
                // avail_in and avail_out are 32-bit, so large inputs go in slices.
                repeat {
                    let slice = min(bytes.count - offset, Int(UInt32.max))
                    stream.pointee.next_in = source.baseAddress.map { UnsafeMutablePointer(mutating: $0 + offset) }
                    stream.pointee.avail_in = UInt32(slice)
                    offset += slice
                    stream.pointee.avail_out = UInt32(min(target.count - Int(stream.pointee.total_out), Int(UInt32.max)))
                    status = deflate(stream, offset == bytes.count ? Z_FINISH : Z_NO_FLUSH)
                } while status == Z_OK
                return status
            }
        }
        guard status == Z_STREAM_END else {
            throw DatasetError.invalidArgument(context: "Gzip.compress", found: "zlib status \(status)", expected: "Z_STREAM_END")
        }
        output.removeLast(output.count - Int(stream.pointee.total_out))
        return output
    }
}
