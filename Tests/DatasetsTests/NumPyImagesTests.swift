import Datasets
import Foundation
import XCTest

final class NumPyImagesTests: TemporaryDirectoryTestCase {
    let labels = Fixtures.npy(descr: "<i8", shape: [3], data: Fixtures.littleEndian([Int64(6), 9, 0]))

    func testEveryLayoutAndDtypeGivesTheCIFARTensor() throws {
        let cifar = try CIFAR10.readBatch(atPath: try write(ColourFixtures.cifar(labels: [6, 9, 0]), "test_batch.bin"))
        let first = ColourFixtures.channelsFirst(count: 3), last = ColourFixtures.channelsLast(count: 3)
        let files: [(String, [UInt8])] = [
            ("nchw-u1", Fixtures.npy(descr: "|u1", shape: [3, 3, 32, 32], data: first)),
            ("nhwc-u1", Fixtures.npy(descr: "|u1", shape: [3, 32, 32, 3], data: last)),
            ("nchw-f4", Fixtures.npy(descr: "<f4", shape: [3, 3, 32, 32], data: Fixtures.float32(first.map { Float($0) / 255 }))),
            ("nhwc-f4-big-endian", Fixtures.npy(descr: ">f4", shape: [3, 32, 32, 3], data: Fixtures.float32(last.map { Float($0) / 255 }, bigEndian: true))),
            ("nhwc-f8", Fixtures.npy(descr: "<f8", shape: [3, 32, 32, 3], data: Fixtures.float64(last.map { Double($0) / 255 }))),
        ]
        for (name, bytes) in files {
            let loaded = try NumPyImages.load(imagesPath: try write(bytes, "\(name).npy"), labelsPath: try write(labels, "labels.npy"))
            XCTAssertEqual(loaded.images, cifar, name)
            XCTAssertEqual(loaded.notes, [], name)
        }
    }

    func testFolderOfFourFilesAndThePair() throws {
        let folder = directory.appendingPathComponent("npy").path
        let grey = Fixtures.npy(descr: "|u1", shape: [2, 2, 3], data: [0, 51, 102, 153, 204, 255, 255, 0, 0, 0, 0, 51])
        let trainImages = try write(grey, "train_images.npy", in: "npy")
        let trainLabels = try write(Fixtures.npy(descr: "|u1", shape: [2], data: [4, 1]), "train_labels.npy", in: "npy")
        try write(Fixtures.npy(descr: "|u1", shape: [3, 3, 32, 32], data: ColourFixtures.channelsFirst(count: 3)), "test_images.npy", in: "npy")
        try write(try Gzip.compress(labels), "test_labels.npy.gz", in: "npy")
        let source = try DataSource(folder)
        XCTAssertEqual(source, .numpyFolder(folder))
        let train = try loadDataset(source, split: .train).images
        XCTAssertEqual(train.shape, [2, 1, 2, 3])
        XCTAssertEqual(train.images, [0, 0.2, 0.4, 0.6, 0.8, 1, 1, 0, 0, 0, 0, 0.2])
        XCTAssertEqual(train.labels, [4, 1])
        XCTAssertEqual(train.classCount, 5, "largest label + 1")
        let test = try loadDataset(source, split: .test).images
        XCTAssertEqual(test.shape, [3, 3, 32, 32])
        XCTAssertEqual(test.classCount, 10)
        XCTAssertEqual(try datasetFiles(source, split: .train), [trainImages, trainLabels])
        XCTAssertEqual(try datasetFiles(source, split: .test), [folder + "/test_images.npy", folder + "/test_labels.npy.gz"])

        let pair = try DataSource(trainImages, labels: trainLabels)
        XCTAssertEqual(pair, .numpyPair(images: trainImages, labels: trainLabels))
        XCTAssertEqual(try loadDataset(pair, split: .test).images, train, "a pair is the whole set whatever the split")
        XCTAssertEqual(try datasetFiles(pair, split: .test), [trainImages, trainLabels])
    }

