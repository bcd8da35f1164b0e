import Datasets
import Tensors

/// Images as a [N, C, H, W] tensor with their labels and their indices in the split.
public struct Batch {
    public let images: Tensor
    public let labels: [Int]
    public let indices: [Int]

    public init(images: Tensor, labels: [Int], indices: [Int]) {
        precondition(images.shape.first == labels.count && labels.count == indices.count,
                     "Batch: \(labels.count) labels and \(indices.count) indices for images \(Shape.describe(images.shape))")
        self.images = images
        self.labels = labels
        self.indices = indices
    }

    public var count: Int { labels.count }
}

extension LabeledImages {
    /// The images at `indices` (in that order) as a batch.
    public func batch(at indices: [Int], dtype: DType = .float32) -> Batch {
        let size = pixelsPerImage
        var pixels = [Float]()
        pixels.reserveCapacity(indices.count * size)
        for index in indices { pixels.append(contentsOf: image(index)) }
        let tensor = Tensor(shape: [indices.count, channels, height, width], floats: pixels)
        return Batch(images: tensor.converted(to: dtype), labels: indices.map { Int(labels[$0]) }, indices: indices)
    }

    /// The images of `samples` (consecutive split indices) as a batch.
    public func batch(_ samples: Range<Int>, dtype: DType = .float32) -> Batch {
        batch(at: Array(samples), dtype: dtype)
    }

    /// Consecutive batches over `range` of the split, in order, made as they are visited.
    public func batches(in range: Range<Int>, size: Int, dtype: DType = .float32) -> LazyMapSequence<BatchRanges, Batch> {
        BatchRanges(covering: range, batchSize: size).lazy.map { self.batch($0, dtype: dtype) }
    }
}
