import ArgumentParser
import Curvature
import Foundation

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join the CSV files of shards into one, as an unsharded run would have written it.",
        discussion: """
            Rows are ordered by their first column (the sample; in compare's spectra.csv the model, \
            then the sample), keeping each sample's rows in order; headers must agree and no sample \
            may appear in two files. Only the parts of one run join: each part's <part>.meta.json \
            must record the same settings but the shard (k, method, model and data checksums, dtype, \
            seed, batch size, …), and the shards must be i/n of one n, each once, none missing; \
            otherwise merge names the first difference and writes nothing (exit 1). It writes \
            <out>.meta.json: the shared settings with shard 1/1, and each part's own record under \
            "parts". --no-meta-check joins files without reading their meta (from elsewhere, or \
            partial on purpose) and writes no meta.

            Examples (two shards of one spectrum run, then the join):
              curvature spectrum --shard 1/2 --out part1.csv \\
                --model Data/models/mnist5k-cnn-small-standard.safetensors \\
                --data mnist5k --samples 100
              curvature spectrum --shard 2/2 --out part2.csv \\
                --model Data/models/mnist5k-cnn-small-standard.safetensors \\
                --data mnist5k --samples 100
              curvature merge part1.csv part2.csv --out merged.csv
            """)

    @Argument(help: "Shard CSV files (of spectrum, density, trace, or compare's spectra.csv), each with its .meta.json beside it.")
    var inputs: [String]

    @Option(help: "Output CSV: all inputs' rows, as one unsharded run writes them (also writes <out>.meta.json).")
    var out: String

    @Flag(name: .customLong("no-meta-check"), help: "Join the files without checking, from their .meta.json, that they are the shards of one run (none missing); no <out>.meta.json is written.")
    var noMetaCheck = false

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give at least one input CSV") }
        try OutputPath.checkFile(out, option: "--out")
        var seen: [String: String] = [:]
        for path in inputs {
            try InputPath.checkFile(path, option: "input")
            let resolved = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
            if let earlier = seen[resolved] { throw ValidationError("\(path) is given twice (also as \(earlier)); each shard once") }
            seen[resolved] = path
        }
    }

    /// A row's group: its sample, and in compare's spectra.csv (`model,sample,…`) its model first.
    private struct Key: Hashable {
        var model: String?
        var sample: Int
    }

    func run() throws {
        let parts = noMetaCheck ? nil : try RunParts(files: inputs)
        var header: String?
        var groups: [(key: Key, lines: [String])] = []
        var owner: [Key: String] = [:]
        var modelOrder: [String: Int] = [:]
        for path in inputs {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw InputError("\(path): cannot read") }
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if lines.last == "" { lines.removeLast() }
            guard let first = lines.first else { throw InputError("\(path): empty file, expected a CSV header") }
            if let header, header != first { throw InputError("\(path): header '\(first)' differs from '\(header)'") }
            header = first
            let byModel = first.hasPrefix("model,sample,")
            for (number, line) in lines.dropFirst().enumerated() {
                let fields = line.split(separator: ",", maxSplits: 2, omittingEmptySubsequences: false)
                let model = byModel ? fields.first.map(String.init) : nil
                guard let sample = fields.dropFirst(byModel ? 1 : 0).first.flatMap({ Int($0) }) else {
                    throw InputError("\(path): line \(number + 2) does not start with \(byModel ? "a model and " : "")a sample index")
                }
                let key = Key(model: model, sample: sample)
                if let other = owner[key], other != path {
                    throw InputError("\(path): \(model.map { "model \($0), " } ?? "")sample \(sample) also appears in \(other)")
                }
                owner[key] = path
                if let model, modelOrder[model] == nil { modelOrder[model] = modelOrder.count }
                if groups.last?.key == key { groups[groups.count - 1].lines.append(line) } else { groups.append((key, [line])) }
            }
        }
        // A sample's rows stay together and in order; a key met twice in one file is kept where it stands.
        let sorted = groups.enumerated().sorted {
            ($0.element.key.model.flatMap { modelOrder[$0] } ?? 0, $0.element.key.sample, $0.offset)
                < ($1.element.key.model.flatMap { modelOrder[$0] } ?? 0, $1.element.key.sample, $1.offset)
        }.map(\.element)
        // Every input has a header (an empty one is refused above), and there is at least one input.
        let text = ([header ?? ""] + sorted.flatMap(\.lines)).map { $0 + "\n" }.joined()
        try AtomicFile.write(text, to: URL(fileURLWithPath: out))
        let meta = URL(fileURLWithPath: out + ".meta.json")
        guard let parts else {
            // An earlier merge's meta would vouch for a file it no longer describes.
            try? FileManager.default.removeItem(at: meta)
            return
        }
        let record = try JSONSerialization.data(withJSONObject: parts.mergedMeta(command: CommandLine.arguments.joined(separator: " ")),
                                                options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write(record, to: meta)
    }
}
