import Foundation
import NN

/// A per-sample job's CSV written batch by batch into `<out>.partial` (whole batches, flushed to
/// disk), resumable, and renamed to `out` when complete.
public struct ResumableCSV {
    public let header: String
    public let out: URL
    public let resume: Bool

    public init(header: String, out: URL, resume: Bool) {
        self.header = header
        self.out = out
        self.resume = resume
    }

    public var partial: URL { URL(fileURLWithPath: out.path + ".partial") }

    /// Progress after each batch: samples finished (resumed ones included), of all, of which resumed.
    public typealias Progress = (_ finished: Int, _ total: Int, _ resumed: Int) -> Void

    /// Computes the batches not yet in the partial file and renames it into place.
    ///
    /// - Parameters:
    ///   - ranges: the batches, as sample ranges; each one's rows must start with its samples.
    ///   - shouldStop: polled before each batch; true ends the run with ``RunInterrupted``.
    ///   - rows: one batch's CSV lines.
    /// - Returns: the number of samples computed in this run (not counting resumed ones).
    @discardableResult
    public func run(_ ranges: [Range<Int>], label: String, progress: Progress = { _, _, _ in }, shouldStop: () -> Bool = { false },
                    rows: (Range<Int>) throws -> [String]) throws -> Int {
        let done = try prepare(sampleRanges: ranges)
        guard let handle = FileHandle(forWritingAtPath: partial.path) else {
            throw RunError("\(partial.path): cannot open for writing")
        }
        defer { try? handle.close() }
        try handle.seekToEnd()
        let total = ranges.reduce(0) { $0 + $1.count }
        var finished = ranges.filter { done.contains($0.lowerBound) }.reduce(0) { $0 + $1.count }
        let resumedFrom = finished
        if resumedFrom > 0 { progress(finished, total, resumedFrom) }
        for range in ranges where !done.contains(range.lowerBound) {
            if shouldStop() {
                throw RunInterrupted("\(label): interrupted with \(finished) of \(total) samples in \(partial.path); run the same command with --resume to finish")
            }
            let lines = try rows(range)
            try handle.write(contentsOf: Data(lines.map { $0 + "\n" }.joined().utf8))
            try handle.synchronize()
            finished += range.count
            progress(finished, total, resumedFrom)
        }
        if rename(partial.path, out.path) != 0 { throw RunError("\(out.path): cannot rename the finished partial file into place") }
        return finished - resumedFrom
    }

    /// Starts a fresh partial file, or on resume keeps the batches it already holds completely and
    /// returns their first samples.
    private func prepare(sampleRanges: [Range<Int>]) throws -> Set<Int> {
        if resume, let text = try? String(contentsOf: partial, encoding: .utf8), text.hasPrefix(header + "\n") {
            // Only whole lines count (a last line without its newline is dropped), and only
            // batches all of whose samples are present.
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            lines.removeLast()
            let body = lines.dropFirst()
            let present = Set(body.compactMap { $0.split(separator: ",").first.flatMap { Int($0) } })
            let complete = sampleRanges.filter { $0.allSatisfy(present.contains) }
            let keep = Set(complete.flatMap { Array($0) })
            let kept = body.filter { line in line.split(separator: ",").first.flatMap { Int($0) }.map(keep.contains) ?? false }
            try AtomicFile.write(([header] + kept).map { $0 + "\n" }.joined(), to: partial)
            return Set(complete.map(\.lowerBound))
        }
        try AtomicFile.write(header + "\n", to: partial)
        return []
    }
}
