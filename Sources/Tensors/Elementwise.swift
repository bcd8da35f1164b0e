import RealModule

/// Element-wise functions of one tensor. Masks (`greaterThan`, `inRange`) return 0/1 values.
public enum UnaryFunction: Sendable, Equatable {
    case negate, exp, log, sqrt, square, reciprocal, abs, sign
    case tanh, sigmoid, erf, relu
    /// (1/β)·log(1 + exp(βx)), linear where βx > threshold (PyTorch's rule).
    case softplus(beta: Double, threshold: Double)
    case elu(alpha: Double)
    case geluErf, geluTanh
    /// scale·x + shift.
    case affine(scale: Double, shift: Double)
    /// x^p.
    case power(Double)
    /// c / x.
    case dividing(Double)
    case clamp(min: Double, max: Double)
    /// 1 where x > threshold, else 0.
    case greaterThan(Double)
    /// 1 where min ≤ x ≤ max, else 0.
    case inRange(min: Double, max: Double)
}

/// Element-wise functions of two tensors, with NumPy broadcasting.
public enum BinaryFunction: Sendable {
    case add, subtract, multiply, divide, maximum, minimum
    /// a where b > 0, else 0: ReLU's backward pass in one sweep.
    case passWherePositive
}

extension Tensor {
    /// Applies `function` to every element.
    public func map(_ function: UnaryFunction) -> Tensor {
        var out = Tensor(uninitialized: shape, dtype: dtype)
        switch dtype {
        case .float32: Self.unary(buffer(Float.self), out.mutableBuffer(Float.self), function)
        case .float64: Self.unary(buffer(Double.self), out.mutableBuffer(Double.self), function)
        }
        return out
    }

