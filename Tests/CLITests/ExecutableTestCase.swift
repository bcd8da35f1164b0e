import Curvature
import Foundation
import TestSupport
import XCTest

/// Tests of the `curvature` executable built beside the test bundle, run in a scratch folder as
/// scripts run it (with `CURVATURE_DATA` pointing at the repository's `Data`).
class ExecutableTestCase: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    var directory: URL!

    var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("curvature")
    }

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("curvature-\(type(of: self))-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // Built with the tests; without it these tests cannot check anything, so they fail.
        _ = try XCTUnwrap(FileManager.default.fileExists(atPath: executable.path) ? executable : nil,
                          "no curvature executable at \(executable.path) (swift build --build-tests builds it)")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// Starts the executable in the scratch folder; waits for it unless `wait` is false.
    @discardableResult
    func launch(_ arguments: [String], wait: Bool = true) throws -> (process: Process, stdout: Pipe, stderr: Pipe) {
        let process = makeProcess(arguments)
        let out = Pipe(), err = Pipe()
        (process.standardOutput, process.standardError) = (out, err)
        try process.run()
        if wait { process.waitUntilExit() }
        return (process, out, err)
    }

    /// Runs the executable to the end, reading its stderr as it goes (stdout discarded).
    @discardableResult
    func status(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, stderr: String) {
        let process = makeProcess(arguments, environment: environment)
        let err = Pipe()
        (process.standardOutput, process.standardError) = (FileHandle.nullDevice, err)
        try process.run()
        let message = text(err)
        process.waitUntilExit()
        return (process.terminationStatus, message)
    }

    /// The executable in the scratch folder, with `environment` added to the test's own.
    func makeProcess(_ arguments: [String], environment extra: [String: String] = [:]) -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["CURVATURE_DATA"] = Self.repository.appendingPathComponent("Data").path
        environment.merge(extra) { $1 }
        process.environment = environment
        return process
    }

    /// `curvature plot` needs gnuplot, which the README's install line brings: without it a figure
    /// test cannot check anything, so it fails.
    func requireGnuplot() throws {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        _ = try XCTUnwrap(path.split(separator: ":").first { FileManager.default.isExecutableFile(atPath: "\($0)/gnuplot") },
                          "gnuplot is not installed (apt-get install gnuplot-nox)")
    }

    /// Runs `curvature plot …` with the test hook CURVATURE_TEST_PLOT_TABLE: its exit status,
    /// stderr, and the series the figure drew (none for images, a multiplot).
    func plotted(_ arguments: [String]) throws -> (status: Int32, stderr: String, series: [PlottedSeries]) {
        try requireGnuplot()
        let table = FileManager.default.temporaryDirectory.appendingPathComponent("curvature-plot-table-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: table) }
        let result = try status(["plot"] + arguments, environment: ["CURVATURE_TEST_PLOT_TABLE": table.path])
        return (result.status, result.stderr, PlottedSeries.read((try? String(contentsOf: table, encoding: .utf8)) ?? ""))
    }

    /// Mean densities as density.gp draws them: with --log-y the axis starts at the power of ten at
    /// or below 10⁻⁶ × `peak` (the largest mean), and a value at or below it is drawn a decade lower.
    func densityAsDrawn(_ values: [Double], logY: Bool, peak: Double) -> [Double] {
        let bottom = pow(10, (log10(1e-6 * peak)).rounded(.down))
        return values.map { logY && !($0 > bottom) ? bottom / 10 : $0 }
    }

    func text(_ pipe: Pipe) -> String { String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }

    /// A tiny smooth network (flatten, 784→8, softplus, 8→10) saved in the scratch folder: keeps
    /// debug-build runs fast; untrained, so most samples are misclassified and some are not.
    func saveTinyModel() throws -> String {
        let json = #"{"input":[1,28,28],"layers":[{"type":"flatten"},{"type":"linear","in":784,"out":8},{"type":"softplus","beta":2},{"type":"linear","in":8,"out":10}]}"#
        let model = try Sequential(try Architecture(json: Data(json.utf8)), seed: 3)
        let path = directory.appendingPathComponent("tiny.safetensors").path
        try model.save(to: URL(fileURLWithPath: path))
        return path
    }
}
