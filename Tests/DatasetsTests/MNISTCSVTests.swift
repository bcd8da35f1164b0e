import Datasets
import XCTest

final class MNISTCSVTests: TemporaryDirectoryTestCase {
    /// Ten 2×2 images: row i holds pixels i, 10+i, 20+i, 250 and label i % 3.
    let rows = (0 ..< 10).map { "\($0),\(10 + $0),\(20 + $0),250,\($0 % 3)" }
    var csv: [UInt8] { Array((rows.joined(separator: "\n") + "\n").utf8) }

    func load(_ bytes: [UInt8], split: Split?, name: String = "small.csv") throws -> LabeledImages {
        try MNISTCSV.load(atPath: try write(bytes, name), split: split, height: 2, width: 2, classCount: 3)
    }

    var path: String { directory.appendingPathComponent("small.csv").path }

    func testEveryFifthRowIsATestRow() throws {
        let test = try load(csv, split: .test)
        XCTAssertEqual(test.shape, [2, 1, 2, 2])
        XCTAssertEqual(test.labels, [1, 0])  // rows 4 and 9
        XCTAssertEqual(test.images, [4, 14, 24, 250, 9, 19, 29, 250].map { Float($0) / 255 })
        let train = try load(csv, split: .train)
        XCTAssertEqual(train.count, 8)
        XCTAssertEqual(train.labels, [0, 1, 2, 0, 2, 0, 1, 2])  // rows 0–3, 5–8
        XCTAssertEqual(try load(csv, split: nil).count, 10)
    }

    func testRawGzipCRLFAndMissingFinalNewlineAgree() throws {
        let raw = try load(csv, split: nil)
        XCTAssertEqual(try load(try Gzip.compress(csv), split: nil, name: "small.csv.gz"), raw)
        XCTAssertEqual(try load(Array(rows.joined(separator: "\r\n").utf8), split: nil, name: "crlf.csv"), raw)
    }

    func testWrongFieldCounts() throws {
        var short = rows
        short[2] = "1,2,3,4"
        assertDatasetError(try load(Array(short.joined(separator: "\n").utf8), split: .test)) { error in
            XCTAssertEqual(error, .fieldCount(file: self.path, row: 3, found: 4, expected: 5))
            XCTAssertEqual(error.description, "\(self.path): row 3 has 4 fields, expected 5")
        }
        var long = rows
        long[6] += ",7,8"
        assertDatasetError(try load(Array(long.joined(separator: "\n").utf8), split: .train)) { error in
            XCTAssertEqual(error, .fieldCount(file: self.path, row: 7, found: 7, expected: 5))
        }
        assertDatasetError(try load(csv + Array("\n".utf8), split: nil)) { error in
            XCTAssertEqual(error, .fieldCount(file: self.path, row: 11, found: 0, expected: 5))
        }
    }

    func testValuesOutOfRangeNameRowAndColumn() throws {
        for (text, column, found, expected) in [
            ("1,2,256,4,0", 3, "256", "a pixel 0–255"), ("1,2,3,4,3", 5, "3", "a label 0–2"),
            ("1,x,3,4,0", 2, "x", "a pixel 0–255"), ("1,2,,4,0", 3, "", "a pixel 0–255"),
            ("1,-2,3,4,0", 2, "-2", "a pixel 0–255"), ("1, 2,3,4,0", 2, " 2", "a pixel 0–255"),
        ] {
            var bad = rows
            bad[7] = text
            assertDatasetError(try load(Array(bad.joined(separator: "\n").utf8), split: .test)) { error in
                XCTAssertEqual(error, .badField(file: self.path, row: 8, column: column, found: found, expected: expected))
            }
        }
    }

    func testCallersRowBoundLimitsTheDecompressedSize() throws {
        let gz = try write(try Gzip.compress(csv), "small.csv.gz")
        assertDatasetError(try MNISTCSV.load(atPath: gz, split: nil, height: 2, width: 2, classCount: 3, maxRows: 2)) { error in
            guard case .tooLarge(gz, "decompressed data", _) = error else { return XCTFail("\(error)") }
        }
    }

    /// The shipped 5k file: 4,000 training rows, 1,000 test rows with 100 per class.
    func testShippedMNIST5kSplits() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Data/mnist_5k.csv.gz").path
        let test = try MNISTCSV.load(atPath: path, split: .test)
        XCTAssertEqual(test.shape, [1000, 1, 28, 28])
        XCTAssertEqual(test.classCounts(), [Int](repeating: 100, count: 10))
        XCTAssertEqual(test.images.min(), 0)
        XCTAssertEqual(test.images.max(), 1)
        XCTAssertEqual(test.image(0).reduce(0, +), 45543 / 255, accuracy: 1e-3)  // row 4 of the file
        let train = try MNISTCSV.load(atPath: path, split: .train)
        XCTAssertEqual(train.count, 4000)
        XCTAssertEqual(train.classCounts(), [Int](repeating: 400, count: 10))
        XCTAssertEqual(train.image(0).reduce(0, +), 31095 / 255, accuracy: 1e-3)  // row 0
    }
}
