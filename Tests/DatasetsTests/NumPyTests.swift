import Datasets
import XCTest

final class NumPyTests: TemporaryDirectoryTestCase {
    let labelBytes = Fixtures.npy(descr: "<i8", shape: [2], data: Fixtures.littleEndian([Int64(3), 8]))

    func load(images: [UInt8], labels: [UInt8]? = nil) throws -> LabeledImages {
        try NumPy.load(
            imagesPath: try write(images, "images.npy"), labelsPath: try write(labels ?? labelBytes, "labels.npy"))
    }

    var imagesPath: String { directory.appendingPathComponent("images.npy").path }
    var labelsPath: String { directory.appendingPathComponent("labels.npy").path }

    func testUInt8ImagesAreScaled() throws {
        let pixels = Fixtures.pixels(count: 2, pixelsPerImage: 12)
        let data = try load(images: Fixtures.npy(descr: "|u1", shape: [2, 3, 4], data: pixels))
        XCTAssertEqual(data.shape, [2, 1, 3, 4])
        XCTAssertEqual(data.images, pixels.map { Float($0) / 255 })
        XCTAssertEqual(data.labels, [3, 8])
    }

    func testFloatImagesAreTakenAsIs() throws {
        let values: [Float] = (0 ..< 24).map { Float($0) * 0.25 - 1 }
        let f4 = try load(images: Fixtures.npy(descr: "<f4", shape: [2, 2, 3, 2], data: Fixtures.float32(values)))
        XCTAssertEqual(f4.shape, [2, 2, 3, 2])
        XCTAssertEqual(f4.images, values)
        let big = try load(images: Fixtures.npy(descr: ">f4", shape: [2, 2, 3, 2], data: Fixtures.float32(values, bigEndian: true)))
        XCTAssertEqual(big.images, values)
        let doubles = (0 ..< 2 * 784).map { Double($0) / 1568 }
        let f8 = try load(images: Fixtures.npy(descr: "<f8", shape: [2, 784], data: Fixtures.float64(doubles), major: 2))
        XCTAssertEqual(f8.shape, [2, 1, 28, 28])
        XCTAssertEqual(f8.images, doubles.map { Float($0) })
    }

    func testLabelDtypes() throws {
        let images = Fixtures.npy(descr: "|u1", shape: [2, 1, 1], data: [0, 255])
        let i4 = Fixtures.npy(descr: "<i4", shape: [2], data: Fixtures.littleEndian([Int32(9), 0]), major: 3)
        XCTAssertEqual(try load(images: images, labels: i4).labels, [9, 0])
        let u1 = Fixtures.npy(descr: "|u1", shape: [2], data: [1, 2])
        XCTAssertEqual(try load(images: images, labels: u1).labels, [1, 2])
        XCTAssertEqual(try load(images: images, labels: u1).images, [0, 1])
    }

    func testHeaderLongerThanFile() throws {
        var file = Fixtures.npy(descr: "|u1", shape: [2, 1, 1], data: [0, 255])
        file[8] = 0x00
        file[9] = 0x10  // header length 4096
        assertDatasetError(try load(images: file)) { error in
            XCTAssertEqual(error, .truncated(
                file: self.imagesPath, field: "npy header (its length field says 4096 bytes)", needed: 4096, available: file.count - 10))
        }
    }

    func testFortranOrderIsRejected() throws {
        let file = Fixtures.npy(descr: "|u1", fortranOrder: true, shape: [2, 1, 1], data: [0, 255])
        assertDatasetError(try load(images: file)) { error in
            XCTAssertEqual(error, .unsupported(file: self.imagesPath, field: "fortran_order", found: "True", expected: "False (C order)"))
        }
    }

    func testBadMagicVersionAndDtype() throws {
        var magic = Fixtures.npy(descr: "|u1", shape: [2, 1, 1], data: [0, 255])
        magic[1] = UInt8(ascii: "X")
        assertDatasetError(try load(images: magic)) { error in
            guard case .badMagic(_, [0x93, 0x58, 0x55, 0x4D, 0x50, 0x59], _) = error else { return XCTFail("\(error)") }
        }
        var version = Fixtures.npy(descr: "|u1", shape: [2, 1, 1], data: [0, 255])
        version[6] = 4
        assertDatasetError(try load(images: version)) { error in
            XCTAssertEqual(error, .unsupported(file: self.imagesPath, field: "npy version", found: "4.0", expected: "1.0, 2.0 or 3.0"))
        }
        let complex = Fixtures.npy(descr: "<c8", shape: [2, 1, 1], data: [UInt8](repeating: 0, count: 16))
        assertDatasetError(try load(images: complex)) { error in
            guard case .unsupported(_, "dtype", "'<c8'", _) = error else { return XCTFail("\(error)") }
        }
        let floatLabels = Fixtures.npy(descr: "<f4", shape: [2], data: Fixtures.float32([1, 2]))
        assertDatasetError(try load(images: complex, labels: floatLabels)) { error in
            guard case .unsupported(self.labelsPath, "dtype", "'<f4'", "int64, int32 or uint8 labels") = error else {
                return XCTFail("\(error)")
            }
        }
    }

