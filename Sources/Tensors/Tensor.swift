/// A dense, contiguous, row-major array of Float32 or Float64 values (NCHW for images).
///
/// `Tensor` is a value: kernels return new tensors, reshaping shares the buffer, and the
/// mutating accessors copy first when the buffer is shared.
public struct Tensor {
    public let shape: [Int]
    public let dtype: DType
    @usableFromInline var storage: TensorStorage

    /// An uninitialised tensor; every kernel that uses it writes every element.
    init(uninitialized shape: [Int], dtype: DType) {
        Shape.validate(shape)
        self.shape = shape
        self.dtype = dtype
        storage = TensorStorage(byteCount: Shape.count(shape) * dtype.byteSize)
    }

    init(shape: [Int], dtype: DType, storage: TensorStorage) {
        self.shape = shape
        self.dtype = dtype
        self.storage = storage
    }

    /// A tensor of zeros.
    public init(zeros shape: [Int], dtype: DType = .float32) {
        self.init(uninitialized: shape, dtype: dtype)
        storage.pointer.initializeMemory(as: UInt8.self, repeating: 0, count: storage.byteCount)
    }

    /// A tensor filled with one value.
    public init(repeating value: Double, shape: [Int], dtype: DType = .float32) {
        self.init(uninitialized: shape, dtype: dtype)
        switch dtype {
        case .float32: buffer(Float.self).initialize(repeating: Float(value))
        case .float64: buffer(Double.self).initialize(repeating: value)
        }
    }

    /// A tensor holding `scalars` (row-major) converted to `dtype`.
    public init(shape: [Int], scalars: [Double], dtype: DType = .float32) {
        precondition(
            Shape.count(shape) == scalars.count,
            "Tensor: shape \(Shape.describe(shape)) needs \(Shape.count(shape)) values, got \(scalars.count)")
        self.init(uninitialized: shape, dtype: dtype)
        switch dtype {
        case .float32: for (i, v) in scalars.enumerated() { buffer(Float.self)[i] = Float(v) }
        case .float64: _ = buffer(Double.self).initialize(from: scalars)
        }
    }

    /// A Float32 tensor holding `values` (row-major).
    public init(shape: [Int], floats values: [Float]) {
        precondition(
            Shape.count(shape) == values.count,
            "Tensor: shape \(Shape.describe(shape)) needs \(Shape.count(shape)) values, got \(values.count)")
        self.init(uninitialized: shape, dtype: .float32)
        _ = buffer(Float.self).initialize(from: values)
    }

    /// A rank-0 tensor.
    public init(scalar: Double, dtype: DType = .float32) {
        self.init(shape: [], scalars: [scalar], dtype: dtype)
    }

    public var count: Int { Shape.count(shape) }
    public var rank: Int { shape.count }

    /// All values as Float64, row-major.
    public var scalars: [Double] {
        switch dtype {
        case .float32: return buffer(Float.self).map(Double.init)
        case .float64: return Array(buffer(Double.self))
        }
    }

    /// All values as Float32, row-major.
    public var floats: [Float] {
        switch dtype {
        case .float32: return Array(buffer(Float.self))
        case .float64: return buffer(Double.self).map(Float.init)
        }
    }

    /// The single value of a one-element tensor.
    public var item: Double {
        precondition(count == 1, "item: tensor of shape \(Shape.describe(shape)) has \(count) elements, not 1")
        return self[flat: 0]
    }

    /// The value at a row-major flat index.
    public subscript(flat index: Int) -> Double {
        precondition(index >= 0 && index < count, "Tensor: flat index \(index) outside shape \(Shape.describe(shape))")
        switch dtype {
        case .float32: return Double(buffer(Float.self)[index])
        case .float64: return buffer(Double.self)[index]
        }
    }

