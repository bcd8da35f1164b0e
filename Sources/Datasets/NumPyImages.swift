/// Colour or grey images with their labels as a pair of NumPy `.npy` files (raw or gzip): a folder
/// holding `train_images.npy`, `train_labels.npy`, `test_images.npy`, `test_labels.npy`, or one
/// pair named on the command line.
///
/// Images are `(N, C, H, W)`, `(N, H, W, C)` or `(N, H, W)` (grey), dtype `uint8` (divided by
/// 255) or `float32`/`float64` already in `[0, 1]` (anything else, NaN included, is refused with
/// its flat index, so a wrongly scaled array is not silently fed to a model). The layout of a
/// rank-4 array is inferred by ``layout(of:file:)``. Labels are a 1-D integer array of length N
/// (`int8` … `int64`, `uint8` … `uint64`), each in `0..<65536`. The class count is the largest label + 1: the files
/// carry no class count, and a model needs at least that many outputs. Because a split may lack
/// the highest classes, a folder's train and test splits can come out with different counts.
public enum NumPyImages {
    /// Labels must be below this (so the class count, which sizes per-class tables, stays small).
    public static let maxClassCount = 1 << 16

    /// The file names of a split in a folder.
    public static func fileNames(for split: Split) -> (images: String, labels: String) {
        ("\(split.rawValue)_images.npy", "\(split.rawValue)_labels.npy")
    }

    /// How a rank-4 (or rank-3) images array is laid out, and what was assumed to decide it.
    public struct Layout: Equatable, Sendable {
        /// Whether the channel axis is last (`(N, H, W, C)`), to be moved to second place.
        public let channelsLast: Bool
        public let channels: Int
        public let height: Int
        public let width: Int
        /// Set when both readings were possible and squareness decided: one line for the user.
        public let note: String?
    }

    /// Decides the layout of an images array of shape `shape` (from file `file`).
    ///
    /// `(N, H, W)` is grey. For `(N, a, b, c)`: a channel count of 1 or 3 in second place and not
    /// last means `(N, C, H, W)`, last and not second means `(N, H, W, C)`. When both places (or
    /// neither) hold 1 or 3, the reading that gives square images is taken if only one does (with
    /// a ``Layout/note`` saying so); otherwise the shape is refused, since guessing wrong would
    /// scramble every image without any error.
    public static func layout(of shape: [Int], file: String) throws -> Layout {
        let described = describe(shape)
        guard shape.count == 3 || shape.count == 4, shape.dropFirst().allSatisfy({ $0 > 0 }) else {
            throw DatasetError.unsupported(
                file: file, field: "shape", found: described,
                expected: "(N, C, H, W), (N, H, W, C) or (N, H, W) with positive C, H, W")
        }
        if shape.count == 3 {
            return Layout(channelsLast: false, channels: 1, height: shape[1], width: shape[2], note: nil)
        }
        let (a, b, c) = (shape[1], shape[2], shape[3])
        let first = Layout(channelsLast: false, channels: a, height: b, width: c, note: nil)
        let last = Layout(channelsLast: true, channels: c, height: a, width: b, note: nil)
        let firstPlausible = a == 1 || a == 3, lastPlausible = c == 1 || c == 3
        if firstPlausible != lastPlausible { return firstPlausible ? first : last }
        let firstSquare = b == c, lastSquare = a == b
        guard firstSquare != lastSquare else {
            throw DatasetError.unsupported(
                file: file, field: "shape", found: described,
                expected: "an unambiguous image layout: 1 or 3 channels either second (N, C, H, W) or last (N, H, W, C),"
                    + " or else only one of the two readings giving square images")
        }
        let chosen = firstSquare ? first : last
        let name = firstSquare ? "(N, C, H, W)" : "(N, H, W, C)"
        let note = "\(file): shape \(described) could be (N, C, H, W) or (N, H, W, C); assumed \(name),"
            + " the only one giving square images (\(chosen.channels) channel\(chosen.channels == 1 ? "" : "s") of"
            + " \(chosen.height)×\(chosen.width))"
        return Layout(
            channelsLast: chosen.channelsLast, channels: chosen.channels, height: chosen.height, width: chosen.width, note: note)
    }

    /// Loads a split from a folder holding the four files (each may also be `<name>.gz`).
    public static func load(folder: String, split: Split) throws -> LoadedDataset {
        let (images, labels) = try files(folder: folder, split: split)
        return try load(imagesPath: images, labelsPath: labels)
    }

    /// The images and labels files of a split in a folder.
    ///
    /// - Throws: ``DatasetError/notFound(what:tried:hint:)`` naming the missing file.
    public static func files(folder: String, split: Split) throws -> (images: String, labels: String) {
        let names = fileNames(for: split)
        return (try IDX.findFile(names.images, in: folder), try IDX.findFile(names.labels, in: folder))
    }

