import Foundation
import Synchronization

/// SIGINT and SIGTERM set a flag that long jobs poll at safe points, so they can keep finished
/// work and say how to resume. A second signal ends the process at once.
enum Interruption {
    private static let received = Atomic<Int32>(0)

    static func install() {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber) { number in
                if Interruption.received.exchange(number, ordering: .relaxed) != 0 { _exit(128 + number) }
            }
        }
    }

    static var requested: Bool { received.load(ordering: .relaxed) != 0 }

    /// 130 for SIGINT, 143 for SIGTERM.
    static var exitCode: Int32 { 128 + received.load(ordering: .relaxed) }
}
