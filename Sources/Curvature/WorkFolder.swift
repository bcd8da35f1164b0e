import FileIO
import Foundation
import Messages
import NN

/// A folder of a long multi-part run's finished pieces (`<out-dir>/.compare-partial`), with the
/// settings that made them in `settings.json`, so that a resume continues only the same run.
public struct WorkFolder {
    public let url: URL

    /// Starts afresh, or with `resume` keeps the pieces if they were made with the same settings
    /// and refuses otherwise; a fresh start refuses to remove an interrupted run's pieces.
    /// - Parameter note: told when a resume finds nothing to continue.
    public init(in parent: URL, settings: [String: String], resume: Bool, note: (String) -> Void = { _ in }) throws {
        url = parent.appendingPathComponent(".compare-partial")
        let record = url.appendingPathComponent("settings.json")
        let encoded = try JSONSerialization.data(withJSONObject: settings, options: [.prettyPrinted, .sortedKeys])
        let manager = FileManager.default
        if resume, manager.fileExists(atPath: record.path) {
            guard let data = try? Data(contentsOf: record),
                  let earlier = try? JSONSerialization.jsonObject(with: data) as? [String: String] else {
                throw RunError("\(record.path): unreadable; delete \(url.path) to start afresh")
            }
            let changed = Set(earlier.keys).union(settings.keys).filter { earlier[$0] != settings[$0] }.sorted()
            guard changed.isEmpty else {
                throw RunError("\(setting: "resume"): the finished work in \(url.path) was made with other settings (\(changed.joined(separator: ", ")) differ); run without \(setting: "resume") to start afresh")
            }
            return
        }
        if resume { note("nothing to resume in \(url.path); starting afresh") }
        if manager.fileExists(atPath: url.path) {
            throw RunError("\(url.path) holds the finished work of an interrupted run; continue it with \(setting: "resume"), or delete it to start afresh")
        }
        try manager.createDirectory(at: url, withIntermediateDirectories: true)
        try AtomicFile.write(encoded, to: record)
    }

    /// Called once the results are in place.
    public func remove() { try? FileManager.default.removeItem(at: url) }
}
