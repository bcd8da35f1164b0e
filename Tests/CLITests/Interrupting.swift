import Foundation
import XCTest

extension ExecutableTestCase {
    /// Runs `arguments` with the job held at its `batch`-th stop check (the test hook
    /// CURVATURE_TEST_HOLD_AT) until `signals` SIGINTs have arrived, so the run cannot end before
    /// them however fast the machine. Sends the first once `file` holds `lines` lines (the batches
    /// before the held one), each further one after the one before was answered on stderr, and
    /// waits for the end. A run that ends early or does not stop fails the test.
    func interrupt(_ arguments: [String], holdingBatch batch: Int, once file: URL, holds lines: Int, signals: Int = 1,
                   sourceFile: StaticString = #filePath, line: UInt = #line) throws -> (status: Int32, stderr: String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("curvature-stderr-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let process = makeProcess(arguments, environment: ["CURVATURE_TEST_HOLD_AT": "\(batch):\(signals)"])
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() } }
        func stderr() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
        /// Waits up to five minutes (a loaded machine) for `condition`; false if the run ended or time ran out first.
        func wait(_ what: String, until condition: () -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(300)
            while !condition() {
                guard process.isRunning, Date() < deadline else {
                    XCTFail("\(what): \(process.isRunning ? "not within 5 minutes" : "the run ended (status \(process.terminationStatus)) first"): \(stderr())",
                            file: sourceFile, line: line)
                    return false
                }
                usleep(5_000)
            }
            return true
        }
        let held = wait("\(lines) lines in \(file.lastPathComponent)") {
            ((try? String(contentsOf: file, encoding: .utf8))?.split(separator: "\n").count ?? 0) >= lines
        }
        if held {
            for signal in 1...signals {
                kill(process.processIdentifier, SIGINT)
                if signal < signals, !wait("the answer to Ctrl-C \(signal)", until: { stderr().contains("Ctrl-C again to stop now") }) { break }
            }
        }
        let deadline = Date().addingTimeInterval(300)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning {
            XCTFail("still running 5 minutes after \(signals) Ctrl-C: \(stderr())", file: sourceFile, line: line)
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        return (process.terminationStatus, stderr())
    }
}
