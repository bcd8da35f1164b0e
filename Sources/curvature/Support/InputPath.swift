import ArgumentParser
import Foundation

/// Input files are checked when the options are read: a folder or an unreadable file given where
/// a file is expected is named with its option.
enum InputPath {
    static func checkFile(_ path: String, option: String) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { throw ValidationError("\(option): no file at \(path)") }
        guard !isFolder.boolValue else { throw ValidationError("\(option) \(path) is a folder; name a file") }
        guard access(path, R_OK) == 0 else { throw ValidationError("\(option) \(path): the file is not readable") }
    }
}
