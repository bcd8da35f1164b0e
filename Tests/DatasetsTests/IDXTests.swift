import Datasets
import XCTest

final class IDXTests: TemporaryDirectoryTestCase {
    /// Three 2×3 test images labelled 7, 0, 9.
    let pixels = Fixtures.pixels(count: 3, pixelsPerImage: 6)
    var images: [UInt8] { Fixtures.idx(dims: [3, 2, 3], payload: pixels) }
    let labels = Fixtures.idx(dims: [3], payload: [7, 0, 9])

    /// Writes the test split (raw) into `dir` and returns the paths.
    @discardableResult
    func writeTestSplit(images: [UInt8]? = nil, labels: [UInt8]? = nil, gzip: Bool = false, in dir: String = "idx")
        throws -> (images: String, labels: String)
    {
        let suffix = gzip ? ".gz" : ""
        let imageBytes = images ?? self.images, labelBytes = labels ?? self.labels
        return (
            try write(gzip ? try Gzip.compress(imageBytes) : imageBytes, "t10k-images-idx3-ubyte" + suffix, in: dir),
            try write(gzip ? try Gzip.compress(labelBytes) : labelBytes, "t10k-labels-idx1-ubyte" + suffix, in: dir))
    }

    func load(_ dir: String = "idx") throws -> LabeledImages {
        try IDX.load(directory: directory.appendingPathComponent(dir).path, split: .test)
    }

    func testValidFilesLoadWithScaledPixels() throws {
        try writeTestSplit()
        let data = try load()
        XCTAssertEqual(data.shape, [3, 1, 2, 3])
        XCTAssertEqual(data.labels, [7, 0, 9])
        XCTAssertEqual(data.classCount, 10)
        XCTAssertEqual(data.images, pixels.map { Float($0) / 255 })
        XCTAssertEqual(Array(data.image(1)), [50, 51, 52, 53, 54, 55].map { Float($0) / 255 })
    }

    func testRawAndGzipGiveIdenticalData() throws {
        try writeTestSplit(in: "raw")
        try writeTestSplit(gzip: true, in: "gz")
        XCTAssertEqual(try load("raw"), try load("gz"))
    }

