import ArgumentParser
import Foundation
import XCTest

@testable import curvature

/// Every `curvature …` command shown in Notebooks-md/ and the README still parses and passes the
/// command's validate(): the subcommand and every option exist, take the values shown and go
/// together. Files that exist only where the notebook ran (models, data) stand in as empty files.
final class NotebookCommandTests: XCTestCase {
    private static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Commands in ```sh blocks: lines starting with `curvature`, `swift run … curvature` or a
    /// path ending in /curvature, with `\` continuations joined; `&&` chains split; shell variables
    /// set in the notebook (`NAME=value` lines) expanded.
    static func commands(in text: String) -> [String] {
        var commands: [String] = [], inBlock = false, pending = "", variables: [String: String] = [:]
        for rawLine in text.components(separatedBy: "\n") {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("```") { inBlock = line.count > 3 && !inBlock ? line.hasPrefix("```sh") || line.hasPrefix("```bash") : false; continue }
            guard inBlock else { continue }
            pending += (pending.isEmpty ? "" : " ") + (line.hasSuffix("\\") ? String(line.dropLast()) : line)
            if line.hasSuffix("\\") { continue }
            // Longer names first, so $SOFTPLUS is not read as $S followed by OFTPLUS.
            for name in variables.keys.sorted(by: { $0.count > $1.count }) {
                pending = pending.replacingOccurrences(of: "$" + name, with: variables[name]!)
            }
            if let equals = pending.firstIndex(of: "="), !pending.contains(" ") || pending[..<equals].allSatisfy({ $0.isUppercase || $0 == "_" }),
               pending[..<equals].allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" }), !pending[..<equals].isEmpty {
                variables[String(pending[..<equals])] = tokens(String(pending[pending.index(after: equals)...])).joined(separator: " ")
                pending = ""
                continue
            }
            for part in pending.components(separatedBy: "&&") {
                var words = tokens(part)
                if words.first == "$" { words.removeFirst() }
                if let index = words.firstIndex(where: { $0 == "curvature" || $0.hasSuffix("/curvature") }),
                   index == 0 || words[..<index].contains("run") {
                    commands.append(words[(index + 1)...].joined(separator: "\u{1F}"))
                }
            }
            pending = ""
        }
        return commands
    }

    /// Shell-like words: quotes group, `$(…)` and `$VAR` stay as placeholders.
    static func tokens(_ line: String) -> [String] {
        var words: [String] = [], current = "", quote: Character?
        for character in line {
            if let q = quote {
                if character == q { quote = nil } else { current.append(character) }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == " " {
                if !current.isEmpty { words.append(current); current = "" }
            } else if character == "|" || character == ";" || character == ">" {
                break
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    func testEveryDocumentedCommandParsesAndValidates() throws {
        let folder = Self.repository.appendingPathComponent("Notebooks-md")
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix(".md") }.sorted().map { folder.appendingPathComponent($0) } + [Self.repository.appendingPathComponent("README.md")]
        var checked = 0
        for file in files {
            // Each document in a folder of its own: what its commands write exists for the ones after them.
            try DocumentedCommands.inScratchFolder { scratch in
                for command in Self.commands(in: try String(contentsOf: file, encoding: .utf8)) {
                    let arguments = command.split(separator: "\u{1F}").map(String.init)
                    do {
                        _ = try DocumentedCommands.validate(arguments, in: scratch)
                    } catch {
                        XCTFail("\(file.lastPathComponent): `curvature \(arguments.joined(separator: " "))`: \(error)")
                    }
                    DocumentedCommands.createOutputs(of: arguments, in: scratch)
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, 5, "the notebooks and README show commands")
    }

    func testTheCheckerSeesMistakes() throws {
        let text = "```sh\ncurvature spectrum --model m.safetensors \\\n  --data mnist5k --out x.csv && curvature merge a.csv --out b.csv\n```\n"
        XCTAssertEqual(Self.commands(in: text).count, 2)
        try DocumentedCommands.inScratchFolder { scratch in
            // Missing inputs stand in as empty files; a misspelt option, or options that do not go
            // together, are refused.
            XCTAssertNoThrow(try DocumentedCommands.validate(["spectrum", "--model", "m.safetensors", "--data", "mnist5k", "--out", "out/x.csv"], in: scratch))
            XCTAssertThrowsError(try DocumentedCommands.validate(["spectrum", "--model", "m.safetensors", "--data", "mnist5k", "--sample", "5", "--out", "x.csv"], in: scratch)) { error in
                XCTAssertTrue("\(error)".contains("Unknown option '--sample'"), "\(error)")
            }
            XCTAssertThrowsError(try DocumentedCommands.validate(["spectrum", "--threads", "$THREADS"], in: scratch)) { error in
                XCTAssertTrue("\(error)".contains("'$THREADS' is a shell expansion without a stand-in"), "\(error)")
            }
            XCTAssertThrowsError(try DocumentedCommands.validate(["spectrum", "--model", "m.safetensors", "--data", "mnist5k", "--k", "50", "--steps", "6", "--out", "x.csv"], in: scratch)) { error in
                XCTAssertTrue("\(error)".contains("--k 50 is larger than --steps 6"), "\(error)")
            }
        }
    }
}

final class LibraryNotebookTests: XCTestCase {
    func testTheLibraryNotebookShowsTheBuiltExampleVerbatim() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let notebook = try String(contentsOf: root.appendingPathComponent("Notebooks-md/04-library.md"), encoding: .utf8)
        let source = try String(contentsOf: root.appendingPathComponent("Sources/CurvatureExample/main.swift"), encoding: .utf8)
        let block = notebook.components(separatedBy: "```swift\n").dropFirst().first?.components(separatedBy: "```").first
        XCTAssertEqual(block, source, "Notebooks-md/04-library.md must show Sources/CurvatureExample/main.swift verbatim")
    }
}
