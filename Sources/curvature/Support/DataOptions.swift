import ArgumentParser
import Curvature
import Foundation

/// `--data NAME|DIR --split train|test [--samples N] [--offset O]`.
struct DataOptions: ParsableArguments {
    @Option(help: "The images: fashion-mnist (28×28, 60000/10000), mnist5k (Data/mnist_5k.csv.gz, 4000/1000) or a folder of MNIST-style IDX files.")
    var data: String

    @Option(help: "The split the samples come from.")
    var split: Split = .test

    @Option(parsing: .unconditional, help: "How many samples, from --offset on (default: all to the end of the split).")
    var samples: Int?

    @Option(parsing: .unconditional, help: "Index of the first sample within the split (0-based).")
    var offset: Int = 0

    func validate() throws {
        if let samples, samples < 1 { throw ValidationError("--samples must be ≥ 1, got \(samples)") }
        guard offset >= 0 else { throw ValidationError("--offset must be ≥ 0, got \(offset)") }
    }

    func load() throws -> LabeledImages { try loadDataset(data, split: split) }

    /// The sample range within the split, checked against its size.
    func range(in images: LabeledImages) throws -> Range<Int> {
        let count = samples ?? (images.count - offset)
        guard offset < images.count, offset + count <= images.count else {
            throw ValidationError("--offset \(offset) with --samples \(count) goes beyond the \(images.count) images of \(data)'s \(split) split")
        }
        return offset..<(offset + count)
    }
}

/// The sha256 of the files a split is read from, comma-separated, for run records.
func dataChecksum(_ name: String, split: Split) throws -> String {
    try datasetFiles(name, split: split).map { try SHA256.hex(fileAt: URL(fileURLWithPath: $0)) }.joined(separator: ",")
}
