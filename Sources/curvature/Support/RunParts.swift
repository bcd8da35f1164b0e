import Curvature
import Foundation

/// The `<part>.meta.json` files of the parts `merge` joins: proof that they are shards of one run.
/// Parts belong together when their `settings` agree in everything but `shard` (compared key by
/// key, whatever keys a job records) and their shards are distinct `i/n` of one `n` with none
/// missing.
struct RunParts {
    struct Part {
        let file: String
        let metaFile: String
        let meta: [String: Any]
        let settings: [String: Any]
        let shard: Shard
    }

    let parts: [Part]

    /// Reads and checks every part's meta; throws one line naming the files at the first problem.
    init(files: [String]) throws {
        parts = try files.map(Self.read)
        let first = parts[0]
        for part in parts.dropFirst() {
            let keys = Set(first.settings.keys).union(part.settings.keys).subtracting(["shard"]).sorted()
            if let key = keys.first(where: { Self.text(first.settings[$0]) != Self.text(part.settings[$0]) }) {
                throw InputError("""
                    \(part.metaFile): setting \(key) is \(Self.text(part.settings[key])), but \(Self.text(first.settings[key])) in \
                    \(first.metaFile): merge joins only the parts of one run
                    """)
            }
        }
        var byIndex: [Int: Part] = [:]
        for part in parts {
            guard part.shard.count == first.shard.count else {
                throw InputError("\(part.file) is shard \(part.shard) but \(first.file) is \(first.shard): the parts of one run are shards i/n of one n")
            }
            if let other = byIndex[part.shard.index] { throw InputError("\(part.file) is shard \(part.shard), as is \(other.file): each shard once") }
            byIndex[part.shard.index] = part
        }
        let missing = (0 ..< first.shard.count).filter { byIndex[$0] == nil }
        guard missing.isEmpty else {
            let names = missing.map { "\($0 + 1)/\(first.shard.count)" }
            throw InputError("""
                shard\(names.count == 1 ? "" : "s") \(names.joined(separator: ", ")) of the run \(names.count == 1 ? "is" : "are") missing \
                (given: \(parts.map { "\($0.shard) \($0.file)" }.joined(separator: ", ")))
                """)
        }
    }

    private static func read(_ file: String) throws -> Part {
        let metaFile = file + ".meta.json"
        guard FileManager.default.fileExists(atPath: metaFile) else {
            throw InputError("\(file): no \(metaFile) beside it to show which run it is part of; --no-meta-check joins it unchecked")
        }
        guard let data = FileManager.default.contents(atPath: metaFile),
              let meta = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let settings = meta["settings"] as? [String: Any]
        else { throw InputError("\(metaFile): not a JSON object with a settings object, as curvature writes beside its results") }
        guard let shard = (settings["shard"] as? String).flatMap({ Shard($0) }) else {
            throw InputError("\(metaFile): setting shard is \(text(settings["shard"])), expected i/n")
        }
        return Part(file: file, metaFile: metaFile, meta: meta, settings: settings, shard: shard)
    }

    /// A setting as it is compared and quoted: strings as they are, anything else as JSON.
    private static func text(_ value: Any?) -> String {
        guard let value else { return "absent" }
        if let string = value as? String { return string }
        let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])
        return data.map { String(decoding: $0, as: UTF8.self) } ?? "\(value)"
    }

    /// `<out>.meta.json` of the joined file: the shared settings with the whole run's shard, the
    /// entries every part agrees on, the sums of the per-sample counts, and each part's own
    /// entries (timings, counts) under `parts`.
    func mergedMeta(command: String) -> [String: Any] {
        let perRun: Set<String> = ["command", "version", "finished", "wall_seconds", "threads", "settings"]
        let shared = parts[0].meta.filter { key, value in
            !perRun.contains(key) && parts.allSatisfy { $0.meta[key].map(Self.text) == Self.text(value) }
        }
        var settings = parts[0].settings
        settings["shard"] = Shard.whole.description
        let ordered = parts.sorted { $0.shard.index < $1.shard.index }
        // Counts over samples add up, so the joined file's are those of an unsharded run.
        var totals: [String: Int] = [:]
        for key in ["samples", "unconverged_samples"] {
            let counts = parts.compactMap { $0.meta[key] as? Int }
            if counts.count == parts.count { totals[key] = counts.reduce(0, +) }
        }
        return shared.merging(totals) { $1 }.merging([
            "command": command, "version": curvatureVersion, "finished": ISO8601DateFormatter().string(from: Date()),
            "settings": settings,
            "parts": ordered.map { part in part.meta.filter { $0.key != "settings" }.merging(["file": part.file, "shard": part.shard.description]) { $1 } },
        ]) { $1 }
    }
}
