import ArgumentParser
import Foundation
import XCTest

@testable import curvature

/// `--help` teaches: every option has a description, every command's help ends with an
/// `Examples:` block whose command lines parse and validate as written (from a folder that has
/// the repository's Data/, as the repository itself does), and no help text points outside
/// the repository.
final class HelpExamplesTests: XCTestCase {
    private static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Every command with its path of names below `curvature` (the root's path is empty).
    static func commands(_ type: ParsableCommand.Type = CurvatureCommand.self, path: [String] = []) -> [(path: [String], type: ParsableCommand.Type)] {
        [(path, type)] + type.configuration.subcommands.flatMap { commands($0, path: path + [$0._commandName]) }
    }

    static func help(_ path: [String], _ type: ParsableCommand.Type, columns: Int = 80) -> String {
        path.isEmpty ? CurvatureCommand.helpMessage(columns: columns) : CurvatureCommand.helpMessage(for: type, columns: columns)
    }

    /// The example command lines of a help text: the indented lines after a line starting
    /// `Examples`, up to the next blank line. `\` continuations are joined, a `NAME=value` line
    /// sets `$NAME` for the lines after it, and every other line must be a `curvature` command;
    /// its arguments are returned. Anything else in the block is a problem.
    static func examples(in help: String) -> (commands: [[String]], problems: [String]) {
        let lines = help.components(separatedBy: "\n")
        guard let start = lines.firstIndex(where: { $0.hasPrefix("Examples") && $0.hasSuffix(":") }) else { return ([], ["no Examples block"]) }
        var commands: [[String]] = [], problems: [String] = [], variables: [String: String] = [:], pending = ""
        for raw in lines[(start + 1)...] {
            if raw.trimmingCharacters(in: .whitespaces).isEmpty { break }
            guard raw.hasPrefix("  ") else { problems.append("example line not indented: '\(raw)'"); break }
            let text = raw.trimmingCharacters(in: .whitespaces)
            pending += (pending.isEmpty ? "" : " ") + (text.hasSuffix("\\") ? String(text.dropLast()).trimmingCharacters(in: .whitespaces) : text)
            if text.hasSuffix("\\") { continue }
            defer { pending = "" }
            if let equals = pending.firstIndex(of: "="), !pending.contains(" "),
               pending[..<equals].allSatisfy({ $0.isLetter || $0 == "_" }) {
                variables[String(pending[..<equals])] = String(pending[pending.index(after: equals)...])
                continue
            }
            var expanded = pending
            for (name, value) in variables { expanded = expanded.replacingOccurrences(of: "$" + name, with: value) }
            let words = NotebookCommandTests.tokens(expanded)
            guard words.first == "curvature" else {
                problems.append("example line is not a curvature command: '\(pending)'")
                continue
            }
            commands.append(Array(words.dropFirst()))
        }
        if !pending.isEmpty { problems.append("the last example ends in a continuation: '\(pending)'") }
        return (commands, problems)
    }

    func testEveryCommandEndsWithExamplesThatParseAndValidate() throws {
        try DocumentedCommands.inScratchFolder { folder in
            var parsed = 0
            for (path, type) in Self.commands() {
                let name = (["curvature"] + path).joined(separator: " ")
                let help = Self.help(path, type)
                let (examples, problems) = Self.examples(in: help)
                XCTAssertEqual(problems, [], "\(name) --help")
                XCTAssertTrue((1...3).contains(examples.count), "\(name) --help shows \(examples.count) examples, expected 1–3")
                // The block is the end of the discussion: nothing but USAGE and the option list after it.
                if let block = help.range(of: "Examples"), let usage = help.range(of: "\nUSAGE:") {
                    XCTAssertLessThan(block.lowerBound, usage.lowerBound, "\(name): Examples must end the discussion")
                }
                // Wrapping at 80 columns must not break an example.
                XCTAssertEqual(examples, Self.examples(in: Self.help(path, type, columns: 400)).commands, "\(name): an example line is wider than 79 columns")
                XCTAssertTrue(examples.contains { Array($0.prefix(path.count)) == path }, "\(name): no example runs \(name)")
                for arguments in examples {
                    do {
                        let command = try CurvatureCommand.parseAsRoot(arguments)
                        // A group's examples run its subcommands; merge's also run spectrum.
                        if Array(arguments.prefix(path.count)) == path && type.configuration.subcommands.isEmpty {
                            XCTAssertTrue(Swift.type(of: command) == type, "\(name): `curvature \(arguments.joined(separator: " "))` parses as \(Swift.type(of: command))")
                        }
                        parsed += 1
                    } catch {
                        XCTFail("\(name) --help: `curvature \(arguments.joined(separator: " "))`: \(CurvatureCommand.message(for: error))")
                    }
                    // What an example writes exists for the examples after it (merge's inputs).
                    DocumentedCommands.createOutputs(of: arguments, in: folder)
                }
            }
            XCTAssertGreaterThan(parsed, 20)
        }
    }

    func testTheExampleReaderSeesMistakes() {
        let help = "OVERVIEW: x\n\nExamples:\n  M=Data/m\n  curvature spectrum --model $M.safetensors \\\n    --out a.csv\n  spectrum --k 3\n\nUSAGE: y\n"
        let (examples, problems) = Self.examples(in: help)
        XCTAssertEqual(examples, [["spectrum", "--model", "Data/m.safetensors", "--out", "a.csv"]])
        XCTAssertEqual(problems, ["example line is not a curvature command: 'spectrum --k 3'"])
        XCTAssertEqual(Self.examples(in: "OVERVIEW: x\n").problems, ["no Examples block"])
        XCTAssertThrowsError(try CurvatureCommand.parseAsRoot(["spectrum", "--modle", "m"]))
    }

    /// Every option, flag and argument of every command has a description.
    func testEveryOptionHasADescription() throws {
        let dump = try JSONSerialization.jsonObject(with: Data(CurvatureCommand._dumpHelp().utf8)) as! [String: Any]
        var checked = 0
        func walk(_ command: [String: Any], _ path: [String]) {
            let name = (["curvature"] + path).joined(separator: " ")
            for argument in command["arguments"] as? [[String: Any]] ?? [] where argument["shouldDisplay"] as? Bool != false {
                let names = (argument["names"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                let abstract = (argument["abstract"] as? String ?? "").trimmingCharacters(in: .whitespaces)
                XCTAssertFalse(abstract.isEmpty, "\(name): \(names.isEmpty ? (argument["valueName"] as? String ?? "?") : names.joined(separator: "/")) has no help")
                checked += 1
            }
            for sub in command["subcommands"] as? [[String: Any]] ?? [] {
                let subName = sub["commandName"] as? String ?? "?"
                if subName == "help" { continue }  // ArgumentParser's own
                walk(sub, path + [subName])
            }
        }
        walk(dump["command"] as! [String: Any], [])
        XCTAssertGreaterThan(checked, 100)
    }

    /// Help names only places inside the repository (or the system's), and the repository paths it
    /// names exist.
    func testNoHelpPointsOutsideTheRepository() throws {
        let texts = Self.commands().map { (path: $0.path, text: Self.help($0.path, $0.type, columns: 400)) }
        let outside = ["/work", "shared/", "/home/", "~/", "/Users/", "/tmp", "/root", "/mnt/", "$HOME"]
        for (path, text) in texts {
            for marker in outside where text.contains(marker) {
                XCTFail("curvature \(path.joined(separator: " ")) --help mentions '\(marker)'")
            }
        }
        let pattern = try NSRegularExpression(pattern: #"\b(?:Data|Notebooks-md|Sources|Tests)/[A-Za-z0-9_./{},-]*[A-Za-z0-9_}]"#)
        var named = 0
        for (path, text) in texts {
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let mention = String(text[Range(match.range, in: text)!])
                // A placeholder (an upper-case word or a {a,b} list) names files of a folder that must exist.
                let placeholder = mention.range(of: #"[A-Z]{3,}|\{"#, options: .regularExpression)
                let checked = placeholder.map { String(mention[..<$0.lowerBound]) } ?? mention
                // A path or the start of file names in its folder (compare's M=Data/models/mnist5k-cnn-small).
                let url = Self.repository.appendingPathComponent(checked)
                let siblings = (try? FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)) ?? []
                XCTAssertTrue(FileManager.default.fileExists(atPath: url.path) || siblings.contains { $0.hasPrefix(url.lastPathComponent) },
                              "curvature \(path.joined(separator: " ")) --help names \(mention), but \(checked) is not in the repository")
                named += 1
            }
        }
        XCTAssertGreaterThan(named, 5)
    }
}
