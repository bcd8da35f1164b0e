import Foundation
import Synchronization

/// SIGINT and SIGTERM set a flag that long jobs poll at safe points, so they can keep finished
/// work and say how to resume. The first signal says at once what will happen; a second one ends
/// the process at once (finished batches are already on disk).
enum Interruption {
    private static let received = Atomic<Int32>(0)
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

    static var requested: Bool { received.load(ordering: .relaxed) != 0 }

    /// 130 for SIGINT, 143 for SIGTERM.
    static var exitCode: Int32 { 128 + received.load(ordering: .relaxed) }
}
