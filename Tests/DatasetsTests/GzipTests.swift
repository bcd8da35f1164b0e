import Datasets
import XCTest

final class GzipTests: TemporaryDirectoryTestCase {
    /// 100 kB of mildly compressible bytes.
    let original: [UInt8] = (0 ..< 100_000).map { UInt8(truncatingIfNeeded: $0 * 7 / 3) }

    func testGzipAndRawGiveTheSameBytes() throws {
        let compressed = try Gzip.compress(original)
        XCTAssertEqual(Array(compressed.prefix(2)), Gzip.magic)
        XCTAssertLessThan(compressed.count, original.count / 2)
        let gz = try write(compressed, "data.gz")
        let raw = try write(original, "data")
        XCTAssertEqual(try Gzip.readFile(atPath: gz, maxBytes: original.count), original)
        XCTAssertEqual(try Gzip.readFile(atPath: raw, maxBytes: original.count), original)
    }

    func testEmptyInputRoundTrips() throws {
        let gz = try write(try Gzip.compress([]), "empty.gz")
        XCTAssertEqual(try Gzip.readFile(atPath: gz, maxBytes: 0), [])
    }

    func testConcatenatedMembersAreReadInTurn() throws {
        let gz = try write(try Gzip.compress([1, 2, 3]) + Gzip.compress([4, 5]), "two.gz")
        XCTAssertEqual(try Gzip.readFile(atPath: gz, maxBytes: 10), [1, 2, 3, 4, 5])
    }

    func testMoreThanTheCallersBoundIsAnError() throws {
        let gz = try write(try Gzip.compress(original), "data.gz")
        let raw = try write(original, "data")
        for path in [gz, raw] {
            assertDatasetError(try Gzip.readFile(atPath: path, maxBytes: original.count - 1)) { error in
                guard case .tooLarge(path, _, original.count - 1) = error else { return XCTFail("\(error)") }
            }
        }
    }

    func testBombIsStoppedAtTheBound() throws {
        // 64 MB of zeros compress to ~64 kB; a 1 MB bound must stop inflation early.
        let bomb = try write(try Gzip.compress([UInt8](repeating: 0, count: 64 << 20), level: 9), "bomb.gz")
        assertDatasetError(try Gzip.readFile(atPath: bomb, maxBytes: 1 << 20)) { error in
            guard case .tooLarge(_, "decompressed data", 1 << 20) = error else { return XCTFail("\(error)") }
        }
    }

    func testTruncatedGzipIsReported() throws {
        let compressed = try Gzip.compress(original)
        let path = try write(Array(compressed.prefix(compressed.count / 2)), "half.gz")
        assertDatasetError(try Gzip.readFile(atPath: path, maxBytes: original.count)) { error in
            guard case .truncatedGzip(path, compressed.count / 2, let inflated) = error else { return XCTFail("\(error)") }
            XCTAssertGreaterThan(inflated, 0)
            XCTAssertLessThan(inflated, original.count)
            XCTAssertTrue(error.description.contains("truncated"), error.description)
        }
        // Without its 8-byte trailer the stream never reaches its end.
        let noTrailer = try write(Array(compressed.dropLast(8)), "notrailer.gz")
        assertDatasetError(try Gzip.readFile(atPath: noTrailer, maxBytes: original.count)) { error in
            guard case .truncatedGzip = error else { return XCTFail("\(error)") }
        }
    }

    func testCorruptGzipIsReported() throws {
        var badCRC = try Gzip.compress(original)
        badCRC[badCRC.count - 8] ^= 0xFF
        let crcPath = try write(badCRC, "crc.gz")
        assertDatasetError(try Gzip.readFile(atPath: crcPath, maxBytes: original.count)) { error in
            guard case .corruptGzip(crcPath, _, "incorrect data check") = error else { return XCTFail("\(error)") }
        }
        var badBlock = try Gzip.compress(original)
        badBlock[10] = 0xFF  // first deflate byte: block type 3 does not exist
        let blockPath = try write(badBlock, "block.gz")
        assertDatasetError(try Gzip.readFile(atPath: blockPath, maxBytes: original.count)) { error in
            guard case .corruptGzip(blockPath, let offset, "invalid block type") = error else { return XCTFail("\(error)") }
            XCTAssertTrue((10 ... 11).contains(offset), "\(offset)")  // zlib may already have consumed the byte
        }
    }

    func testGarbageAfterTheStreamIsReported() throws {
        let compressed = try Gzip.compress([1, 2, 3])
        let path = try write(compressed + Array("junk".utf8), "junk.gz")
        assertDatasetError(try Gzip.readFile(atPath: path, maxBytes: 100)) { error in
            guard case .trailingData(path, compressed.count) = error else { return XCTFail("\(error)") }
        }
    }

    func testMissingFileIsAnIOError() {
        assertDatasetError(try Gzip.readFile(atPath: directory.path + "/absent.gz", maxBytes: 10)) { error in
            guard case .io(_, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("No such file"), reason)
        }
    }
}
