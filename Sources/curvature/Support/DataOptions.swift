import ArgumentParser
import Curvature
import Foundation

/// `--data NAME|FOLDER|IMAGES.npy [--labels LABELS.npy] [--split train|test] [--samples N] [--offset O]`.
struct DataOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The images: fashion-mnist (28×28, 60000/10000), mnist5k (Data/mnist_5k.csv.gz, 4000/1000), cifar10 (3×32×32, 50000/10000, $CURVATURE_DATA/cifar-10-batches-bin), a folder of MNIST-style IDX files, of CIFAR-10 binary batches (data_batch_1.bin…, test_batch.bin, also in cifar-10-batches-bin/) or of train_images.npy, train_labels.npy, test_images.npy, test_labels.npy, or one images .npy with --labels.",
        valueName: "name|folder|images.npy"))
    var data: String

    @Option(help: ArgumentHelp(
        "With --data IMAGES.npy: its labels (.npy, N integers; classes 0…largest label). The pair is the whole set, so no --split.",
        valueName: "labels.npy"))
    var labels: String?

    // Optional so that a --split given together with --labels can be told from the default.
    @Option(name: .customLong("split"), help: "The split the samples come from (default: test).")
    var splitOption: Split?

    @Option(parsing: .unconditional, help: "How many samples, from --offset on (default: all to the end of the split).")
    var samples: Int?

    @Option(parsing: .unconditional, help: "Index of the first sample within the split (0-based).")
    var offset: Int = 0

    /// The split read: `--split`, else test (an images/labels pair ignores it).
    var split: Split { splitOption ?? .test }

    /// What a run's record says of the data: the name, folder or images file, the split — `whole`
    /// for an images/labels pair, which has none — and the pair's labels file.
    var record: [String: String] {
        var record = ["data": data, "split": labels == nil ? split.rawValue : "whole"]
        if let labels { record["labels"] = labels }
        return record
    }

    func validate() throws {
        if let samples, samples < 1 { throw ValidationError("--samples must be ≥ 1, got \(samples)") }
        guard offset >= 0 else { throw ValidationError("--offset must be ≥ 0, got \(offset)") }
        if let labels {
            guard DataSource.isNumPyFile(data) else {
                throw ValidationError("--labels goes with --data IMAGES.npy, not --data \(data)")
            }
            if let splitOption {
                throw ValidationError("--split \(splitOption) has no meaning with --labels: --data \(data) and --labels \(labels) are the whole set")
            }
            try InputPath.checkFile(data, option: "--data")
            try InputPath.checkFile(labels, option: "--labels")
        } else if DataSource.isNumPyFile(data) {
            throw ValidationError("--data \(data) is an images .npy: name its labels with --labels LABELS.npy")
        }
    }

    /// What `--data` and `--labels` name.
    func source() throws -> DataSource { try DataSource(data, labels: labels) }

    /// Loads the split, printing on stderr what the loader had to assume (one line each).
    func load() throws -> LabeledImages {
        let loaded = try loadDataset(try source(), split: split)
        for note in loaded.notes { FileHandle.standardError.write(Data("\(note)\n".utf8)) }
        return loaded.images
    }

    /// The sha256 of the files read, the labels of a pair included (see ``dataChecksum(_:split:)``).
    func checksum() throws -> String { try dataChecksum(try source(), split: split) }

    /// The sample range within the split, checked against its size.
    func range(in images: LabeledImages) throws -> Range<Int> {
        let count = samples ?? (images.count - offset)
        guard offset < images.count, offset + count <= images.count else {
            let set = labels == nil ? "\(data)'s \(split) split" : "\(data)"
            throw ValidationError("--offset \(offset) with --samples \(count) goes beyond the \(images.count) images of \(set)")
        }
        return offset..<(offset + count)
    }
}

/// The sha256 of the files a split is read from, comma-separated, for run records.
func dataChecksum(_ source: DataSource, split: Split) throws -> String {
    try datasetFiles(source, split: split).map { try SHA256.hex(fileAt: URL(fileURLWithPath: $0)) }.joined(separator: ",")
}

/// ``dataChecksum(_:split:)`` of a name or folder; a lone images `.npy` gives its own checksum only.
func dataChecksum(_ name: String, split: Split) throws -> String {
    try datasetFiles(name, split: split).map { try SHA256.hex(fileAt: URL(fileURLWithPath: $0)) }.joined(separator: ",")
}