    /// Loads an images file and a labels file; the result's ``LoadedDataset/notes`` holds the
    /// layout note, if any.
    ///
    /// Labels are read first (they are small) so their count checks the images header before the
    /// images payload is read; every size a header claims is checked against the file first.
    public static func load(imagesPath: String, labelsPath: String) throws -> LoadedDataset {
        let (labels, classCount) = try readLabels(atPath: labelsPath)

        let reader = try ByteReader(path: imagesPath)
        let header = try NumPyHeader.read(from: reader)
        let dtype = try NumPy.DType(header, file: imagesPath, allowed: ["u1", "f4", "f8"], meaning: "uint8, float32 or float64 images")
        let layout = try self.layout(of: header.shape, file: imagesPath)
        guard header.shape[0] == labels.count else {
            throw DatasetError.countMismatch(imagesFile: imagesPath, images: header.shape[0], labelsFile: labelsPath, labels: labels.count)
        }
        let data = try NumPy.payload(reader, header, dtype)
        var pixels: [Float]
        switch dtype.code {
        case "u1": pixels = PixelScale.floats(data)
        case "f4": pixels = try unitPixels(data, dtype, file: imagesPath) { Double(Float(bitPattern: UInt32(truncatingIfNeeded: $0))) }
        default: pixels = try unitPixels(data, dtype, file: imagesPath) { Double(bitPattern: $0) }
        }
        if layout.channelsLast {
            pixels = channelsFirst(pixels, count: labels.count, pixelsPerChannel: layout.height * layout.width, channels: layout.channels)
        }
        let images = LabeledImages(
            unchecked: pixels, labels: labels,
            channels: layout.channels, height: layout.height, width: layout.width, classCount: classCount)
        return LoadedDataset(images: images, notes: layout.note.map { [$0] } ?? [])
    }

    /// Reads a 1-D integer labels file; returns the labels and their class count (largest + 1).
    public static func readLabels(atPath path: String) throws -> (labels: [Int32], classCount: Int) {
        let reader = try ByteReader(path: path)
        let header = try NumPyHeader.read(from: reader)
        let dtype = try NumPy.DType(
            header, file: path, allowed: ["i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8"], meaning: "integer labels (int8 … uint64)")
        guard header.shape.count == 1, header.shape[0] > 0 else {
            throw DatasetError.unsupported(file: path, field: "shape", found: describe(header.shape), expected: "(N,) with N ≥ 1 for labels")
        }
        let data = try NumPy.payload(reader, header, dtype)
        var largest = 0
        let labels = try [Int32](unsafeUninitializedCapacity: header.shape[0]) { labels, initialized in
            try data.withUnsafeBytes { raw in
                for index in 0 ..< header.shape[0] {
                    let bits = dtype.bits(raw, index)
                    let label: Int
                    switch dtype.code {
                    case "i1": label = Int(Int8(truncatingIfNeeded: bits))
                    case "i2": label = Int(Int16(truncatingIfNeeded: bits))
                    case "i4": label = Int(Int32(truncatingIfNeeded: bits))
                    case "i8": label = Int(Int64(bitPattern: bits))
                    default:
                        // Unsigned: a value beyond Int.max is quoted as it is, not as a clamped Int.
                        guard let value = Int(exactly: bits) else {
                            throw DatasetError.badValue(
                                file: path, location: "label at index \(index)", found: "\(bits)", expected: "0..<\(maxClassCount)")
                        }
                        label = value
                    }
                    guard label >= 0 && label < maxClassCount else {
                        throw DatasetError.labelOutOfRange(file: path, index: index, label: label, classCount: maxClassCount)
                    }
                    labels[index] = Int32(label)
                    largest = max(largest, label)
                    initialized = index + 1
                }
            }
        }
        return (labels, largest + 1)
    }

    /// Converts floating-point pixels, refusing any outside `[0, 1]` (NaN included) by flat index.
    private static func unitPixels(
        _ data: [UInt8], _ dtype: NumPy.DType, file: String, convert: (UInt64) -> Double
    ) throws -> [Float] {
        let count = data.count / dtype.size
        return try [Float](unsafeUninitializedCapacity: count) { values, initialized in
            try data.withUnsafeBytes { raw in
                for index in 0 ..< count {
                    let value = convert(dtype.bits(raw, index))
                    guard value >= 0 && value <= 1 else {
                        throw DatasetError.badValue(
                            file: file, location: "pixel at flat index \(index)", found: "\(value)", expected: "a value in [0, 1]")
                    }
                    values[index] = Float(value)
                    initialized = index + 1
                }
            }
        }
    }

    /// `(N, H, W, C)` → `(N, C, H, W)`.
    private static func channelsFirst(_ pixels: [Float], count: Int, pixelsPerChannel: Int, channels: Int) -> [Float] {
        guard channels > 1 else { return pixels }  // one channel: the same order either way
        let perImage = pixelsPerChannel * channels
        return [Float](unsafeUninitializedCapacity: pixels.count) { target, initialized in
            pixels.withUnsafeBufferPointer { source in
                for image in 0 ..< count {
                    let base = image * perImage
                    for position in 0 ..< pixelsPerChannel {
                        for channel in 0 ..< channels {
                            target[base + channel * pixelsPerChannel + position] = source[base + position * channels + channel]
                        }
                    }
                }
            }
            initialized = pixels.count
        }
    }

    /// `(10, 28, 28)`, the way NumPy prints a shape.
    private static func describe(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }
}
