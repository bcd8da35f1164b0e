import RealModule

/// Element-wise functions of one tensor. Masks (`greaterThan`, `inRange`) return 0/1 values.
public enum UnaryFunction: Sendable, Equatable {
    case negate, exp, log, sqrt, square, reciprocal, abs, sign
    case tanh, sigmoid, erf, relu
    /// (1/β)·log(1 + exp(βx)), linear where βx > threshold (PyTorch's rule).
    case softplus(beta: Double, threshold: Double)
    /// The softplus derivative σ(βx), and 1 where βx > threshold.
    case softplusSlope(beta: Double, threshold: Double)
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
    /// a·(b·(1 − b))·scale, in that order: a gradient through a logistic output b's slope (sigmoid's,
    /// softplus's σ(βx) with scale β) in one sweep instead of four, with the four's roundings.
    case timesLogisticSlope(scale: Double)
}

extension Tensor {
    /// Applies `function` to every element.
    public func map(_ function: UnaryFunction) -> Tensor {
        var out = Tensor(uninitialized: shape, dtype: dtype)
        // Split across threads here, outside the kernels, so each kernel loop is specialised for
        // its function and vectorised.
        switch dtype {
        case .float32:
            let (x, y) = (buffer(Float.self), out.mutableBuffer(Float.self))
            Parallel.forEachChunk(of: count, minimumChunk: Self.parallelThreshold) { range in Self.unary(x, y, range, function) }
        case .float64:
            let (x, y) = (buffer(Double.self), out.mutableBuffer(Double.self))
            Parallel.forEachChunk(of: count, minimumChunk: Self.parallelThreshold) { range in Self.unary(x, y, range, function) }
        }
        return out
    }

