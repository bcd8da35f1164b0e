import Foundation
import XCTest

extension ExecutableTestCase {
    /// Every file under the scratch folder (hidden ones too) with its bytes, and every folder.
    func scratchContents() -> [String: Data?] {
        var contents: [String: Data?] = [:]
        let base = directory.standardizedFileURL.path
        let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isDirectoryKey])
        while let url = walker?.nextObject() as? URL {
            let name = String(url.standardizedFileURL.path.dropFirst(base.count + 1))
            contents[name] = (try? url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true ? .some(nil) : try? Data(contentsOf: url)
        }
        return contents
    }

    /// Runs a command that must be refused and checks the refusal whole: exit `status` (2 usage,
    /// 1 bad input), one line on stderr holding `message` (its stable part, naming the option and
    /// value), and the scratch folder as it was: nothing written (no result, .partial,
    /// .partial.json, .meta.json, model, figure or temporary file) and nothing changed. Returns stderr.
    @discardableResult
    func assertRefused(_ arguments: [String], status expected: Int32, message: String,
                       file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let before = scratchContents()
        let result = try status(arguments)
        let command = "curvature \(arguments.joined(separator: " "))"
        XCTAssertEqual(result.status, expected, "\(command): \(result.stderr)", file: file, line: line)
        XCTAssertTrue(result.stderr.contains(message), "\(command): expected '\(message)' in \(result.stderr)", file: file, line: line)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "\(command): one line: \(result.stderr)", file: file, line: line)
        let after = scratchContents()
        let added = after.keys.filter { before[$0] == nil }.sorted(), removed = before.keys.filter { after[$0] == nil }.sorted()
        let changed = before.keys.filter { after[$0] != nil && after[$0]! != before[$0]! }.sorted()
        XCTAssertEqual(added + removed + changed, [], "\(command) left the folder changed: added \(added), removed \(removed), changed \(changed)",
                       file: file, line: line)
        return result.stderr
    }
}
