import Datasets
import Foundation
import XCTest

/// Builders for small IDX, NumPy and CSV files, valid or deliberately broken.
enum Fixtures {
    /// An IDX file: magic `00 00 dtype rank`, big-endian dims, payload.
    static func idx(dtype: UInt8 = 0x08, dims: [UInt32], payload: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, dtype, UInt8(dims.count)]
        for dim in dims { bytes += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: dim >> $0) } }
        return bytes + payload
    }

    /// Pixel `k` of image `n` is `(n * 50 + k) % 256`: distinct per image, easy to predict.
    static func pixels(count: Int, pixelsPerImage: Int) -> [UInt8] {
        (0 ..< count * pixelsPerImage).map { UInt8(($0 / pixelsPerImage * 50 + $0 % pixelsPerImage) % 256) }
    }

    /// A `.npy` file as `numpy.save` writes it: header padded with spaces to a multiple of 64, then `\n`.
    static func npy(descr: String, fortranOrder: Bool = false, shape: [Int], data: [UInt8], major: UInt8 = 1) -> [UInt8] {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        let dictionary = "{'descr': '\(descr)', 'fortran_order': \(fortranOrder ? "True" : "False"), 'shape': \(shapeText), }"
        return npy(dictionary: dictionary, data: data, major: major)
    }

    /// A `.npy` file with a given header dictionary text.
    static func npy(dictionary: String, data: [UInt8], major: UInt8 = 1) -> [UInt8] {
        let prefixLength = major == 1 ? 10 : 12
        var header = Array(dictionary.utf8)
        let total = prefixLength + header.count + 1
        header += [UInt8](repeating: 0x20, count: (64 - total % 64) % 64) + [0x0A]
        let length = header.count
        let lengthBytes = (0 ..< (major == 1 ? 2 : 4)).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) }
        return [0x93] + Array("NUMPY".utf8) + [major, 0] + lengthBytes + header + data
    }

    /// Little-endian bytes of values.
    static func littleEndian<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        values.flatMap { value in (0 ..< T.bitWidth / 8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
    }

    static func float32(_ values: [Float], bigEndian: Bool = false) -> [UInt8] {
        let bytes = littleEndian(values.map(\.bitPattern))
        return bigEndian ? stride(from: 0, to: bytes.count, by: 4).flatMap { bytes[$0 ..< $0 + 4].reversed() } : bytes
    }

    static func float64(_ values: [Double]) -> [UInt8] { littleEndian(values.map(\.bitPattern)) }
}

/// A fresh temporary directory per test, removed afterwards.
class TemporaryDirectoryTestCase: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("DatasetsTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(at: directory)
    }

    /// Writes `bytes` to `name` (inside `subdirectory` if given) and returns the path.
    @discardableResult
    func write(_ bytes: [UInt8], _ name: String, in subdirectory: String? = nil) throws -> String {
        var folder = directory!
        if let subdirectory {
            folder = folder.appendingPathComponent(subdirectory)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// Asserts that `body` throws a ``DatasetError`` and hands it to `check`.
    func assertDatasetError<T>(
        _ body: @autoclosure () throws -> T, file: StaticString = #filePath, line: UInt = #line,
        _ check: (DatasetError) -> Void
    ) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            guard let error = error as? DatasetError else {
                return XCTFail("expected a DatasetError, got \(error)", file: file, line: line)
            }
            XCTAssertFalse(error.description.contains("\n"), "messages are one line", file: file, line: line)
            check(error)
        }
    }
}

/// Small colour images written as CIFAR-10 records and as `.npy` arrays, the same pixels in each.
enum ColourFixtures {
    static let (channels, height, width) = (3, 32, 32)
    static var pixelsPerImage: Int { channels * height * width }

    /// Pixel (channel c, row y, column x) of image n: distinct per image, channel and position.
    static func byte(_ n: Int, _ c: Int, _ y: Int, _ x: Int) -> UInt8 { UInt8((n * 50 + c * 7 + y * 3 + x) % 256) }

    /// Images `0..<count` in channels-first order (what every loader returns, divided by 255).
    static func channelsFirst(count: Int) -> [UInt8] {
        (0 ..< count).flatMap { n in (0 ..< channels).flatMap { c in (0 ..< height).flatMap { y in (0 ..< width).map { x in byte(n, c, y, x) } } } }
    }

    /// The same images with the channel last, as `(N, H, W, C)`.
    static func channelsLast(count: Int) -> [UInt8] {
        (0 ..< count).flatMap { n in (0 ..< height).flatMap { y in (0 ..< width).flatMap { x in (0 ..< channels).map { c in byte(n, c, y, x) } } } }
    }

    /// CIFAR-10 records: a label byte, then 1,024 red, 1,024 green and 1,024 blue bytes.
    static func cifar(labels: [UInt8], firstImage: Int = 0) -> [UInt8] {
        let pixels = channelsFirst(count: firstImage + labels.count)
        return labels.enumerated().flatMap { index, label in
            let image = firstImage + index
            return [label] + pixels[image * pixelsPerImage ..< (image + 1) * pixelsPerImage]
        }
    }
}
