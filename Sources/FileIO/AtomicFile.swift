import Foundation

/// Writes files so that a reader never sees a partial one: the bytes go to a temporary file in
/// the same folder, which is then renamed over the final name. A failed write leaves the old file
/// (if any) untouched and no file under the final name.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        // A device or pipe (/dev/stdout, /dev/null) is written in place: renaming over it would
        // replace the device with a regular file.
        var info = stat()
        if stat(url.path, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG && (info.st_mode & S_IFMT) != S_IFDIR {
            guard let handle = FileHandle(forWritingAtPath: url.path) else { throw FileError(path: url.path, "cannot open for writing") }
            defer { try? handle.close() }
            do { try handle.write(contentsOf: data) } catch {
                throw FileError(path: url.path, "cannot write: \(fileProblem(error, path: url.path))")
            }
            return
        }
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        do {
            try data.write(to: temporary)
            if rename(temporary.path, url.path) != 0 {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path,
                                                              NSLocalizedDescriptionKey: String(cString: strerror(errno))])
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw FileError(path: url.path, "cannot write: \(fileProblem(error, path: url.path))")
        }
    }

    public static func write(_ text: String, to url: URL) throws {
        try write(Data(text.utf8), to: url)
    }
}
