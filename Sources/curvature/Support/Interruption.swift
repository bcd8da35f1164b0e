import Foundation
import Synchronization

/// SIGINT and SIGTERM set a flag that long jobs poll at safe points, so they can keep finished
/// work and say how to resume. The first signal says at once what will happen; a second one ends
/// the process at once (finished batches are already on disk).
enum Interruption {
    private static let received = Atomic<Int32>(0)
    /// Signals so far, for the test hook below.
    private static let signals = Atomic<Int>(0)
    /// Two buffers for the running job's status ("batch 3 of 12"): the job writes the idle one and
    /// then publishes it, so the signal handler only ever reads a finished string.
    private static let capacity = 160
    private static let buffers: UnsafeMutablePointer<CChar> = {
        let buffers = UnsafeMutablePointer<CChar>.allocate(capacity: 2 * 160)
        buffers.initialize(repeating: 0, count: 2 * 160)
        return buffers
    }()
    private static let published = Atomic<Int>(0)

    static func install() {
        _ = buffers  // initialised here, never first inside the handler
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber) { number in
                Interruption.signals.wrappingAdd(1, ordering: .relaxed)
                if Interruption.received.exchange(number, ordering: .relaxed) != 0 {
                    Interruption.write("\ncurvature: stopped now; every finished batch is kept (the same command with --resume continues)\n")
                    _exit(128 + number)
                }
                Interruption.write("\ncurvature: interrupted; finishing ")
                let status = Interruption.buffers + Interruption.published.load(ordering: .acquiring) * Interruption.capacity
                if status[0] != 0 { _ = Glibc.write(2, status, strlen(status)) } else { Interruption.write("the current step") }
                Interruption.write(", then stopping with finished work kept; --resume continues. Ctrl-C again to stop now.\n")
            }
        }
    }

    /// Async-signal-safe: a static string's bytes straight to stderr.
    private static func write(_ text: StaticString) {
        _ = Glibc.write(2, text.utf8Start, text.utf8CodeUnitCount)
    }

    /// What the job is doing, for the message the first Ctrl-C prints (e.g. "batch 3 of 12").
    static func setStatus(_ text: String) {
        let next = 1 - published.load(ordering: .relaxed)
        let target = buffers + next * capacity
        let bytes = Array(text.utf8.prefix(capacity - 1))
        for (i, byte) in bytes.enumerated() { target[i] = CChar(bitPattern: byte) }
        target[bytes.count] = 0
        published.store(next, ordering: .releasing)
    }

    /// Polled by long jobs at their safe points (before each batch).
    static var requested: Bool {
        if let hold, polls.wrappingAdd(1, ordering: .relaxed).newValue == hold.poll {
            while signals.load(ordering: .relaxed) < hold.signals { usleep(1_000) }
        }
        return received.load(ordering: .relaxed) != 0
    }

    /// Test hook, `CURVATURE_TEST_HOLD_AT=N[:S]`: the N-th poll of ``requested`` (before the N-th
    /// batch) waits until S signals (default 1) have arrived, so a test interrupts at a known batch
    /// however fast or slow the machine; with S = 2 only the second Ctrl-C ends the run.
    private static let hold: (poll: Int, signals: Int)? = {
        guard let text = ProcessInfo.processInfo.environment["CURVATURE_TEST_HOLD_AT"] else { return nil }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
        guard (1...2).contains(parts.count), let poll = parts[0], poll >= 1, let signals = parts.count == 2 ? parts[1] : 1, (1...2).contains(signals) else {
            FileHandle.standardError.write(Data("curvature: CURVATURE_TEST_HOLD_AT must be N or N:S (N ≥ 1, S 1 or 2), got '\(text)'\n".utf8))
            exit(2)
        }
        return (poll, signals)
    }()
    private static let polls = Atomic<Int>(0)

    /// 130 for SIGINT, 143 for SIGTERM.
    static var exitCode: Int32 { 128 + received.load(ordering: .relaxed) }
}