    func testLayoutDecisions() throws {
        func layout(_ shape: [Int]) throws -> (Bool, Int, Int, Int) {
            let layout = try NumPyImages.layout(of: shape, file: "x.npy")
            return (layout.channelsLast, layout.channels, layout.height, layout.width)
        }
        XCTAssert(try layout([5, 3, 32, 32]) == (false, 3, 32, 32))
        XCTAssert(try layout([5, 32, 32, 3]) == (true, 3, 32, 32))
        XCTAssert(try layout([5, 1, 28, 20]) == (false, 1, 28, 20), "one plausible place decides, square or not")
        XCTAssert(try layout([5, 28, 28]) == (false, 1, 28, 28))
        XCTAssert(try layout([5, 4, 16, 16]) == (false, 4, 16, 16), "neither place 1 or 3: only the first reading is square")
        XCTAssertNil(try NumPyImages.layout(of: [5, 3, 32, 32], file: "x.npy").note)
        for shape in [[5, 3, 32, 3], [5, 3, 3, 3], [5, 4, 16, 8], [5, 784], [5, 0, 2, 2], [5, 1, 2, 3, 4]] {
            assertDatasetError(try NumPyImages.layout(of: shape, file: "x.npy")) { error in
                guard case .unsupported("x.npy", "shape", _, _) = error else { return XCTFail("\(shape): \(error)") }
            }
        }
        assertDatasetError(try NumPyImages.layout(of: [5, 3, 32, 3], file: "x.npy")) {
            XCTAssert($0.description.hasPrefix("x.npy: shape is (5, 3, 32, 3), expected an unambiguous image layout"), $0.description)
        }
    }

    func testAShapeInDoubtLoadsWithANote() throws {
        // (2, 3, 3, 1): 3 channels of 3×1 or 1 channel of 3×3; only the second is square.
        let path = try write(Fixtures.npy(descr: "|u1", shape: [2, 3, 3, 1], data: Array(0 ..< 18)), "doubt.npy")
        let loaded = try NumPyImages.load(imagesPath: path, labelsPath: try write(Fixtures.npy(descr: "|u1", shape: [2], data: [0, 1]), "l.npy"))
        XCTAssertEqual(loaded.images.shape, [2, 1, 3, 3])
        XCTAssertEqual(loaded.images.images, (0 ..< 18).map { Float($0) / 255 })
        XCTAssertEqual(loaded.notes, [
            "\(path): shape (2, 3, 3, 1) could be (N, C, H, W) or (N, H, W, C); assumed (N, H, W, C), the only one giving square images (1 channel of 3×3)",
        ])
        let nchw = try NumPyImages.layout(of: [2, 1, 3, 3], file: "y.npy")
        XCTAssertEqual(nchw.note, "y.npy: shape (2, 1, 3, 3) could be (N, C, H, W) or (N, H, W, C); assumed (N, C, H, W), the only one giving square images (1 channel of 3×3)")
    }

    func testFloatsOutsideTheUnitIntervalAreRefusedByFlatIndex() throws {
        let labelsPath = try write(Fixtures.npy(descr: "|u1", shape: [2], data: [0, 1]), "l.npy")
        var values = [Float](repeating: 0.5, count: 2 * 2 * 2 * 3)
        values[13] = 1.5
        let f4 = try write(Fixtures.npy(descr: "<f4", shape: [2, 2, 2, 3], data: Fixtures.float32(values)), "f4.npy")
        assertDatasetError(try NumPyImages.load(imagesPath: f4, labelsPath: labelsPath)) {
            XCTAssertEqual($0, .badValue(file: f4, location: "pixel at flat index 13", found: "1.5", expected: "a value in [0, 1]"))
            XCTAssertEqual($0.description, "\(f4): pixel at flat index 13 is 1.5, expected a value in [0, 1]")
        }
        // float64 is checked before rounding to float32, which would turn 1 + 1e-12 into 1.
        let f8 = try write(Fixtures.npy(descr: "<f8", shape: [2, 1, 2], data: Fixtures.float64([0, 1, 1 + 1e-12, 0])), "f8.npy")
        assertDatasetError(try NumPyImages.load(imagesPath: f8, labelsPath: labelsPath)) {
            XCTAssertEqual($0, .badValue(file: f8, location: "pixel at flat index 2", found: "1.000000000001", expected: "a value in [0, 1]"))
        }
        let nan = try write(Fixtures.npy(descr: "<f4", shape: [2, 1, 1], data: Fixtures.float32([0, .nan])), "nan.npy")
        assertDatasetError(try NumPyImages.load(imagesPath: nan, labelsPath: labelsPath)) {
            XCTAssertEqual($0, .badValue(file: nan, location: "pixel at flat index 1", found: "nan", expected: "a value in [0, 1]"))
        }
    }

