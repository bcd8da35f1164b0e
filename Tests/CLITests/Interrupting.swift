import Foundation

extension ExecutableTestCase {
    /// Starts a run, sends SIGINT once `file` holds `lines` lines (or after a minute), and waits for it to end.
    func interrupt(_ arguments: [String], once file: URL, holds lines: Int) throws -> (process: Process, stdout: Pipe, stderr: Pipe) {
        let started = try launch(arguments, wait: false)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, ((try? String(contentsOf: file, encoding: .utf8))?.split(separator: "\n").count ?? 0) < lines {
            usleep(10_000)
        }
        kill(started.process.processIdentifier, SIGINT)
        started.process.waitUntilExit()
        return started
    }
}
