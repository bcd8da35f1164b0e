/// NumPy `.npy` files of images and labels, as `numpy.save` writes them.
///
/// Images: dtype `uint8` (divided by 255) or `float32`/`float64` (taken as is, but they must be
/// finite), shape `[N, H, W]`, `[N, C, H, W]` or `[N, 784]` (read as 28×28). Labels: dtype
/// `int64`, `int32` or `uint8`, shape `[N]`. Either byte order; C order only.
public enum NumPy {
    /// Loads an images file and a labels file.
    ///
    /// Checks the magic, version, header length against the file, dtype, memory order, shape and
    /// its product, data size against the file (before allocating for it), matching counts, finite
    /// pixels and labels in `0..<classCount`.
    public static func load(imagesPath: String, labelsPath: String, classCount: Int = 10) throws -> LabeledImages {
        guard classCount > 0 else {
            throw DatasetError.invalidArgument(context: "NumPy.load", found: "classCount \(classCount)", expected: "at least 1")
        }
        let labels = try readLabels(atPath: labelsPath, classCount: classCount)

        let reader = try ByteReader(path: imagesPath)
        let header = try NumPyHeader.read(from: reader)
        let dtype = try DType(header, file: imagesPath, allowed: ["u1", "f4", "f8"], meaning: "uint8, float32 or float64 images")
        let (count, channels, height, width) = try imageShape(header, file: imagesPath)
        guard count == labels.count else {
            throw DatasetError.countMismatch(imagesFile: imagesPath, images: count, labelsFile: labelsPath, labels: labels.count)
        }
        let data = try payload(reader, header, dtype)
        let pixels: [Float]
        switch dtype.code {
        case "u1": pixels = PixelScale.floats(data)
        case "f4": pixels = try finite(data, dtype, file: imagesPath) { Float(bitPattern: UInt32(truncatingIfNeeded: $0)) }
        default: pixels = try finite(data, dtype, file: imagesPath) { Float(Double(bitPattern: $0)) }
        }
        return LabeledImages(
            unchecked: pixels, labels: labels, channels: channels, height: height, width: width, classCount: classCount)
    }

    /// Reads a labels file: shape `[N]`, each label in `0..<classCount`.
    public static func readLabels(atPath path: String, classCount: Int) throws -> [Int32] {
        let reader = try ByteReader(path: path)
        let header = try NumPyHeader.read(from: reader)
        let dtype = try DType(header, file: path, allowed: ["i8", "i4", "u1"], meaning: "int64, int32 or uint8 labels")
        guard header.shape.count == 1 else {
            throw DatasetError.unsupported(file: path, field: "shape", found: header.shapeDescription, expected: "(N,) for labels")
        }
        let data = try payload(reader, header, dtype)
        return try [Int32](unsafeUninitializedCapacity: header.shape[0]) { labels, initialized in
            try data.withUnsafeBytes { raw in
                for index in 0 ..< header.shape[0] {
                    let label = dtype.signedElement(raw, index)
                    guard label >= 0 && label < classCount else {
                        throw DatasetError.labelOutOfRange(file: path, index: index, label: label, classCount: classCount)
                    }
                    labels[index] = Int32(label)
                    initialized = index + 1
                }
            }
        }
    }

    /// `[N, H, W]` → `(N, 1, H, W)`, `[N, C, H, W]` as is, `[N, 784]` → `(N, 1, 28, 28)`.
    private static func imageShape(_ header: NumPyHeader, file: String) throws -> (Int, Int, Int, Int) {
        let shape = header.shape
        let unsupported = DatasetError.unsupported(
            file: file, field: "shape", found: header.shapeDescription,
            expected: "(N, H, W), (N, C, H, W) or (N, 784) with positive C, H, W")
        guard shape.dropFirst().allSatisfy({ $0 > 0 }) else { throw unsupported }
        switch shape.count {
        case 2 where shape[1] == 784: return (shape[0], 1, 28, 28)
        case 3: return (shape[0], 1, shape[1], shape[2])
        case 4: return (shape[0], shape[1], shape[2], shape[3])
        default: throw unsupported
        }
    }

    /// The data bytes, after checking the size the header implies against the file.
    static func payload(_ reader: ByteReader, _ header: NumPyHeader, _ dtype: DType) throws -> [UInt8] {
        if header.fortranOrder {
            throw DatasetError.unsupported(file: reader.path, field: "fortran_order", found: "True", expected: "False (C order)")
        }
        let elements = header.shape.reduce(1, *)  // NumPyHeader.read checked for overflow
        let (bytes, overflow) = elements.multipliedReportingOverflow(by: dtype.size)
        guard !overflow else {
            throw DatasetError.overflow(
                file: reader.path, field: "shape × item size",
                product: (header.shape + [dtype.size]).map(String.init).joined(separator: "×"))
        }
        return try reader.readPayload(
            expected: bytes, claim: "shape \(header.shapeDescription) of \(header.descr)", unit: "data bytes")
    }

    /// Converts floating-point elements, rejecting NaN and infinity (also from float64 overflowing float32).
    private static func finite(
        _ data: [UInt8], _ dtype: DType, file: String, convert: (UInt64) -> Float
    ) throws -> [Float] {
        let count = data.count / dtype.size
        return try [Float](unsafeUninitializedCapacity: count) { values, initialized in
            try data.withUnsafeBytes { raw in
                for index in 0 ..< count {
                    let value = convert(dtype.bits(raw, index))
                    guard value.isFinite else {
                        throw DatasetError.badValue(file: file, location: "element \(index)", found: "\(value)", expected: "a finite pixel")
                    }
                    values[index] = value
                    initialized = index + 1
                }
            }
        }
    }

    /// A parsed `descr`: kind and size (`f4`) plus byte order.
    struct DType {
        let code: String
        let size: Int
        let bigEndian: Bool

        init(_ header: NumPyHeader, file: String, allowed: [String], meaning: String) throws {
            var descr = Substring(header.descr)
            var bigEndian = false
            if let order = descr.first, "<>|=".contains(order) {
                bigEndian = order == ">" || (order == "=" && 1.bigEndian == 1)
                descr = descr.dropFirst()
            }
            guard allowed.contains(String(descr)), let size = Int(descr.dropFirst()) else {
                throw DatasetError.unsupported(file: file, field: "dtype", found: "'\(printable(header.descr))'", expected: meaning)
            }
            self.code = String(descr)
            self.size = size
            self.bigEndian = bigEndian
        }

        /// The raw bits of element `index`, in host order.
        func bits(_ raw: UnsafeRawBufferPointer, _ index: Int) -> UInt64 {
            switch size {
            case 1: return UInt64(raw[index])
            case 2:
                let word = raw.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self)
                return UInt64(bigEndian ? UInt16(bigEndian: word) : UInt16(littleEndian: word))
            case 4:
                let word = raw.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self)
                return UInt64(bigEndian ? UInt32(bigEndian: word) : UInt32(littleEndian: word))
            default:
                let word = raw.loadUnaligned(fromByteOffset: 8 * index, as: UInt64.self)
                return bigEndian ? UInt64(bigEndian: word) : UInt64(littleEndian: word)
            }
        }

        /// Element `index` of a signed (`i4`, `i8`) or unsigned byte (`u1`) array.
        func signedElement(_ raw: UnsafeRawBufferPointer, _ index: Int) -> Int {
            let word = bits(raw, index)
            switch code {
            case "i4": return Int(Int32(truncatingIfNeeded: word))
            case "i8": return Int(Int64(bitPattern: word))
            default: return Int(word)
            }
        }
    }
}