    /// Combines two tensors element by element; shapes broadcast as in NumPy.
    public func combined(with other: Tensor, _ function: BinaryFunction) -> Tensor {
        precondition(dtype == other.dtype, "\(function): dtypes \(dtype) and \(other.dtype) differ")
        let outShape = shape == other.shape ? shape : Shape.broadcast(shape, other.shape)
        var out = Tensor(uninitialized: outShape, dtype: dtype)
        switch dtype {
        case .float32: Self.binary(self, other, &out, Float.self, function)
        case .float64: Self.binary(self, other, &out, Double.self, function)
        }
        return out
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor { a.combined(with: b, .add) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { a.combined(with: b, .subtract) }
    public static func * (a: Tensor, b: Tensor) -> Tensor { a.combined(with: b, .multiply) }
    public static func / (a: Tensor, b: Tensor) -> Tensor { a.combined(with: b, .divide) }
    public static func * (a: Tensor, s: Double) -> Tensor { a.map(.affine(scale: s, shift: 0)) }
    public static func + (a: Tensor, s: Double) -> Tensor { a.map(.affine(scale: 1, shift: s)) }
    public static prefix func - (a: Tensor) -> Tensor { a.map(.negate) }

    // MARK: Kernels

    /// Element-wise work is split across threads only above this many elements.
    static let parallelThreshold = 1 << 15

    @inline(__always)
    private static func each<T: KernelScalar>(
        _ x: UnsafeMutableBufferPointer<T>, _ y: UnsafeMutableBufferPointer<T>, _ f: (T) -> T
    ) {
        let xp = x.baseAddress, yp = y.baseAddress
        Parallel.forEachChunk(of: x.count, minimumChunk: parallelThreshold) { _, range in
            for i in range { yp![i] = f(xp![i]) }
        }
    }

    private static func unary<T: KernelScalar>(
        _ x: UnsafeMutableBufferPointer<T>, _ y: UnsafeMutableBufferPointer<T>, _ function: UnaryFunction
    ) {
        switch function {
        case .negate: each(x, y) { -$0 }
        case .exp: each(x, y) { .exp($0) }
        case .log: each(x, y) { .log($0) }
        case .sqrt: each(x, y) { $0.squareRoot() }
        case .square: each(x, y) { $0 * $0 }
        case .reciprocal: each(x, y) { 1 / $0 }
        case .abs: each(x, y) { Swift.abs($0) }
        case .sign: each(x, y) { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }
        case .tanh: each(x, y) { .tanh($0) }
        case .sigmoid: each(x, y) { stableSigmoid($0) }
        case .erf: each(x, y) { .erf($0) }
        case .relu: each(x, y) { $0 > 0 ? $0 : 0 }
        case let .softplus(beta, threshold):
            let b = T(beta), limit = T(threshold)
            each(x, y) { v in
                let z = b * v
                if z > limit { return v }
                // max(z, 0) + log1p(exp(-|z|)) never overflows.
                return (Swift.max(z, 0) + .log(onePlus: .exp(-Swift.abs(z)))) / b
            }
        case let .elu(alpha):
            let a = T(alpha)
            each(x, y) { $0 > 0 ? $0 : a * .expMinusOne($0) }
        case .geluErf:
            let invSqrt2 = T(1 / 2.0.squareRoot())
            each(x, y) { v in v * (1 + .erf(v * invSqrt2)) / 2 }
        case .geluTanh:
            let c = T((2 / Double.pi).squareRoot())
            each(x, y) { v in v * (1 + .tanh(c * (v + T(0.044715) * v * v * v))) / 2 }
        case let .affine(scale, shift):
            let s = T(scale), t = T(shift)
            if shift == 0 { each(x, y) { s * $0 } } else { each(x, y) { s * $0 + t } }
        case let .power(p):
            if p == 2 { each(x, y) { $0 * $0 } }
            else if p == 1 { each(x, y) { $0 } }
            else if p.rounded() == p && Swift.abs(p) < 1e9 {
                // Integer powers are defined for negative bases too.
                let n = Int(p)
                each(x, y) { T.pow($0, n) }
            } else { let e = T(p); each(x, y) { .pow($0, e) } }
        case let .dividing(c):
            let n = T(c)
            each(x, y) { n / $0 }
        case let .clamp(lo, hi):
            let l = T(lo), h = T(hi)
            each(x, y) { Swift.min(Swift.max($0, l), h) }
        case let .greaterThan(threshold):
            let t = T(threshold)
            each(x, y) { $0 > t ? 1 : 0 }
        case let .inRange(lo, hi):
            let l = T(lo), h = T(hi)
            each(x, y) { $0 >= l && $0 <= h ? 1 : 0 }
        }
    }

    @inline(__always)
    static func stableSigmoid<T: KernelScalar>(_ v: T) -> T {
        if v >= 0 { return 1 / (1 + .exp(-v)) }
        let e = T.exp(v)
        return e / (1 + e)
    }

    @inline(__always)
    private static func runs<T: KernelScalar>(
        _ a: Tensor, _ b: Tensor, _ out: inout Tensor, _: T.Type, _ f: (T, T) -> T
    ) {
        let x = a.buffer(T.self), y = b.buffer(T.self), z = out.mutableBuffer(T.self)
        let zp = z.baseAddress, xp = x.baseAddress, yp = y.baseAddress
        if a.shape == b.shape {
            Parallel.forEachChunk(of: z.count, minimumChunk: parallelThreshold) { _, range in
                for i in range { zp![i] = f(xp![i], yp![i]) }
            }
            return
        }
        if b.count == 1 {
            let s = yp![0]
            Parallel.forEachChunk(of: z.count, minimumChunk: parallelThreshold) { _, range in
                for i in range { zp![i] = f(xp![i], s) }
            }
            return
        }
        if a.count == 1 {
            let s = xp![0]
            Parallel.forEachChunk(of: z.count, minimumChunk: parallelThreshold) { _, range in
                for i in range { zp![i] = f(s, yp![i]) }
            }
            return
        }
        let loop = StridedLoop(
            shape: out.shape,
            strides: [Shape.strides(out.shape), Shape.broadcastStrides(a.shape, to: out.shape),
                      Shape.broadcastStrides(b.shape, to: out.shape)])
        let n = loop.innerCount, sa = loop.innerStride(1), sb = loop.innerStride(2)
        let zb = zp!, xb = xp!, yb = yp!
        loop.forEachRun { o, oa, ob in
            if sa == 1 && sb == 0 {
                let s = yb[ob]
                for i in 0..<n { zb[o + i] = f(xb[oa + i], s) }
            } else if sa == 0 && sb == 1 {
                let s = xb[oa]
                for i in 0..<n { zb[o + i] = f(s, yb[ob + i]) }
            } else {
                for i in 0..<n { zb[o + i] = f(xb[oa + i * sa], yb[ob + i * sb]) }
            }
        }
    }

    private static func binary<T: KernelScalar>(
        _ a: Tensor, _ b: Tensor, _ out: inout Tensor, _ type: T.Type, _ function: BinaryFunction
    ) {
        switch function {
        case .add: runs(a, b, &out, type) { $0 + $1 }
        case .subtract: runs(a, b, &out, type) { $0 - $1 }
        case .multiply: runs(a, b, &out, type) { $0 * $1 }
        case .divide: runs(a, b, &out, type) { $0 / $1 }
        case .maximum: runs(a, b, &out, type) { Swift.max($0, $1) }
        case .minimum: runs(a, b, &out, type) { Swift.min($0, $1) }
        case .passWherePositive: runs(a, b, &out, type) { $1 > 0 ? $0 : 0 }
        }
    }
}