    /// The same values under another shape with the same element count; shares the buffer.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Shape.checkReshape(shape, to: newShape)
        return Tensor(shape: newShape, dtype: dtype, storage: storage)
    }

    /// A copy in another element type (self when the type already matches).
    public func converted(to target: DType) -> Tensor {
        if target == dtype { return self }
        var out = Tensor(uninitialized: shape, dtype: target)
        switch (dtype, target) {
        case (.float32, .float64):
            let src = buffer(Float.self), dst = out.mutableBuffer(Double.self)
            for i in 0..<count { dst[i] = Double(src[i]) }
        case (.float64, .float32):
            let src = buffer(Double.self), dst = out.mutableBuffer(Float.self)
            for i in 0..<count { dst[i] = Float(src[i]) }
        default: break
        }
        return out
    }

    /// Reads the values in place as `Float` or `Double`.
    public func withUnsafeBufferPointer<T: BinaryFloatingPoint, R>(
        as type: T.Type, _ body: (UnsafeBufferPointer<T>) throws -> R
    ) rethrows -> R {
        precondition(T.self == Float.self && dtype == .float32 || T.self == Double.self && dtype == .float64,
                     "Tensor: \(dtype) tensor read as \(T.self)")
        return try body(UnsafeBufferPointer(start: storage.pointer.assumingMemoryBound(to: T.self), count: count))
    }

    /// Writes the values in place, copying the buffer first if another tensor shares it.
    public mutating func withUnsafeMutableBufferPointer<T: BinaryFloatingPoint, R>(
        as type: T.Type, _ body: (UnsafeMutableBufferPointer<T>) throws -> R
    ) rethrows -> R {
        precondition(T.self == Float.self && dtype == .float32 || T.self == Double.self && dtype == .float64,
                     "Tensor: \(dtype) tensor written as \(T.self)")
        makeUnique()
        storage.forgetForms()
        return try body(UnsafeMutableBufferPointer(start: storage.pointer.assumingMemoryBound(to: T.self), count: count))
    }

    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) {
            let copy = TensorStorage(byteCount: storage.byteCount)
            copy.pointer.copyMemory(from: storage.pointer, byteCount: storage.byteCount)
            storage = copy
        }
    }

    // MARK: Typed access for kernels

    @inline(__always)
    func buffer<T: KernelScalar>(_: T.Type) -> UnsafeMutableBufferPointer<T> {
        UnsafeMutableBufferPointer(start: storage.pointer.assumingMemoryBound(to: T.self), count: count)
    }

    /// Kernels only call this on tensors they just created, so no copy is needed.
    @inline(__always)
    mutating func mutableBuffer<T: KernelScalar>(_: T.Type) -> UnsafeMutableBufferPointer<T> {
        buffer(T.self)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let values = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor<\(dtype)>\(Shape.describe(shape))[\(values)\(count > 8 ? ", …" : "")]"
    }
}

/// Shape arithmetic and the messages that name shapes.
public enum Shape {
    public static func count(_ shape: [Int]) -> Int {
        shape.reduce(1) { partial, dim in
            let (product, overflow) = partial.multipliedReportingOverflow(by: dim)
            precondition(!overflow, "shape \(describe(shape)) overflows Int")
            return product
        }
    }

    public static func describe(_ shape: [Int]) -> String {
        "[" + shape.map(String.init).joined(separator: ", ") + "]"
    }

    static func validate(_ shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "shape \(describe(shape)) has a negative dimension")
    }

    /// The row-major strides of a contiguous tensor.
    static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= shape[axis]
        }
        return strides
    }

    /// Checks that `shape` can be viewed as `newShape` (the same element count).
    public static func checkReshape(_ shape: [Int], to newShape: [Int]) {
        precondition(
            count(newShape) == count(shape),
            "reshape: cannot view \(describe(shape)) (\(count(shape)) elements) as \(describe(newShape))")
    }

    /// NumPy broadcasting: shapes are right-aligned; each pair of dims must match or be 1.
    public static func broadcast(_ a: [Int], _ b: [Int]) -> [Int] {
        let rank = max(a.count, b.count)
        let pa = [Int](repeating: 1, count: rank - a.count) + a
        let pb = [Int](repeating: 1, count: rank - b.count) + b
        return (0..<rank).map { axis in
            let (x, y) = (pa[axis], pb[axis])
            precondition(
                x == y || x == 1 || y == 1,
                "broadcast: shapes \(describe(a)) and \(describe(b)) differ at axis \(axis) (\(x) vs \(y))")
            return x == 1 ? y : x
        }
    }

    /// Strides for reading a tensor of `shape` as if broadcast to `target` (0 along broadcast axes).
    static func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
        precondition(shape.count <= target.count,
                     "broadcast: cannot expand \(describe(shape)) to lower-rank \(describe(target))")
        let padded = [Int](repeating: 1, count: target.count - shape.count) + shape
        let strides = self.strides(padded)
        return (0..<target.count).map { axis in
            precondition(padded[axis] == target[axis] || padded[axis] == 1,
                         "broadcast: cannot expand \(describe(shape)) to \(describe(target))")
            return padded[axis] == target[axis] && target[axis] != 1 ? strides[axis] : 0
        }
    }
}
