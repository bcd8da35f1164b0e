import Foundation

/// Index lists of the layout operators (a transpose's, a slice's, a pad's), kept by the shape and
/// arguments they follow from: a graph runs each node on the same shapes batch after batch, so a
/// list is made once, not per evaluation. Past ``capacity`` indices in all the cache starts afresh.
final class IndexListCache {
    struct Key: Hashable {
        let operation: String
        let shape: [Int]
        let arguments: [[Int]]
    }

    typealias Entry = (indices: [Int32], shape: [Int])

    static let shared = IndexListCache()
    /// 64 MB of indices.
    static let capacity = 1 << 24

    private let lock = NSLock()
    private var entries: [Key: Entry] = [:]
    private var held = 0

    /// The list for `key`, made by `make` when not kept.
    func entry(_ key: Key, make: () -> Entry) -> Entry {
        if let known = lock.withLock({ entries[key] }) { return known }
        let made = make()
        if made.indices.count > Self.capacity { return made }  // never kept: leave the others be
        lock.withLock {
            if held + made.indices.count > Self.capacity { (entries, held) = ([:], 0) }
            (entries[key], held) = (made, held + made.indices.count)
        }
        return made
    }
}
