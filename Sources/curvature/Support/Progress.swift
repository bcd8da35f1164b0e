import Curvature
import Foundation

/// One progress line on stderr, redrawn in place on a terminal and printed at most every few
/// seconds otherwise; results never go there.
final class ProgressLine {
    private let interactive = isatty(fileno(stderr)) != 0
    private var lastDraw = Date.distantPast
    private var drawn = false
    private let minimumInterval: TimeInterval

    init() { minimumInterval = isatty(fileno(stderr)) != 0 ? 0.2 : 5 }

    /// Shows `text` unless the last line is too recent (`force` always shows).
    func update(_ text: String, force: Bool = false) {
        let now = Date()
        guard force || now.timeIntervalSince(lastDraw) >= minimumInterval else { return }
        lastDraw = now
        if interactive {
            FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
            drawn = true
        } else {
            FileHandle.standardError.write(Data("\(text)\n".utf8))
        }
    }

    /// Ends the line so later output starts clean.
    func finish() {
        if interactive && drawn { FileHandle.standardError.write(Data("\n".utf8)) }
        drawn = false
    }

    /// Prints a message on its own line.
    func note(_ text: String) {
        finish()
        FileHandle.standardError.write(Data("\(text)\n".utf8))
    }

    /// A ``ResumableCSV/Progress`` that shows samples done, rate and ETA under `label`.
    func samples(_ label: String) -> ResumableCSV.Progress {
        let start = Date()
        return { [self] finished, total, resumed in
            if finished == resumed {
                if resumed > 0 { note("\(label): resuming with \(resumed) of \(total) samples done") }
                return
            }
            let rate = Double(finished - resumed) / Swift.max(Date().timeIntervalSince(start), 1e-9)
            update(String(format: "%@: %d/%d samples  %.2f samples/s  ETA %@", label, finished, total, rate,
                          ProgressLine.duration(Double(total - finished) / rate)), force: finished == total)
        }
    }

    /// "1h02m", "4m12s", "9s".
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) }
        if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return "\(s)s"
    }
}
