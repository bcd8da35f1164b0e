import ArgumentParser
import Foundation

/// Output paths are checked before any work, so a long job never fails at its end because of them.
enum OutputPath {
    /// A file to be written: its folder exists and is writable, and it is not itself a folder.
    static func checkFile(_ path: String, option: String) throws {
        guard !path.isEmpty else { throw ValidationError("\(option) must name a file") }
        let url = URL(fileURLWithPath: path)
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue {
            throw ValidationError("\(option) \(path) is a folder; name a file")
        }
        try checkWritableFolder(url.deletingLastPathComponent(), for: path, option: option)
    }

    /// A folder to be written into, created if needed: the nearest existing folder on its path is writable.
    static func checkFolder(_ path: String, option: String) throws {
        guard !path.isEmpty else { throw ValidationError("\(option) must name a folder") }
        var url = URL(fileURLWithPath: path)
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) {
            guard isFolder.boolValue else { throw ValidationError("\(option) \(path) is a file; name a folder") }
            guard access(url.path, W_OK) == 0 else { throw ValidationError("\(option) \(path): the folder is not writable") }
            return
        }
        while !FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) { url.deleteLastPathComponent() }
        guard isFolder.boolValue else { throw ValidationError("\(option) \(path): \(url.path) is a file, not a folder") }
        guard access(url.path, W_OK) == 0 else { throw ValidationError("\(option) \(path): cannot create it, \(url.path) is not writable") }
    }

    private static func checkWritableFolder(_ folder: URL, for path: String, option: String) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw ValidationError("\(option) \(path): the folder \(folder.path) does not exist")
        }
        guard access(folder.path, W_OK) == 0 else { throw ValidationError("\(option) \(path): the folder \(folder.path) is not writable") }
    }
}