    /// Combines two tensors element by element; shapes broadcast as in NumPy.
    public func combined(with other: Tensor, _ function: BinaryFunction) -> Tensor {
        precondition(dtype == other.dtype, "\(function): dtypes \(dtype) and \(other.dtype) differ")
        let outShape = shape == other.shape ? shape : Shape.broadcast(shape, other.shape)
        var out = Tensor(uninitialized: outShape, dtype: dtype)
        let layout: BinaryLayout = shape == other.shape ? .same : (other.count == 1 ? .scalarRight : (count == 1 ? .scalarLeft : .broadcast))
        let total = out.count
        switch dtype {
        case .float32:
            let (x, y, z) = (buffer(Float.self), other.buffer(Float.self), out.mutableBuffer(Float.self))
            if layout == .broadcast { Self.broadcastBinary(self, other, outShape, x, y, z, function); break }
            Parallel.forEachChunk(of: total, minimumChunk: Self.parallelThreshold) { range in Self.binary(x, y, z, range, layout, function) }
        case .float64:
            let (x, y, z) = (buffer(Double.self), other.buffer(Double.self), out.mutableBuffer(Double.self))
            if layout == .broadcast { Self.broadcastBinary(self, other, outShape, x, y, z, function); break }
            Parallel.forEachChunk(of: total, minimumChunk: Self.parallelThreshold) { range in Self.binary(x, y, z, range, layout, function) }
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
        _ x: UnsafeMutableBufferPointer<T>, _ y: UnsafeMutableBufferPointer<T>, _ range: Range<Int>, _ f: (T) -> T
    ) {
        let xp = x.baseAddress!, yp = y.baseAddress!
        for i in range { yp[i] = f(xp[i]) }
    }

    private static func unary<T: KernelScalar>(
        _ x: UnsafeMutableBufferPointer<T>, _ y: UnsafeMutableBufferPointer<T>, _ r: Range<Int>, _ function: UnaryFunction
    ) {
        if r.isEmpty { return }
        if T.self == Float.self, vectorised(x, y, r, function) { return }
        switch function {
        case .negate: each(x, y, r) { -$0 }
        case .exp: each(x, y, r) { .exp($0) }
        case .log: each(x, y, r) { .log($0) }
        case .sqrt: each(x, y, r) { $0.squareRoot() }
        case .square: each(x, y, r) { $0 * $0 }
        case .reciprocal: each(x, y, r) { 1 / $0 }
        case .abs: each(x, y, r) { Swift.abs($0) }
        case .sign: each(x, y, r) { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }
        case .tanh: each(x, y, r) { .tanh($0) }
        case .sigmoid: each(x, y, r) { stableSigmoid($0) }
        case .erf: each(x, y, r) { .erf($0) }
        case .relu: each(x, y, r) { $0 > 0 ? $0 : 0 }
        case let .softplus(beta, threshold):
            let b = T(beta), limit = T(threshold)
            each(x, y, r) { v in
                let z = b * v
                if z > limit { return v }
                // max(z, 0) + log1p(exp(-|z|)) never overflows.
                return (Swift.max(z, 0) + .log(onePlus: .exp(-Swift.abs(z)))) / b
            }
        case let .softplusSlope(beta, threshold):
            let b = T(beta), limit = T(threshold)
            each(x, y, r) { v in b * v > limit ? 1 : stableSigmoid(b * v) }
        case let .elu(alpha):
            let a = T(alpha)
            each(x, y, r) { $0 > 0 ? $0 : a * .expMinusOne($0) }
        case .geluErf:
            let invSqrt2 = T(1 / 2.0.squareRoot())
            each(x, y, r) { v in v * (1 + .erf(v * invSqrt2)) / 2 }
        case .geluTanh:
            let c = T((2 / Double.pi).squareRoot())
            each(x, y, r) { v in v * (1 + .tanh(c * (v + T(0.044715) * v * v * v))) / 2 }
        case let .affine(scale, shift):
            let s = T(scale), t = T(shift)
            if shift == 0 { each(x, y, r) { s * $0 } } else { each(x, y, r) { s * $0 + t } }
        case let .power(p):
            if p == 2 { each(x, y, r) { $0 * $0 } }
            else if p == 1 { each(x, y, r) { $0 } }
            else if p.rounded() == p && Swift.abs(p) < 1e9 {
                // Integer powers are defined for negative bases too.
                let n = Int(p)
                each(x, y, r) { T.pow($0, n) }
            } else { let e = T(p); each(x, y, r) { .pow($0, e) } }
        case let .dividing(c):
            let n = T(c)
            each(x, y, r) { n / $0 }
        case let .clamp(lo, hi):
            let l = T(lo), h = T(hi)
            each(x, y, r) { Swift.min(Swift.max($0, l), h) }
        case let .greaterThan(threshold):
            let t = T(threshold)
            each(x, y, r) { $0 > t ? 1 : 0 }
        case let .inRange(lo, hi):
            let l = T(lo), h = T(hi)
            each(x, y, r) { $0 >= l && $0 <= h ? 1 : 0 }
        }
    }

    /// The Float32 functions `VectorTranscendentals` computes vectorised; false for the rest.
    private static func vectorised<T: KernelScalar>(
        _ x: UnsafeMutableBufferPointer<T>, _ y: UnsafeMutableBufferPointer<T>, _ r: Range<Int>, _ function: UnaryFunction
    ) -> Bool {
        let xp = UnsafeRawPointer(x.baseAddress!).assumingMemoryBound(to: Float.self)
        let yp = UnsafeMutableRawPointer(y.baseAddress!).assumingMemoryBound(to: Float.self)
        switch function {
        case .exp: VectorTranscendentals.map(xp, yp, r, VectorTranscendentals.exp)
        case .sigmoid: VectorTranscendentals.map(xp, yp, r, VectorTranscendentals.sigmoid)
        case .erf: VectorTranscendentals.map(xp, yp, r, VectorTranscendentals.erf)
        case .geluErf: VectorTranscendentals.map(xp, yp, r, VectorTranscendentals.geluErf)
        case let .softplus(beta, threshold):
            VectorTranscendentals.map(xp, yp, r, VectorTranscendentals.softplus(beta: Float(beta), threshold: Float(threshold)))
        case let .softplusSlope(beta, threshold):
            VectorTranscendentals.map(xp, yp, r, VectorTranscendentals.softplusSlope(beta: Float(beta), threshold: Float(threshold)))
        default: return false
        }
        return true
    }

    @inline(__always)
    static func stableSigmoid<T: KernelScalar>(_ v: T) -> T {
        if v >= 0 { return 1 / (1 + .exp(-v)) }
        let e = T.exp(v)
        return e / (1 + e)
    }

    enum BinaryLayout { case same, scalarRight, scalarLeft, broadcast }

    @inline(__always)
    private static func runs<T: KernelScalar>(
        _ x: UnsafeMutableBufferPointer<T>, _ y: UnsafeMutableBufferPointer<T>, _ z: UnsafeMutableBufferPointer<T>,
        _ range: Range<Int>, _ layout: BinaryLayout, _ f: (T, T) -> T
    ) {
        let xp = x.baseAddress!, yp = y.baseAddress!, zp = z.baseAddress!
        switch layout {
        case .same: for i in range { zp[i] = f(xp[i], yp[i]) }
        case .scalarRight:
            let s = yp[0]
            for i in range { zp[i] = f(xp[i], s) }
        case .scalarLeft:
            let s = xp[0]
            for i in range { zp[i] = f(s, yp[i]) }
        case .broadcast: preconditionFailure("broadcast layouts go through broadcastBinary")
        }
    }

    private static func binary<T: KernelScalar>(
        _ x: UnsafeMutableBufferPointer<T>, _ y: UnsafeMutableBufferPointer<T>, _ z: UnsafeMutableBufferPointer<T>,
        _ r: Range<Int>, _ layout: BinaryLayout, _ function: BinaryFunction
    ) {
        if r.isEmpty { return }
        switch function {
        case .add: runs(x, y, z, r, layout) { $0 + $1 }
        case .subtract: runs(x, y, z, r, layout) { $0 - $1 }
        case .multiply: runs(x, y, z, r, layout) { $0 * $1 }
        case .divide: runs(x, y, z, r, layout) { $0 / $1 }
        case .maximum: runs(x, y, z, r, layout) { Swift.max($0, $1) }
        case .minimum: runs(x, y, z, r, layout) { Swift.min($0, $1) }
        case .passWherePositive: runs(x, y, z, r, layout) { $1 > 0 ? $0 : 0 }
        case let .timesLogisticSlope(scale):
            let s = T(scale)
            runs(x, y, z, r, layout) { $0 * ($1 * (1 - $1)) * s }
        }
    }

    /// One inner run of a broadcast binary op: n elements, each operand contiguous or repeated.
    @inline(__always)
    private static func run<T: KernelScalar>(
        _ n: Int, _ z: UnsafeMutablePointer<T>, _ x: UnsafeMutablePointer<T>, _ sa: Int, _ y: UnsafeMutablePointer<T>, _ sb: Int,
        _ f: (T, T) -> T
    ) {
        if sa == 1 && sb == 0 {
            let s = y[0]
            for i in 0..<n { z[i] = f(x[i], s) }
        } else if sa == 0 && sb == 1 {
            let s = x[0]
            for i in 0..<n { z[i] = f(s, y[i]) }
        } else {
            for i in 0..<n { z[i] = f(x[i * sa], y[i * sb]) }
        }
    }

    /// Shapes that broadcast (a bias over a batch of activations): walk runs of the output, the
    /// output's first axis cut into chunks for the threads (each element is computed alone, so
    /// the cut does not change it).
    private static func broadcastBinary<T: KernelScalar>(
        _ a: Tensor, _ b: Tensor, _ outShape: [Int], _ x: UnsafeMutableBufferPointer<T>, _ y: UnsafeMutableBufferPointer<T>,
        _ z: UnsafeMutableBufferPointer<T>, _ function: BinaryFunction
    ) {
        let strides = [Shape.strides(outShape), Shape.broadcastStrides(a.shape, to: outShape), Shape.broadcastStrides(b.shape, to: outShape)]
        guard let rows = outShape.first else {
            broadcastRuns(StridedLoop(shape: outShape, strides: strides), x.baseAddress!, y.baseAddress!, z.baseAddress!, function)
            return
        }
        let rowSize = Swift.max(Shape.count(outShape) / Swift.max(rows, 1), 1)
        Parallel.forEachChunk(of: rows, minimumChunk: Swift.max(1, (1 << 15) / rowSize)) { chunk in
            var shape = outShape
            shape[0] = chunk.count
            let start = chunk.lowerBound
            broadcastRuns(StridedLoop(shape: shape, strides: strides), x.baseAddress! + start * strides[1][0],
                          y.baseAddress! + start * strides[2][0], z.baseAddress! + start * strides[0][0], function)
        }
    }

    private static func broadcastRuns<T: KernelScalar>(
        _ loop: StridedLoop, _ xb: UnsafeMutablePointer<T>, _ yb: UnsafeMutablePointer<T>, _ zb: UnsafeMutablePointer<T>,
        _ function: BinaryFunction
    ) {
        // The function is chosen per run, outside the element loop: a closure handed down to the
        // loop was called through a pointer for every element (a bias add then cost 2 ns/element).
        let n = loop.innerCount, sa = loop.innerStride(1), sb = loop.innerStride(2)
        loop.forEachRun { o, oa, ob in
            let (z, x, y) = (zb + o, xb + oa, yb + ob)
            switch function {
            case .add: run(n, z, x, sa, y, sb) { $0 + $1 }
            case .subtract: run(n, z, x, sa, y, sb) { $0 - $1 }
            case .multiply: run(n, z, x, sa, y, sb) { $0 * $1 }
            case .divide: run(n, z, x, sa, y, sb) { $0 / $1 }
            case .maximum: run(n, z, x, sa, y, sb) { Swift.max($0, $1) }
            case .minimum: run(n, z, x, sa, y, sb) { Swift.min($0, $1) }
            case .passWherePositive: run(n, z, x, sa, y, sb) { $1 > 0 ? $0 : 0 }
            case let .timesLogisticSlope(scale):
                let s = T(scale)
                run(n, z, x, sa, y, sb) { $0 * ($1 * (1 - $1)) * s }
            }
        }
    }
}
