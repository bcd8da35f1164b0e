import ArgumentParser
import Foundation
import XCTest

@testable import curvature

/// Commands shown in the documentation (help examples, README, notebooks), checked as a user
/// would meet them: parsed and validated from a scratch folder that holds the repository's Data/.
enum DocumentedCommands {
    private static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Runs `body` in a fresh folder holding a link to the repository's Data/ (the current
    /// directory meanwhile, as validation reads relative paths from there).
    static func inScratchFolder(_ body: (URL) throws -> Void) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("documented-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("Data"), withDestinationURL: repository.appendingPathComponent("Data"))
        let previous = FileManager.default.currentDirectoryPath
        FileManager.default.changeCurrentDirectoryPath(folder.path)
        defer {
            FileManager.default.changeCurrentDirectoryPath(previous)
            try? FileManager.default.removeItem(at: folder)
        }
        try body(folder)
    }

    struct Refused: Error, CustomStringConvertible { let description: String }

    /// Parses `arguments` (shell expansions replaced by their stand-ins) as `curvature` does, which
    /// runs every validate(). An input that exists
    /// only where the documentation ran (a model, data, an earlier result: "no file at X", an
    /// --arch file, a missing output folder) is created empty inside `folder` and the command read
    /// again, so every other check runs; any other refusal is thrown with its message.
    @discardableResult
    static func validate(_ arguments: [String], in folder: URL) throws -> ParsableCommand {
        let arguments = try expanded(arguments)
        let patterns = [#"no file at (\S+)"#, #"--arch: '([^']+)' is neither a built-in name"#, #"the folder (\S+) does not exist"#,
                        #"or a model file, got '([^']+)'"#]
        var created: Set<String> = []
        while true {
            do {
                return try CurvatureCommand.parseAsRoot(arguments)
            } catch {
                let message = CurvatureCommand.message(for: error)
                guard let (index, path) = patterns.enumerated().lazy.compactMap({ (i, pattern) in firstGroup(pattern, in: message).map { (i, $0) } }).first,
                      !created.contains(path) else { throw Refused(description: message) }
                let url = resolve(path, in: folder).standardizedFileURL
                guard url.path.hasPrefix(folder.standardizedFileURL.path + "/") else { throw Refused(description: "\(message) (outside the scratch folder)") }
                created.insert(path)
                if index == 2 {
                    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
                } else {
                    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                    FileManager.default.createFile(atPath: url.path, contents: Data())
                }
            }
        }
    }

    /// Creates (empty) what a command writes, for the commands after it that read it.
    static func createOutputs(of arguments: [String], in folder: URL) {
        for (index, word) in arguments.enumerated() where index + 1 < arguments.count {
            let url = resolve(arguments[index + 1], in: folder)
            if ["--out", "--output", "--images"].contains(word), !FileManager.default.fileExists(atPath: url.path) {
                try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                FileManager.default.createFile(atPath: url.path, contents: Data())
            } else if word == "--out-dir" {
                try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            }
        }
    }

    /// `path` as the command reads it from `folder`, its current directory.
    private static func resolve(_ path: String, in folder: URL) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : folder.appendingPathComponent(path)
    }

    /// The shell expansions the documents use, as the shell expands them there: a loop's
    /// `${w%%:*}` and `${w##*:}` over mlp:128…, Slurm's variables, the files compare writes.
    static let shellStandIns: [(expansion: String, value: String)] = [
        ("${w%%:*}", "mlp"), ("${w##*:}", "128"), ("$SLURM_CPUS_PER_TASK", "2"), ("$SLURM_ARRAY_TASK_ID", "1"),
        ("$(cat out/your-own-model/compare/images.columns)", "3"), ("$(cat out/your-own-model/compare/images.titles)", "a|b|c"),
        ("$(cat study/images.titles)", "a|b|c"), ("$(cat study-mnist5k/images.titles)", "a|b|c"), ("$(cat nines/images.titles)", "a|b|c"),
        ("$i", "0"),  // Notebook 08: the loop over samples
    ]

    /// `arguments` with every shell expansion replaced by its stand-in; one without a stand-in is thrown.
    static func expanded(_ arguments: [String]) throws -> [String] {
        try arguments.map { word in
            let result = shellStandIns.reduce(word) { $0.replacingOccurrences(of: $1.expansion, with: $1.value) }
            if result.contains("$") { throw Refused(description: "'\(word)' is a shell expansion without a stand-in in DocumentedCommands.shellStandIns") }
            return result
        }
    }

    private static func firstGroup(_ pattern: String, in text: String) -> String? {
        guard let expression = try? NSRegularExpression(pattern: pattern),
              let match = expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
              let range = Range(match.range(at: 1), in: text) else { return nil }
        return String(text[range])
    }
}
