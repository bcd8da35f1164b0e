/// A file that could not be written: its path and what went wrong, in the system's words where
/// it gave any (``fileProblem(_:path:)``).
public struct FileError: Error, CustomStringConvertible {
    public let path: String
    public let problem: String

    public init(path: String, _ problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(problem)" }
}