    func testShapeChecks() throws {
        let wrongWidth = Fixtures.npy(descr: "|u1", shape: [2, 100], data: [UInt8](repeating: 0, count: 200))
        assertDatasetError(try load(images: wrongWidth)) { error in
            guard case .unsupported(_, "shape", "(2, 100)", _) = error else { return XCTFail("\(error)") }
        }
        let overflow = Fixtures.npy(descr: "|u1", shape: [2, 4_294_967_296, 4_294_967_296], data: [0, 255])
        assertDatasetError(try load(images: overflow)) { error in
            XCTAssertEqual(error, .overflow(file: self.imagesPath, field: "shape", product: "2×4294967296×4294967296"))
        }
        let itemOverflow = Fixtures.npy(descr: "<f8", shape: [2, 1 << 30, 1 << 30], data: [0, 255])
        assertDatasetError(try load(images: itemOverflow)) { error in
            guard case .overflow(_, "shape × item size", "2×1073741824×1073741824×8") = error else { return XCTFail("\(error)") }
        }
    }

    func testDataSizeIsCheckedAgainstTheFile() throws {
        // Claims 2×1000×1000 float32 (8 MB) but holds 8 bytes.
        let lying = Fixtures.npy(descr: "<f4", shape: [2, 1000, 1000], data: Fixtures.float32([0.5, 0.25]))
        assertDatasetError(try load(images: lying)) { error in
            XCTAssertEqual(error, .sizeMismatch(
                file: self.imagesPath, claim: "shape (2, 1000, 1000) of <f4", expected: 8_000_000, unit: "data bytes", found: 8))
        }
    }

    func testCountMismatchNaNAndLabelRange() throws {
        let three = Fixtures.npy(descr: "|u1", shape: [3, 1, 1], data: [0, 1, 2])
        assertDatasetError(try load(images: three)) { error in
            XCTAssertEqual(error, .countMismatch(imagesFile: self.imagesPath, images: 3, labelsFile: self.labelsPath, labels: 2))
        }
        let nan = Fixtures.npy(descr: "<f4", shape: [2, 1, 1], data: Fixtures.float32([0.5, .nan]))
        assertDatasetError(try load(images: nan)) { error in
            XCTAssertEqual(error, .badValue(file: self.imagesPath, location: "element 1", found: "nan", expected: "a finite pixel"))
        }
        let images = Fixtures.npy(descr: "|u1", shape: [2, 1, 1], data: [0, 255])
        let negative = Fixtures.npy(descr: "<i8", shape: [2], data: Fixtures.littleEndian([Int64(1), -1]))
        assertDatasetError(try load(images: images, labels: negative)) { error in
            XCTAssertEqual(error, .labelOutOfRange(file: self.labelsPath, index: 1, label: -1, classCount: 10))
        }
    }

    func testMalformedHeaderDictionary() throws {
        let missingShape = Fixtures.npy(dictionary: "{'descr': '|u1', 'fortran_order': False}", data: [0, 255])
        assertDatasetError(try load(images: missingShape)) { error in
            guard case .malformedHeader(_, "'shape' is missing or not a tuple of integers") = error else { return XCTFail("\(error)") }
        }
        let unterminated = Fixtures.npy(dictionary: "{'descr': '|u1, 'fortran_order': False, 'shape': (2,)", data: [0, 255])
        assertDatasetError(try load(images: unterminated)) { error in
            guard case .malformedHeader = error else { return XCTFail("\(error)") }
        }
    }

    func testHeaderParsing() throws {
        let path = try write(Fixtures.npy(descr: "<f8", shape: [5], data: [UInt8](repeating: 0, count: 40), major: 2), "h.npy")
        let header = try NumPyHeader.read(atPath: path)
        XCTAssertEqual(header.majorVersion, 2)
        XCTAssertEqual(header.descr, "<f8")
        XCTAssertFalse(header.fortranOrder)
        XCTAssertEqual(header.shape, [5])
        XCTAssertEqual(header.shapeDescription, "(5,)")
        XCTAssertEqual(header.dataOffset, 128)
    }
}
