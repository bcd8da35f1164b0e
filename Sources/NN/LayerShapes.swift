import Tensors

extension LayerSpec {
    /// One sample's output shape (no batch axis) for one sample's `input`, from the fields alone.
    public func outputShape(for input: [Int]) throws -> [Int] {
        func expect(_ condition: Bool, _ expected: String) throws {
            guard condition else { throw ModelError("\(type) expects \(expected) per sample, got \(Shape.describe(input))") }
        }
        func spatial(_ kernel: Int, _ stride: Int, _ padding: Int) throws -> [Int] {
            try expect(input.count == 3 && input[1] + 2 * padding >= kernel && input[2] + 2 * padding >= kernel,
                       "[C, H, W] with H, W ≥ \(kernel - 2 * padding)")
            return [(input[1] + 2 * padding - kernel) / stride + 1, (input[2] + 2 * padding - kernel) / stride + 1]
        }
        switch type {
        case "linear":
            try expect(input == [self.in ?? -1], "[\(self.in ?? 0)]")
            return [out ?? 0]
        case "conv2d":
            try expect(input.first == self.in, "[\(self.in ?? 0), H, W]")
            return [out ?? 0] + (try spatial(kernel ?? 1, stride ?? 1, padding ?? 0))
        case "residual":
            try expect(input.first == self.in, "[\(self.in ?? 0), H, W]")
            return [out ?? 0] + (try spatial(3, stride ?? 1, 1))
        case "maxpool2d", "avgpool2d":
            return [input.first ?? 0] + (try spatial(kernel ?? 1, stride ?? kernel ?? 1, 0))
        case "flatten":
            guard let count = checkedProduct(input) else {
                throw ModelError("flatten expects a shape whose product fits in 64 bits per sample, got \(Shape.describe(input))")
            }
            return [count]
        case "batchnorm1d":
            try expect(input == [features ?? -1], "[\(features ?? 0)]")
            return input
        case "batchnorm2d":
            try expect(input.count == 3 && input[0] == features, "[\(features ?? 0), H, W]")
            return input
        default:
            return input
        }
    }
}