    func testBadLabels() throws {
        let images = try write(Fixtures.npy(descr: "|u1", shape: [3, 1, 1], data: [0, 1, 2]), "i.npy")
        let negative = try write(Fixtures.npy(descr: "<i4", shape: [3], data: Fixtures.littleEndian([Int32(2), -3, 0])), "neg.npy")
        assertDatasetError(try NumPyImages.load(imagesPath: images, labelsPath: negative)) {
            XCTAssertEqual($0, .labelOutOfRange(file: negative, index: 1, label: -3, classCount: 65536))
            XCTAssertEqual($0.description, "\(negative): label -3 at index 1 is out of range, expected 0..<65536")
        }
        let huge = try write(Fixtures.npy(descr: "<u8", shape: [3], data: Fixtures.littleEndian([UInt64(0), 1, .max])), "huge.npy")
        assertDatasetError(try NumPyImages.load(imagesPath: images, labelsPath: huge)) {
            XCTAssertEqual($0, .badValue(file: huge, location: "label at index 2", found: "18446744073709551615", expected: "0..<65536"))
        }
        let short = try write(Fixtures.npy(descr: "<i2", shape: [2], data: Fixtures.littleEndian([Int16(0), 1])), "short.npy")
        assertDatasetError(try NumPyImages.load(imagesPath: images, labelsPath: short)) {
            XCTAssertEqual($0, .countMismatch(imagesFile: images, images: 3, labelsFile: short, labels: 2))
        }
        let floats = try write(Fixtures.npy(descr: "<f4", shape: [3], data: Fixtures.float32([0, 1, 2])), "float.npy")
        assertDatasetError(try NumPyImages.load(imagesPath: images, labelsPath: floats)) {
            XCTAssertEqual($0, .unsupported(file: floats, field: "dtype", found: "'<f4'", expected: "integer labels (int8 … uint64)"))
        }
        let i2 = try write(Fixtures.npy(descr: ">i2", shape: [3], data: [0, 2, 0, 0, 1, 0]), "i2.npy")
        XCTAssertEqual(try NumPyImages.readLabels(atPath: i2).labels, [2, 0, 256])
        XCTAssertEqual(try NumPyImages.readLabels(atPath: i2).classCount, 257)
    }

    func testSourcesThatNeedOrRefuseLabels() throws {
        assertDatasetError(try DataSource("x.npy")) {
            XCTAssertEqual($0, .invalidArgument(context: "data x.npy", found: "no labels file", expected: "its labels .npy"))
        }
        assertDatasetError(try DataSource("mnist5k", labels: "y.npy")) {
            XCTAssertEqual($0, .invalidArgument(context: "labels y.npy", found: "data 'mnist5k'", expected: "an images .npy file to pair them with"))
        }
        try write([0], "train-images-idx3-ubyte", in: "mixed")
        try write([0], "test_batch.bin", in: "mixed")
        let mixed = directory.appendingPathComponent("mixed").path
        assertDatasetError(try DataSource(mixed)) {
            XCTAssertEqual($0, .unsupported(file: mixed, field: "contents", found: "MNIST-named IDX files and CIFAR-10 batches",
                                            expected: "one kind of data set per folder"))
        }
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("bare"), withIntermediateDirectories: true)
        assertDatasetError(try DataSource(directory.appendingPathComponent("bare").path)) { error in
            guard case .notFound(let what, _, let hint) = error else { return XCTFail("\(error)") }
            XCTAssert(what.hasPrefix("data in '") && hint.contains("test_batch.bin") && hint.contains("test_images.npy"), "\(error)")
        }
    }
}
