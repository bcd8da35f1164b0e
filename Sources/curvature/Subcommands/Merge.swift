import ArgumentParser
import Curvature
import Foundation

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join the CSV files of shards into one, as an unsharded run would have written it.",
        discussion: "Rows are ordered by their first column (the sample), keeping each sample's rows in order; headers must agree and no sample may appear in two files.")

    @Argument(help: "Shard CSV files.")
    var inputs: [String]

    @Option(help: "Output CSV.")
    var out: String

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give at least one input CSV") }
    }

    func run() throws {
        var header: String?
        var groups: [(sample: Int, lines: [String])] = []
        var owner: [Int: String] = [:]
        for path in inputs {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw InputError("\(path): cannot read") }
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if lines.last == "" { lines.removeLast() }
            guard let first = lines.first else { throw InputError("\(path): empty file, expected a CSV header") }
            if let header, header != first { throw InputError("\(path): header '\(first)' differs from '\(header)'") }
            header = first
            for (number, line) in lines.dropFirst().enumerated() {
                guard let sample = line.split(separator: ",").first.flatMap({ Int($0) }) else {
                    throw InputError("\(path): line \(number + 2) does not start with a sample index")
                }
                if let other = owner[sample], other != path { throw InputError("\(path): sample \(sample) also appears in \(other)") }
                owner[sample] = path
                if groups.last?.sample == sample { groups[groups.count - 1].lines.append(line) } else { groups.append((sample, [line])) }
            }
        }
        let sorted = groups.enumerated().sorted { ($0.element.sample, $0.offset) < ($1.element.sample, $1.offset) }.map(\.element)
        let text = ([header!] + sorted.flatMap(\.lines)).map { $0 + "\n" }.joined()
        try AtomicFile.write(text, to: URL(fileURLWithPath: out))
    }
}
