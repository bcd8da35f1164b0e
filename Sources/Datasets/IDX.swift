/// The IDX format of MNIST and its relatives (Fashion-MNIST, KMNIST, EMNIST), raw or gzip.
///
/// A file is the magic `00 00 <dtype> <rank>`, then `rank` big-endian 32-bit dimensions, then the
/// elements row-major. Images are rank 3 (`N × H × W`) and labels rank 1 (`N`), both unsigned
/// bytes (dtype `0x08`).
public enum IDX {
    /// The dtype byte for unsigned bytes, the only one image and label files use.
    public static let unsignedByte: UInt8 = 0x08

    /// The standard MNIST file names of a split, without the optional `.gz`.
    public static func fileNames(for split: Split) -> (images: String, labels: String) {
        switch split {
        case .train: return ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
        case .test: return ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
        }
    }

    /// Loads a split from a directory holding files with the MNIST names, each raw or `.gz`.
    ///
    /// The raw file is taken when both exist (no inflating needed).
    /// - Throws: ``DatasetError/notFound(what:tried:hint:)`` when a file is missing, and any error
    ///   of ``load(imagesPath:labelsPath:classCount:)``.
    public static func load(directory: String, split: Split, classCount: Int = 10) throws -> LabeledImages {
        let names = fileNames(for: split)
        return try load(
            imagesPath: try findFile(names.images, in: directory),
            labelsPath: try findFile(names.labels, in: directory),
            classCount: classCount)
    }

    /// Loads an images file and a labels file.
    ///
    /// Checks the magic, dtype and rank of both, that the dimensions' product fits in 64 bits and
    /// equals the bytes the file holds (before allocating for them), that both files hold the
    /// same number of samples and that every label is below `classCount`.
    /// - Returns: `N × 1 × H × W` pixels scaled to `[0, 1]` and their labels.
    public static func load(imagesPath: String, labelsPath: String, classCount: Int = 10) throws -> LabeledImages {
        guard classCount > 0 else {
            throw DatasetError.invalidArgument(context: "IDX.load", found: "classCount \(classCount)", expected: "at least 1")
        }
        // Labels first: they are small, and their count lets the images header be checked
        // before the large images payload is read.
        let labelsReader = try ByteReader(path: labelsPath)
        let labelDims = try readHeader(labelsReader, rank: 1, shapeName: "N labels")
        let labelBytes = try labelsReader.readPayload(
            expected: labelDims[0], claim: "\(labelDims[0]) labels", unit: "label bytes")
        if let bad = labelBytes.firstIndex(where: { Int($0) >= classCount }) {
            throw DatasetError.labelOutOfRange(file: labelsPath, index: bad, label: Int(labelBytes[bad]), classCount: classCount)
        }

        let imagesReader = try ByteReader(path: imagesPath)
        let dims = try readHeader(imagesReader, rank: 3, shapeName: "N×H×W images")
        guard dims[0] == labelBytes.count else {
            throw DatasetError.countMismatch(imagesFile: imagesPath, images: dims[0], labelsFile: labelsPath, labels: labelBytes.count)
        }
        guard dims[1] > 0, dims[2] > 0 else {
            throw DatasetError.unsupported(
                file: imagesPath, field: "image size", found: "\(dims[1])×\(dims[2])", expected: "at least 1×1")
        }
        let pixels = try imagesReader.readPayload(
            expected: dims[0] * dims[1] * dims[2], claim: dims.map(String.init).joined(separator: "×"), unit: "pixel bytes")
        return LabeledImages(
            unchecked: PixelScale.floats(pixels), labels: labelBytes.map(Int32.init),
            channels: 1, height: dims[1], width: dims[2], classCount: classCount)
    }

    /// Reads and checks the magic and dimensions; returns dimensions whose product fits in `Int`.
    static func readHeader(_ reader: ByteReader, rank: Int, shapeName: String) throws -> [Int] {
        let file = reader.path
        let magic = try reader.readField(4, field: "IDX magic")
        guard magic[0] == 0, magic[1] == 0 else {
            throw DatasetError.badMagic(file: file, found: magic, expected: [0, 0, unsignedByte, UInt8(rank)])
        }
        guard magic[2] == unsignedByte else {
            throw DatasetError.unsupported(file: file, field: "dtype", found: dtypeName(magic[2]), expected: dtypeName(unsignedByte))
        }
        guard Int(magic[3]) == rank else {
            throw DatasetError.unsupported(file: file, field: "rank", found: "\(magic[3])", expected: "\(rank) (\(shapeName))")
        }
        let raw = try reader.readField(4 * rank, field: "IDX dimensions (\(rank) × 4 bytes)")
        let dims = (0 ..< rank).map { axis in
            raw[4 * axis ..< 4 * axis + 4].reduce(0) { $0 << 8 | Int($1) }  // big-endian
        }
        try checkShapeProduct(dims, file: file, field: "dimensions")
        return dims
    }

    /// `0x0D (float32)`: the dtype byte with its meaning, for error messages.
    static func dtypeName(_ code: UInt8) -> String {
        let names: [UInt8: String] = [
            0x08: "unsigned byte", 0x09: "signed byte", 0x0B: "int16", 0x0C: "int32", 0x0D: "float32", 0x0E: "float64",
        ]
        let digits = String(code, radix: 16, uppercase: true)
        return "0x" + (digits.count == 1 ? "0" : "") + digits + " (\(names[code] ?? "unknown"))"
    }

    /// `directory/name`, else `directory/name.gz`.
    static func findFile(_ name: String, in directory: String) throws -> String {
        let base = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        let candidates = [base, base + ".gz"]
        guard let found = candidates.first(where: isRegularFile) else {
            throw DatasetError.notFound(what: name, tried: candidates, hint: "")
        }
        return found
    }
}
