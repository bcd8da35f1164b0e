import Datasets
import XCTest

/// Inputs that the libFuzzer harnesses in `Tests/Fuzz` found, kept as unit tests
/// (the same inputs are in `Tests/Fuzz/Corpus/<parser>/regress-*`).
final class FuzzRegressionTests: TemporaryDirectoryTestCase {
    /// `count` 2×2 rows: row i holds pixels i, i, i, i and label i % 3.
    private func csv(rows count: Int) -> [UInt8] {
        Array((0 ..< count).map { "\($0),\($0),\($0),\($0),\($0 % 3)\n" }.joined().utf8)
    }

    /// A file of 4 rows has no test row (row 4 would be the first), yet the split counted one: the
    /// training split then wrote a fourth image past the end of a buffer sized for three.
    func testCSVSplitsOfRowCountsOneShortOfAMultipleOfFive() throws {
        for count in [4, 9, 14] {
            let path = try write(csv(rows: count), "rows\(count).csv")
            let test = try MNISTCSV.load(atPath: path, split: .test, height: 2, width: 2, classCount: 3)
            let train = try MNISTCSV.load(atPath: path, split: .train, height: 2, width: 2, classCount: 3)
            XCTAssertEqual(test.count, count / 5, "\(count) rows")
            XCTAssertEqual(test.images.count, test.count * 4, "\(count) rows")
            XCTAssertEqual(train.count, count - count / 5, "\(count) rows")
            XCTAssertEqual(train.images.count, train.count * 4, "\(count) rows")
            XCTAssertEqual(train.labels, (0 ..< count).filter { $0 % 5 != 4 }.map { Int32($0 % 3) })
            XCTAssertEqual(train.images, (0 ..< count).filter { $0 % 5 != 4 }.flatMap { [Float](repeating: Float($0) / 255, count: 4) })
        }
    }

    /// Header text quoted in an error message is escaped, so the message stays on one line.
    func testNumPyHeaderTextInMessagesIsEscaped() throws {
        let key = try write(Fixtures.npy(
            dictionary: "{'descr': '|u1', 'fortran_order': False, 'shape': (1,), 'x\ny\u{7}': True}", data: [0]), "key.npy")
        assertDatasetError(try NumPyHeader.read(atPath: key)) { error in
            XCTAssertEqual(error, .malformedHeader(file: key, reason: #"unexpected key 'x\ny\u{07}'"#))
        }
        let duplicate = try write(Fixtures.npy(
            dictionary: "{'a\r': True, 'a\r': False}", data: [0]), "duplicate.npy")
        assertDatasetError(try NumPyHeader.read(atPath: duplicate)) { error in
            guard case .malformedHeader(_, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.hasPrefix(#"duplicate key 'a\r'"#), reason)
        }
        let labels = try write(Fixtures.npy(descr: "|u1", shape: [1], data: [0]), "labels.npy")
        let descr = try write(Fixtures.npy(descr: "<f\n4", shape: [1, 1, 1], data: [0, 0, 0, 0]), "descr.npy")
        assertDatasetError(try NumPy.load(imagesPath: descr, labelsPath: labels)) { error in
            XCTAssertEqual(error, .unsupported(file: descr, field: "dtype", found: #"'<f\n4'"#, expected: "uint8, float32 or float64 images"))
        }
        let long = try write(Fixtures.npy(descr: String(repeating: "é", count: 100), shape: [1], data: [0]), "long.npy")
        assertDatasetError(try NumPy.readLabels(atPath: long, classCount: 2)) { error in
            XCTAssertTrue(error.description.contains(#"'\u{00E9}"#) && error.description.contains("…'"), error.description)
        }
    }
}
