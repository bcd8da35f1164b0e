import Datasets
import Foundation
import XCTest

final class NamedDatasetsTests: TemporaryDirectoryTestCase {
    static let packageData = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Data").path

    /// The Fashion-MNIST test split from the Debian package (the README's install line brings it;
    /// without it the demo cannot run, so its absence fails).
    func testFashionMNISTTestSplit() throws {
        XCTAssertTrue(FileManager.default.fileExists(atPath: DatasetName.fashionMNISTDirectory),
                      "needs the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist)")
        let data = try loadDataset(DatasetName.fashionMNIST, split: .test)
        XCTAssertEqual(data.shape, [10_000, 1, 28, 28])
        XCTAssertEqual(data.classCounts(), [Int](repeating: 1000, count: 10))
        XCTAssertEqual(Array(data.labels.prefix(10)), [9, 2, 1, 1, 6, 1, 4, 6, 5, 7])  // ankle boot, pullover, trouser…
        XCTAssertEqual(data.images.min(), 0)
        XCTAssertEqual(data.images.max(), 1)
        XCTAssertEqual(data.image(0).reduce(0, +), 33456 / 255, accuracy: 1e-3)
    }

    func testMNIST5kIsFoundThroughTheEnvironment() throws {
        setenv(DataDirectory.environmentVariable, Self.packageData, 1)
        defer { unsetenv(DataDirectory.environmentVariable) }
        let test = try loadDataset(DatasetName.mnist5k, split: .test)
        XCTAssertEqual(test.count, 1000)
        XCTAssertEqual(Array(test.labels.prefix(3)), [0, 0, 0])  // the file is sorted by class
        XCTAssertEqual(test.labels.last, 9)
    }

    func testAnyOtherNameIsAnIDXDirectory() throws {
        try write(Fixtures.idx(dims: [2, 1, 2], payload: [0, 51, 102, 255]), "t10k-images-idx3-ubyte", in: "mine")
        try write(try Gzip.compress(Fixtures.idx(dims: [2], payload: [4, 2])), "t10k-labels-idx1-ubyte.gz", in: "mine")
        let data = try loadDataset(directory.appendingPathComponent("mine").path, split: .test)
        XCTAssertEqual(data.images, [0, 0.2, 0.4, 1])
        XCTAssertEqual(data.labels, [4, 2])
        assertDatasetError(try loadDataset("no-such-dataset", split: .train)) { error in
            guard case .notFound("data set 'no-such-dataset'", ["no-such-dataset"], _) = error else { return XCTFail("\(error)") }
        }
    }

    func testSearchOrder() {
        let candidates = DataDirectory.candidates(
            environment: ["CURVATURE_DATA": "/data"], currentDirectory: "/srv/study",
            executablePath: "/pkg/.build/x86_64-unknown-linux-gnu/release/curvature")
        XCTAssertEqual(candidates, [
            "/data", "/srv/study/Data", "/pkg/Data", "/pkg/.build/Data", "/pkg/.build/x86_64-unknown-linux-gnu/share/curvature",
        ])
        let installed = DataDirectory.candidates(environment: [:], currentDirectory: "/home/me", executablePath: "/usr/local/bin/curvature")
        XCTAssertEqual(installed, ["/home/me/Data", "/Data", "/usr/Data", "/usr/local/share/curvature"])
    }

    func testLocateTakesTheFirstDirectoryHoldingTheFile() throws {
        let second = try write([1], "x.csv", in: "share/curvature")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("bin"), withIntermediateDirectories: true)
        let executable = directory.appendingPathComponent("bin/curvature").path
        XCTAssertEqual(
            try DataDirectory.locate("x.csv", environment: [:], currentDirectory: "/nonexistent", executablePath: executable),
            second)
        let first = try write([2], "x.csv", in: "env")
        let environment = ["CURVATURE_DATA": directory.appendingPathComponent("env").path]
        XCTAssertEqual(
            try DataDirectory.locate("x.csv", environment: environment, currentDirectory: "/nonexistent", executablePath: executable),
            first)
        assertDatasetError(try DataDirectory.locate("y.csv", environment: [:], currentDirectory: "/nonexistent", executablePath: nil)) {
            XCTAssertEqual($0, .notFound(what: "y.csv", tried: ["/nonexistent/Data/y.csv"], hint: "set CURVATURE_DATA to the directory that holds it"))
        }
    }
}