    func testTrainSplitUsesTrainFileNames() throws {
        try write(images, "train-images-idx3-ubyte.gz", in: "train")
        try write(try Gzip.compress(labels), "train-labels-idx1-ubyte.gz", in: "train")
        let data = try IDX.load(directory: directory.appendingPathComponent("train").path, split: .train)
        XCTAssertEqual(data.labels, [7, 0, 9])
        assertDatasetError(try IDX.load(directory: directory.appendingPathComponent("train").path, split: .test)) { error in
            guard case .notFound("t10k-images-idx3-ubyte", let tried, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(tried.map { ($0 as NSString).lastPathComponent }, ["t10k-images-idx3-ubyte", "t10k-images-idx3-ubyte.gz"])
        }
    }

    func testTruncatedImagesAreCaughtBeforeAllocation() throws {
        let paths = try writeTestSplit(images: Array(images.dropLast()))
        assertDatasetError(try load()) { error in
            XCTAssertEqual(error, .sizeMismatch(file: paths.images, claim: "3×2×3", expected: 18, unit: "pixel bytes", found: 17))
            XCTAssertEqual(error.description, "\(paths.images): header says 3×2×3 = 18 pixel bytes but the file holds 17")
        }
    }

    func testTruncatedGzipImages() throws {
        let compressed = try Gzip.compress(images)
        try write(Array(compressed.dropLast(12)), "t10k-images-idx3-ubyte.gz", in: "idx")
        try write(labels, "t10k-labels-idx1-ubyte", in: "idx")
        assertDatasetError(try load()) { error in
            guard case .truncatedGzip = error else { return XCTFail("\(error)") }
        }
    }

    func testTruncatedHeader() throws {
        let paths = try writeTestSplit(images: Array(images.prefix(9)))
        assertDatasetError(try load()) { error in
            XCTAssertEqual(error, .truncated(file: paths.images, field: "IDX dimensions (3 × 4 bytes)", needed: 12, available: 5))
        }
    }

    func testExtraBytesAreReported() throws {
        for gzip in [false, true] {
            let dir = gzip ? "gz" : "raw"
            let paths = try writeTestSplit(images: images + [1, 2], gzip: gzip, in: dir)
            assertDatasetError(try load(dir)) { error in
                XCTAssertEqual(error, .sizeMismatch(file: paths.images, claim: "3×2×3", expected: 18, unit: "pixel bytes", found: 20))
            }
        }
    }

    func testWrongMagic() throws {
        var bad = images
        bad[0] = 0x12
        let paths = try writeTestSplit(images: bad)
        assertDatasetError(try load()) { error in
            XCTAssertEqual(error, .badMagic(file: paths.images, found: [0x12, 0, 8, 3], expected: [0, 0, 8, 3]))
            XCTAssertTrue(error.description.hasSuffix("magic bytes 12 00 08 03, expected 00 00 08 03"), error.description)
        }
    }

    func testWrongDtypeAndRank() throws {
        let floats = Fixtures.idx(dtype: 0x0D, dims: [3, 2, 3], payload: [UInt8](repeating: 0, count: 72))
        let paths = try writeTestSplit(images: floats)
        assertDatasetError(try load()) { error in
            XCTAssertEqual(error, .unsupported(file: paths.images, field: "dtype", found: "0x0D (float32)", expected: "0x08 (unsigned byte)"))
        }
        let rank2Labels = try writeTestSplit(labels: Fixtures.idx(dims: [3, 1], payload: [7, 0, 9]))
        assertDatasetError(try load()) { error in
            XCTAssertEqual(error, .unsupported(file: rank2Labels.labels, field: "rank", found: "2", expected: "1 (N labels)"))
        }
    }

    func testLyingDimensionsAreCheckedAgainstTheFile() throws {
        // Header claims 3 images of 2000×3000 (18 MB) in an 34-byte file: no 18 MB allocation, an error.
        let lying = Fixtures.idx(dims: [3, 2000, 3000], payload: pixels)
        for gzip in [false, true] {
            let dir = gzip ? "gz" : "raw"
            let paths = try writeTestSplit(images: lying, gzip: gzip, in: dir)
            assertDatasetError(try load(dir)) { error in
                XCTAssertEqual(error, .sizeMismatch(file: paths.images, claim: "3×2000×3000", expected: 18_000_000, unit: "pixel bytes", found: 18))
            }
        }
    }

    func testDimensionsWhoseProductOverflows() throws {
        let huge = Fixtures.idx(dims: [3, .max, .max], payload: pixels)
        let paths = try writeTestSplit(images: huge)
        assertDatasetError(try load()) { error in
            XCTAssertEqual(error, .overflow(file: paths.images, field: "dimensions", product: "3×4294967295×4294967295"))
        }
        let allHuge = Fixtures.idx(dims: [.max, .max, .max], payload: pixels)
        try writeTestSplit(images: allHuge, labels: Fixtures.idx(dims: [.max], payload: []))
        assertDatasetError(try load()) { error in
            // The labels file (read first) already disagrees with its own header.
            guard case .sizeMismatch(_, "4294967295 labels", 4_294_967_295, "label bytes", 0) = error else { return XCTFail("\(error)") }
        }
    }

    func testLabelCountMismatch() throws {
        let paths = try writeTestSplit(labels: Fixtures.idx(dims: [2], payload: [7, 0]))
        assertDatasetError(try load()) { error in
            XCTAssertEqual(error, .countMismatch(imagesFile: paths.images, images: 3, labelsFile: paths.labels, labels: 2))
        }
    }

    func testLabelOutOfRange() throws {
        let paths = try writeTestSplit(labels: Fixtures.idx(dims: [3], payload: [7, 10, 9]))
        assertDatasetError(try load()) { error in
            XCTAssertEqual(error, .labelOutOfRange(file: paths.labels, index: 1, label: 10, classCount: 10))
        }
        // The same file is fine with more classes.
        XCTAssertEqual(try IDX.load(imagesPath: paths.images, labelsPath: paths.labels, classCount: 11).labels, [7, 10, 9])
    }

    func testCorruptedGzipImages() throws {
        var compressed = try Gzip.compress(images)
        compressed[compressed.count - 6] ^= 0x01  // the stored CRC
        try write(compressed, "t10k-images-idx3-ubyte.gz", in: "idx")
        try write(labels, "t10k-labels-idx1-ubyte", in: "idx")
        assertDatasetError(try load()) { error in
            guard case .corruptGzip(_, _, "incorrect data check") = error else { return XCTFail("\(error)") }
        }
    }
}
