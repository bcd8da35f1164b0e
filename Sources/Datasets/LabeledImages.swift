/// A set of images with one class label each, as plain arrays.
///
/// `images` is `count × channels × height × width`, row-major (NCHW), each value a pixel scaled
/// to `[0, 1]` (8-bit sources are divided by 255). Every loader validates its input, so a value of
/// this type always satisfies `images.count == count * pixelsPerImage` and
/// `0 <= labels[i] < classCount`.
public struct LabeledImages: Equatable, Sendable {
    /// Pixels, `count × channels × height × width`, row-major.
    public let images: [Float]
    /// One class index per image, each in `0..<classCount`.
    public let labels: [Int32]
    /// Number of images.
    public let count: Int
    /// Channels per image (1 for grey-scale).
    public let channels: Int
    /// Rows per image.
    public let height: Int
    /// Columns per image.
    public let width: Int
    /// Number of classes the labels index into.
    public let classCount: Int

    /// `channels × height × width`: the stride between consecutive images in ``images``.
    public var pixelsPerImage: Int { channels * height * width }

    /// The shape of ``images`` as `[count, channels, height, width]`.
    public var shape: [Int] { [count, channels, height, width] }

    /// Creates a set from arrays, checking that they are consistent.
    ///
    /// - Throws: ``DatasetError/invalidArgument(context:found:expected:)`` when the sizes disagree
    ///   or a dimension is not positive, ``DatasetError/labelOutOfRange(file:index:label:classCount:)``
    ///   when a label is not in `0..<classCount`.
    public init(images: [Float], labels: [Int32], channels: Int, height: Int, width: Int, classCount: Int) throws {
        let context = "LabeledImages"
        guard channels > 0, height > 0, width > 0, classCount > 0 else {
            throw DatasetError.invalidArgument(
                context: context, found: "channels \(channels), height \(height), width \(width), classCount \(classCount)",
                expected: "all positive")
        }
        let (perImage, overflow) = (channels * height).multipliedReportingOverflow(by: width)
        guard !overflow, images.count == labels.count * perImage else {
            throw DatasetError.invalidArgument(
                context: context, found: "\(images.count) pixels for \(labels.count) labels",
                expected: "\(labels.count)×\(channels)×\(height)×\(width)")
        }
        if let bad = labels.firstIndex(where: { $0 < 0 || Int($0) >= classCount }) {
            throw DatasetError.labelOutOfRange(file: context, index: bad, label: Int(labels[bad]), classCount: classCount)
        }
        self.init(unchecked: images, labels: labels, channels: channels, height: height, width: width, classCount: classCount)
    }

    /// For loaders that have already validated their input.
    init(unchecked images: [Float], labels: [Int32], channels: Int, height: Int, width: Int, classCount: Int) {
        assert(images.count == labels.count * channels * height * width)
        self.images = images
        self.labels = labels
        self.count = labels.count
        self.channels = channels
        self.height = height
        self.width = width
        self.classCount = classCount
    }

    /// The pixels of image `index`.
    public func image(_ index: Int) -> ArraySlice<Float> {
        precondition(index >= 0 && index < count, "image index \(index) out of 0..<\(count)")
        return images[index * pixelsPerImage ..< (index + 1) * pixelsPerImage]
    }

    /// How many images each class has: element `k` counts label `k`.
    public func classCounts() -> [Int] {
        var counts = [Int](repeating: 0, count: classCount)
        for label in labels { counts[Int(label)] += 1 }
        return counts
    }

    /// The contiguous run of `count` images starting at `offset`.
    ///
    /// - Throws: ``DatasetError/invalidArgument(context:found:expected:)`` unless
    ///   `0 <= offset`, `0 <= count` and `offset + count <= self.count`.
    public func subset(offset: Int, count: Int) throws -> LabeledImages {
        guard offset >= 0, count >= 0, offset <= self.count - count else {
            throw DatasetError.invalidArgument(
                context: "subset", found: "offset \(offset), count \(count)",
                expected: "0 <= offset, 0 <= count, offset + count <= \(self.count)")
        }
        return LabeledImages(
            unchecked: Array(images[offset * pixelsPerImage ..< (offset + count) * pixelsPerImage]),
            labels: Array(labels[offset ..< offset + count]),
            channels: channels, height: height, width: width, classCount: classCount)
    }

    /// The images at `indices`, in that order (repeats allowed).
    ///
    /// - Throws: ``DatasetError/invalidArgument(context:found:expected:)`` when an index is not in
    ///   `0..<count`.
    public func batch<Indices: Collection>(indices: Indices) throws -> LabeledImages where Indices.Element == Int {
        if let bad = indices.first(where: { $0 < 0 || $0 >= count }) {
            throw DatasetError.invalidArgument(context: "batch", found: "index \(bad)", expected: "0..<\(count)")
        }
        return gather(indices)
    }

    /// `batch(indices:)` without the range check, for indices known to be valid.
    func gather<Indices: Collection>(_ indices: Indices) -> LabeledImages where Indices.Element == Int {
        let stride = pixelsPerImage
        let pixels = [Float](unsafeUninitializedCapacity: indices.count * stride) { target, initialized in
            images.withUnsafeBufferPointer { source in
                var offset = 0
                for index in indices {
                    let row = UnsafeBufferPointer(rebasing: source[index * stride ..< (index + 1) * stride])
                    _ = UnsafeMutableBufferPointer(rebasing: target[offset ..< offset + stride]).initialize(fromContentsOf: row)
                    offset += stride
                }
            }
            initialized = indices.count * stride
        }
        return LabeledImages(
            unchecked: pixels, labels: indices.map { labels[$0] },
            channels: channels, height: height, width: width, classCount: classCount)
    }
}
