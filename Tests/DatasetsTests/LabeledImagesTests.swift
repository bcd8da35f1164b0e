import Datasets
import XCTest

final class LabeledImagesTests: XCTestCase {
    /// Four 1×1×2 images: image n holds (n, n + 0.5); labels 0, 1, 2, 0.
    let data = try! LabeledImages(
        images: [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5], labels: [0, 1, 2, 0], channels: 1, height: 1, width: 2, classCount: 3)

    func testShapeAndCounts() {
        XCTAssertEqual(data.shape, [4, 1, 1, 2])
        XCTAssertEqual(data.pixelsPerImage, 2)
        XCTAssertEqual(data.classCounts(), [2, 1, 1])
        XCTAssertEqual(Array(data.image(2)), [2, 2.5])
    }

    func testInitValidates() {
        XCTAssertThrowsError(try LabeledImages(images: [0, 1, 2], labels: [0, 1], channels: 1, height: 1, width: 2, classCount: 2)) {
            XCTAssertEqual($0 as? DatasetError, .invalidArgument(context: "LabeledImages", found: "3 pixels for 2 labels", expected: "2×1×1×2"))
        }
        XCTAssertThrowsError(try LabeledImages(images: [0, 1], labels: [0, 2], channels: 1, height: 1, width: 1, classCount: 2)) {
            XCTAssertEqual($0 as? DatasetError, .labelOutOfRange(file: "LabeledImages", index: 1, label: 2, classCount: 2))
        }
    }

    func testSubset() throws {
        let middle = try data.subset(offset: 1, count: 2)
        XCTAssertEqual(middle.images, [1, 1.5, 2, 2.5])
        XCTAssertEqual(middle.labels, [1, 2])
        XCTAssertEqual(middle.classCount, 3)
        XCTAssertEqual(try data.subset(offset: 4, count: 0).count, 0)
        for (offset, count) in [(3, 2), (-1, 1), (0, -1), (5, 0), (1, .max)] {
            XCTAssertThrowsError(try data.subset(offset: offset, count: count)) {
                guard case .invalidArgument("subset", "offset \(offset), count \(count)", _)? = $0 as? DatasetError else {
                    return XCTFail("\($0)")
                }
            }
        }
    }

    func testBatchGathersInOrderWithRepeats() throws {
        let batch = try data.batch(indices: [3, 0, 3])
        XCTAssertEqual(batch.images, [3, 3.5, 0, 0.5, 3, 3.5])
        XCTAssertEqual(batch.labels, [0, 0, 0])
        XCTAssertEqual(try data.batch(indices: [Int]()).count, 0)
        XCTAssertThrowsError(try data.batch(indices: [0, 4])) {
            XCTAssertEqual($0 as? DatasetError, .invalidArgument(context: "batch", found: "index 4", expected: "0..<4"))
        }
    }
}
