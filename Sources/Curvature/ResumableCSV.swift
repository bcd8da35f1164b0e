import FileIO
import Foundation
import Messages
import NN

/// A per-sample job's CSV written batch by batch into `<out>.partial` (whole batches, flushed to
/// disk), resumable, and renamed to `out` when complete.
///
/// Beside the partial file, `<out>.partial.json` records every setting that shapes the rows
/// (with the checksums of the model and the data); a resume continues only a partial file made
/// with the same record and otherwise refuses, naming what differs and touching nothing. A fresh
/// run refuses to overwrite a partial file, so no finished work is lost by a forgotten resume.
public struct ResumableCSV {
    public let header: String
    public let out: URL
    public let resume: Bool
    /// What made the rows; a resume must match it exactly.
    public let record: [String: String]

    public init(header: String, out: URL, resume: Bool, record: [String: String] = [:]) {
        self.header = header
        self.out = out
        self.resume = resume
        self.record = record
    }

    public var partial: URL { URL(fileURLWithPath: out.path + ".partial") }
    public var partialRecord: URL { URL(fileURLWithPath: out.path + ".partial.json") }

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
                throw RunInterrupted("\(label): interrupted with \(finished) of \(total) samples in \(partial.path); run the same command with \(setting: "resume") to finish")
            }
            let lines = try rows(range)
            try handle.write(contentsOf: Data(lines.map { $0 + "\n" }.joined().utf8))
            try handle.synchronize()
            finished += range.count
            progress(finished, total, resumedFrom)
        }
        if rename(partial.path, out.path) != 0 { throw RunError("\(out.path): cannot rename the finished partial file into place") }
        try? FileManager.default.removeItem(at: partialRecord)
        return finished - resumedFrom
    }

    /// Starts a fresh partial file, or on resume keeps the batches it already holds completely and
    /// returns their first samples.
    private func prepare(sampleRanges: [Range<Int>]) throws -> Set<Int> {
        let manager = FileManager.default
        if manager.fileExists(atPath: partial.path) {
            guard resume else {
                throw RunError("\(partial.path) holds the finished batches of an interrupted run; continue it with \(setting: "resume"), or delete it to start afresh")
            }
            try checkRecord()
            guard let text = try? String(contentsOf: partial, encoding: .utf8), text.hasPrefix(header + "\n") else {
                throw RunError("\(partial.path): not a partial file of this job (its first line is not '\(header)'); delete it to start afresh")
            }
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
        try AtomicFile.write(try JSONSerialization.data(withJSONObject: record, options: [.prettyPrinted, .sortedKeys]), to: partialRecord)
        try AtomicFile.write(header + "\n", to: partial)
        return []
    }

    /// Refuses a partial file made by other settings, a model or data with other checksums.
    private func checkRecord() throws {
        guard let data = try? Data(contentsOf: partialRecord),
              let earlier = try? JSONSerialization.jsonObject(with: data) as? [String: String] else {
            throw RunError("\(setting: "resume"): \(partial.path) has no readable record of the settings that made it (\(partialRecord.lastPathComponent)); it is left as it is — delete it to start afresh")
        }
        let changed = Set(earlier.keys).union(record.keys).filter { earlier[$0] != record[$0] }.sorted()
        guard changed.isEmpty else {
            let details = changed.map { "\($0) \(earlier[$0] ?? "(none)") → \(record[$0] ?? "(none)")" }
            throw RunError("\(setting: "resume"): \(partial.path) was made with other settings (\(details.joined(separator: "; "))); it is left as it is — run with the same settings, or delete it to start afresh")
        }
    }
}
