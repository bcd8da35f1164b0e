import Foundation

/// CIFAR-10's binary version (`cifar-10-binary.tar.gz`), as unpacked into `cifar-10-batches-bin/`.
///
/// A batch file is a run of 3,073-byte records: one label byte (0–9), then the 32×32 image as
/// 1,024 red, 1,024 green and 1,024 blue bytes, each plane row-major. That is already
/// channels × height × width, so a record's pixels are copied as they are. The training split is
/// `data_batch_1.bin` … `data_batch_5.bin` (50,000 images), the test split `test_batch.bin`
/// (10,000). The format has exactly ten classes, so a label byte of 10 or more is refused: such a
/// file is not CIFAR-10 (CIFAR-100's records, for one, have two label bytes).
public enum CIFAR10 {
    public static let channels = 3
    public static let height = 32
    public static let width = 32
    public static let classCount = 10
    /// One label byte and the 3×32×32 pixel bytes.
    public static let recordSize = 1 + 3 * 32 * 32
    /// The folder the official archive unpacks into.
    public static let folderName = "cifar-10-batches-bin"
    /// Where the official archive is published.
    public static let downloadPage = "https://www.cs.toronto.edu/~kriz/cifar.html"
    /// CIFAR-10 holds 60,000 images in all: a larger (e.g. inflated) batch file is not CIFAR-10,
    /// and the bound keeps a decompression bomb from growing the buffer without end.
    public static let maxRecordsPerFile = 60_000

    /// The batch files of a split, in the order their images are concatenated.
    public static func fileNames(for split: Split) -> [String] {
        switch split {
        case .train: return (1 ... 5).map { "data_batch_\($0).bin" }
        case .test: return ["test_batch.bin"]
        }
    }

    /// The batch folder `--data cifar10` reads: `cifar-10-batches-bin` in the first of
    /// ``DataDirectory/candidates(environment:currentDirectory:executablePath:)`` that has one.
    ///
    /// - Throws: ``DatasetError/notFound(what:tried:hint:)`` listing every folder tried and how to
    ///   get the archive.
    public static func locate(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        currentDirectory: String = FileManager.default.currentDirectoryPath,
        executablePath: String? = DataDirectory.currentExecutablePath()
    ) throws -> String {
        let candidates = DataDirectory.candidates(
            environment: environment, currentDirectory: currentDirectory, executablePath: executablePath)
        let tried = candidates.map { joinPath($0, folderName) }
        guard let found = tried.first(where: isDirectory) else {
            let target = candidates.first ?? "."
            throw DatasetError.notFound(
                what: "CIFAR-10", tried: tried,
                hint: "download cifar-10-binary.tar.gz from \(downloadPage) and unpack it into \(target)"
                    + " (`tar xzf cifar-10-binary.tar.gz -C \(target)` makes \(joinPath(target, folderName))),"
                    + " or set \(DataDirectory.environmentVariable) to a folder that holds \(folderName)")
        }
        return found
    }

    /// The folder holding the batch files: `directory` itself, else `directory/cifar-10-batches-bin`;
    /// nil when neither holds any batch file of either split.
    public static func batchFolder(in directory: String) -> String? {
        let names = Split.allCases.flatMap(fileNames(for:))
        return [directory, joinPath(directory, folderName)].first { folder in
            names.contains { isRegularFile(joinPath(folder, $0)) }
        }
    }

    /// The files `load(folder:split:)` reads.
    ///
    /// - Throws: ``DatasetError/notFound(what:tried:hint:)`` naming the first missing batch file.
    public static func files(folder: String, split: Split) throws -> [String] {
        try fileNames(for: split).map { name in
            let path = joinPath(folder, name)
            guard isRegularFile(path) else {
                throw DatasetError.notFound(
                    what: name, tried: [path], hint: "the CIFAR-10 \(split) split needs \(fileNames(for: split).joined(separator: ", "))")
            }
            return path
        }
    }

    /// Loads a split from the folder holding the batch files (see ``batchFolder(in:)``).
    ///
    /// - Returns: `N × 3 × 32 × 32` pixels in `[0, 1]`, labels in `0..<10`.
    public static func load(folder: String, split: Split) throws -> LabeledImages {
        let paths = try files(folder: folder, split: split)
        var pixels: [UInt8] = []
        var labels: [Int32] = []
        for path in paths {
            try readBatch(atPath: path, appendingTo: &pixels, labels: &labels)
        }
        return LabeledImages(
            unchecked: PixelScale.floats(pixels), labels: labels,
            channels: channels, height: height, width: width, classCount: classCount)
    }

    /// Reads one batch file (raw or gzip).
    public static func readBatch(atPath path: String) throws -> LabeledImages {
        var pixels: [UInt8] = []
        var labels: [Int32] = []
        try readBatch(atPath: path, appendingTo: &pixels, labels: &labels)
        return LabeledImages(
            unchecked: PixelScale.floats(pixels), labels: labels,
            channels: channels, height: height, width: width, classCount: classCount)
    }

    /// Checks the size (a positive multiple of the record size) and every label, then appends.
    static func readBatch(atPath path: String, appendingTo pixels: inout [UInt8], labels: inout [Int32]) throws {
        let limit = maxRecordsPerFile * recordSize
        let bytes: [UInt8]
        do {
            bytes = try Gzip.readFile(atPath: path, maxBytes: limit)
        } catch DatasetError.tooLarge(let file, _, _) {
            throw DatasetError.tooLarge(file: file, what: "a CIFAR-10 batch file (at most \(maxRecordsPerFile) records)", limit: limit)
        }
        guard !bytes.isEmpty, bytes.count % recordSize == 0 else {
            throw DatasetError.unsupported(
                file: path, field: "size", found: "\(bytes.count) bytes",
                expected: "a positive multiple of \(recordSize) (1 label byte + 3×32×32 pixel bytes per record)")
        }
        let records = bytes.count / recordSize
        pixels.reserveCapacity(pixels.count + records * (recordSize - 1))
        labels.reserveCapacity(labels.count + records)
        for record in 0 ..< records {
            let start = record * recordSize
            let label = bytes[start]
            guard label < classCount else {
                throw DatasetError.labelOutOfRange(file: path, index: record, label: Int(label), classCount: classCount)
            }
            labels.append(Int32(label))
            pixels.append(contentsOf: bytes[start + 1 ..< start + recordSize])
        }
    }
}
