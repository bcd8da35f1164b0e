import Datasets
import Foundation
import XCTest

final class CIFAR10Tests: TemporaryDirectoryTestCase {
    let labels: [UInt8] = [6, 9, 0]

    func testBatchFileIsReadAsChannelsFirstPixels() throws {
        let path = try write(ColourFixtures.cifar(labels: labels), "test_batch.bin")
        let data = try CIFAR10.readBatch(atPath: path)
        XCTAssertEqual(data.shape, [3, 3, 32, 32])
        XCTAssertEqual(data.labels, [6, 9, 0])
        XCTAssertEqual(data.classCount, 10)
        XCTAssertEqual(data.images, ColourFixtures.channelsFirst(count: 3).map { Float($0) / 255 })
        // Image 1, green (channel 1), row 2, column 5: (1·50 + 1·7 + 2·3 + 5) / 255.
        XCTAssertEqual(data.images[1 * 3072 + 1 * 1024 + 2 * 32 + 5], Float(68) / 255)
    }

    func testTrainSplitConcatenatesTheFiveBatchesInOrder() throws {
        for batch in 1 ... 5 {
            try write(ColourFixtures.cifar(labels: [UInt8(batch)], firstImage: batch - 1), "data_batch_\(batch).bin", in: "cifar")
        }
        let folder = directory.appendingPathComponent("cifar").path
        let source = try DataSource(folder)
        XCTAssertEqual(source, .cifarFolder(folder))
        let train = try loadDataset(source, split: .train)
        XCTAssertEqual(train.images.labels, [1, 2, 3, 4, 5])
        XCTAssertEqual(train.images.images, ColourFixtures.channelsFirst(count: 5).map { Float($0) / 255 })
        XCTAssertEqual(train.notes, [])
        XCTAssertEqual(try datasetFiles(source, split: .train), (1 ... 5).map { "\(folder)/data_batch_\($0).bin" })
        assertDatasetError(try loadDataset(source, split: .test)) { error in
            XCTAssertEqual(error, .notFound(
                what: "test_batch.bin", tried: ["\(folder)/test_batch.bin"], hint: "the CIFAR-10 test split needs test_batch.bin"))
        }
    }

    func testBatchesInTheArchivesSubfolderAreFound() throws {
        let path = try write(ColourFixtures.cifar(labels: labels), "test_batch.bin", in: "unpacked/cifar-10-batches-bin")
        let folder = directory.appendingPathComponent("unpacked").path
        XCTAssertEqual(try DataSource(folder), .cifarFolder(folder + "/cifar-10-batches-bin"))
        XCTAssertEqual(try loadDataset(folder, split: .test).labels, [6, 9, 0])
        XCTAssertEqual(try datasetFiles(folder, split: .test), [path])
    }

    func testCIFAR10ByNameIsLookedUpInTheDataDirectory() throws {
        try write(ColourFixtures.cifar(labels: labels), "test_batch.bin", in: "data/cifar-10-batches-bin")
        let data = directory.appendingPathComponent("data").path
        setenv(DataDirectory.environmentVariable, data, 1)
        defer { unsetenv(DataDirectory.environmentVariable) }
        XCTAssertEqual(try DataSource("cifar10"), .cifar10)
        XCTAssertEqual(try loadDataset(.cifar10, split: .test).images.labels, [6, 9, 0])
        XCTAssertEqual(try datasetFiles("cifar10", split: .test), ["\(data)/cifar-10-batches-bin/test_batch.bin"])
    }

    func testMissingCIFAR10SaysWhereToPutIt() throws {
        let empty = directory.appendingPathComponent("empty").path
        assertDatasetError(try CIFAR10.locate(environment: ["CURVATURE_DATA": empty], currentDirectory: "/nonexistent", executablePath: nil)) {
            XCTAssertEqual($0.description, "CIFAR-10: not found (looked for \(empty)/cifar-10-batches-bin, /nonexistent/Data/cifar-10-batches-bin);"
                + " download cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html and unpack it into \(empty)"
                + " (`tar xzf cifar-10-binary.tar.gz -C \(empty)` makes \(empty)/cifar-10-batches-bin),"
                + " or set CURVATURE_DATA to a folder that holds cifar-10-batches-bin")
        }
    }

    func testTruncatedBatchIsRefusedNamingTheFile() throws {
        let path = try write(Array(ColourFixtures.cifar(labels: labels).dropLast(10)), "test_batch.bin", in: "cut")
        assertDatasetError(try loadDataset(directory.appendingPathComponent("cut").path, split: .test)) { error in
            XCTAssertEqual(error, .unsupported(
                file: path, field: "size", found: "9209 bytes",
                expected: "a positive multiple of 3073 (1 label byte + 3×32×32 pixel bytes per record)"))
        }
        let empty = try write([], "empty.bin")
        assertDatasetError(try CIFAR10.readBatch(atPath: empty)) { error in
            guard case .unsupported(empty, "size", "0 bytes", _) = error else { return XCTFail("\(error)") }
        }
    }

    func testLabelOutsideTheTenClassesIsRefused() throws {
        let path = try write(ColourFixtures.cifar(labels: [1, 10]), "test_batch.bin")
        assertDatasetError(try CIFAR10.readBatch(atPath: path)) {
            XCTAssertEqual($0, .labelOutOfRange(file: path, index: 1, label: 10, classCount: 10))
            XCTAssertEqual($0.description, "\(path): label 10 at index 1 is out of range, expected 0..<10")
        }
    }

    func testGzippedBatchIsInflated() throws {
        let path = try write(try Gzip.compress(ColourFixtures.cifar(labels: labels)), "test_batch.bin")
        XCTAssertEqual(try CIFAR10.readBatch(atPath: path), try CIFAR10.readBatch(atPath: try write(ColourFixtures.cifar(labels: labels), "raw.bin")))
    }
}
