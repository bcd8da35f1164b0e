import Curvature
import Foundation
import XCTest

/// The `curvature` executable as scripts use it: exit codes, sharding, interruption and resume.
final class CLITests: XCTestCase {
    private static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    private var directory: URL!
    private var modelPath: String!

    private var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("curvature")
    }

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("curvature-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // A tiny smooth network keeps the debug-build runs fast.
        let json = #"{"input":[1,28,28],"layers":[{"type":"flatten"},{"type":"linear","in":784,"out":8},{"type":"softplus","beta":2},{"type":"linear","in":8,"out":10}]}"#
        let model = try Sequential(try Architecture(json: Data(json.utf8)), seed: 3)
        modelPath = directory.appendingPathComponent("tiny.safetensors").path
        try model.save(to: URL(fileURLWithPath: modelPath))
        if !FileManager.default.fileExists(atPath: executable.path) { throw XCTSkip("no curvature executable at \(executable.path)") }
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    @discardableResult
    private func run(_ arguments: [String], wait: Bool = true) throws -> (process: Process, stdout: Pipe, stderr: Pipe) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["CURVATURE_DATA"] = Self.repository.appendingPathComponent("Data").path
        process.environment = environment
        let out = Pipe(), err = Pipe()
        (process.standardOutput, process.standardError) = (out, err)
        try process.run()
        if wait { process.waitUntilExit() }
        return (process, out, err)
    }

    private func text(_ pipe: Pipe) -> String { String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }

    private func spectrumArguments(_ out: String, samples: Int = 40, extra: [String] = []) -> [String] {
        ["spectrum", "--model", modelPath, "--data", "mnist5k", "--split", "test", "--samples", "\(samples)",
         "--method", "lanczos", "--k", "3", "--steps", "6", "--batch-size", "4", "--threads", "1", "--out", out] + extra
    }

    func testShardsMergeIntoTheUnshardedFileByteForByte() throws {
        try run(spectrumArguments("full.csv"))
        for i in 1...3 { try run(spectrumArguments("part\(i).csv", extra: ["--shard", "\(i)/3"])) }
        let merge = try run(["merge", "part3.csv", "part1.csv", "part2.csv", "--out", "merged.csv"])
        XCTAssertEqual(merge.process.terminationStatus, 0, text(merge.stderr))
        let full = try Data(contentsOf: directory.appendingPathComponent("full.csv"))
        XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent("merged.csv")), full)
        let lines = String(decoding: full, as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(lines.first, "sample,label,predicted,rank,eigenvalue,residual")
        XCTAssertEqual(lines.count, 1 + 40 * 3)
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("full.csv.meta.json"))) as? [String: Any]
        XCTAssertEqual((meta?["model_sha256"] as? String)?.count, 64)
        XCTAssertNotNil(meta?["wall_seconds"])
    }

    func testInterruptedRunKeepsCompleteRowsAndResumesToTheSameFile() throws {
        let samples = 1000
        try run(spectrumArguments("reference.csv", samples: samples))
        let started = try run(spectrumArguments("interrupted.csv", samples: samples), wait: false)
        let partial = directory.appendingPathComponent("interrupted.csv.partial")
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, ((try? String(contentsOf: partial, encoding: .utf8))?.split(separator: "\n").count ?? 0) < 40 {
            usleep(10_000)
        }
        kill(started.process.processIdentifier, SIGINT)
        started.process.waitUntilExit()
        let message = text(started.stderr)
        if started.process.terminationStatus == 0 { throw XCTSkip("the run finished before it could be interrupted") }
        XCTAssertEqual(started.process.terminationStatus, 130, message)
        XCTAssertTrue(message.contains("--resume"), message)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("interrupted.csv").path))
        let kept = try String(contentsOf: partial, encoding: .utf8)
        XCTAssertTrue(kept.hasSuffix("\n"))
        let rows = kept.split(separator: "\n").dropFirst()
        XCTAssertTrue(rows.allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false).count == 6 })
        XCTAssertEqual(rows.count % 12, 0, "whole batches only (4 samples × 3 eigenvalues)")
        XCTAssertLessThan(rows.count, samples * 3)

        let resumed = try run(spectrumArguments("interrupted.csv", samples: samples, extra: ["--resume"]))
        XCTAssertEqual(resumed.process.terminationStatus, 0, text(resumed.stderr))
        XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent("interrupted.csv")),
                       try Data(contentsOf: directory.appendingPathComponent("reference.csv")))
    }

    func testMisuseIsAUsageErrorBeforeAnyWork() throws {
        let tooMany = try run(spectrumArguments("x.csv", extra: ["--k", "50"]))
        XCTAssertEqual(tooMany.process.terminationStatus, 2)
        XCTAssertTrue(text(tooMany.stderr).contains("raise --steps"))
        let beyond = try run(["spectrum", "--model", modelPath, "--data", "mnist5k", "--samples", "2000", "--out", "y.csv"])
        XCTAssertEqual(beyond.process.terminationStatus, 2)
        XCTAssertTrue(text(beyond.stderr).contains("goes beyond the 1000 images"))
        let unknown = try run(["spectrum", "--model", modelPath, "--data", "mnist5k", "--frobnicate", "--out", "z.csv"])
        XCTAssertEqual(unknown.process.terminationStatus, 2)
        for name in ["x.csv", "y.csv", "z.csv"] { XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path)) }
    }

    func testABrokenModelFileIsBadInputAndWritesNothing() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: modelPath))
        let broken = directory.appendingPathComponent("broken.safetensors")
        try bytes.prefix(bytes.count - 100).write(to: broken)
        let result = try run(["spectrum", "--model", broken.path, "--data", "mnist5k", "--samples", "2", "--k", "2", "--steps", "4", "--out", "b.csv"])
        XCTAssertEqual(result.process.terminationStatus, 1)
        let message = text(result.stderr)
        XCTAssertTrue(message.contains("broken.safetensors"), message)
        XCTAssertEqual(message.split(separator: "\n").count, 1, message)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("b.csv").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("b.csv.partial").path))
    }
}
