import Foundation

/// Where the project's own data files (such as `mnist_5k.csv.gz`) are looked for.
///
/// In order: the directory named by the environment variable `CURVATURE_DATA`, `./Data/`, then
/// places relative to the running executable, so the CLI finds the files from a source checkout
/// (`.build/<triple>/release/curvature` → `../../../Data`, or `.build/release` → `../../Data`) and
/// from an installation (`<prefix>/bin/curvature` → `<prefix>/share/curvature`).
public enum DataDirectory {
    /// The environment variable naming a directory that holds the data files.
    public static let environmentVariable = "CURVATURE_DATA"

    /// The directories searched, in order.
    ///
    /// - Parameters:
    ///   - environment: the process environment (injectable for tests).
    ///   - currentDirectory: the working directory.
    ///   - executablePath: the running executable, symbolic links resolved; `nil` if unknown.
    public static func candidates(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        currentDirectory: String = FileManager.default.currentDirectoryPath,
        executablePath: String? = currentExecutablePath()
    ) -> [String] {
        var directories: [String] = []
        if let configured = environment[environmentVariable], !configured.isEmpty {
            directories.append(configured)
        }
        directories.append(join(currentDirectory, "Data"))
        if let executablePath {
            let executableDirectory = join(executablePath, "..")
            for relative in ["../../../Data", "../../Data", "../share/curvature"] {
                directories.append(join(executableDirectory, relative))
            }
        }
        var seen = Set<String>()
        return directories.filter { seen.insert($0).inserted }
    }

    /// The full path of `fileName` in the first candidate directory that holds it.
    ///
    /// - Throws: ``DatasetError/notFound(what:tried:hint:)`` listing every path tried.
    public static func locate(
        _ fileName: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        currentDirectory: String = FileManager.default.currentDirectoryPath,
        executablePath: String? = currentExecutablePath()
    ) throws -> String {
        let tried = candidates(environment: environment, currentDirectory: currentDirectory, executablePath: executablePath)
            .map { join($0, fileName) }
        guard let found = tried.first(where: isRegularFile) else {
            throw DatasetError.notFound(
                what: fileName, tried: tried, hint: "set \(environmentVariable) to the directory that holds it")
        }
        return found
    }

    /// The running executable with symbolic links resolved (`.build/release` is a link).
    public static func currentExecutablePath() -> String? {
        Bundle.main.executableURL?.resolvingSymlinksInPath().path
    }

    /// `directory/relative` with `.` and `..` folded lexically (no symbolic links resolved), so
    /// messages show the plain paths that were tried.
    private static func join(_ directory: String, _ relative: String) -> String {
        let absolute = directory.hasPrefix("/")
        var parts: [Substring] = []
        for part in (directory + "/" + relative).split(separator: "/") where part != "." {
            if part == ".." {
                if let last = parts.last, last != ".." { parts.removeLast() } else if !absolute { parts.append(part) }
            } else {
                parts.append(part)
            }
        }
        let joined = parts.joined(separator: "/")
        return absolute ? "/" + joined : (joined.isEmpty ? "." : joined)
    }
}
