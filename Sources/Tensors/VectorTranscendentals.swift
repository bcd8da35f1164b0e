import CKernels

/// exp, log1p and the functions built on them (sigmoid, softplus and its slope, erf and the exact
/// GELU) for Float32, vectorised: the scalar libm calls were a quarter of a softplus network's HVP
/// time, and erff 9 % of a ConvNeXt block's. The kernels are C (Sources/CKernels/transcendentals.c,
/// which gives the polynomials and why C), within 2 ulp of the correctly rounded results, libm's
/// own outside the polynomials' range; each element's value depends only on its input, so results
/// stay independent of the thread count.
enum VectorTranscendentals {
    typealias Lanes = SIMD8<Float>
    typealias Kernel = (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void

    static let exp: Kernel = { curvature_exp_f32($0, $1, $2) }
    static let sigmoid: Kernel = { curvature_sigmoid_f32($0, $1, $2) }
    static let log1pUnit: Kernel = { curvature_log1p_unit_f32($0, $1, $2) }
    static let erf: Kernel = { curvature_erf_f32($0, $1, $2) }
    /// x·(1 + erf(x/√2))/2 in one pass, with 1 + erf never formed where it would cancel.
    static let geluErf: Kernel = { curvature_gelu_erf_f32($0, $1, $2) }

    static func softplus(beta: Float, threshold: Float) -> Kernel {
        { curvature_softplus_f32($0, $1, $2, beta, threshold) }
    }

    static func softplusSlope(beta: Float, threshold: Float) -> Kernel {
        { curvature_softplus_slope_f32($0, $1, $2, beta, threshold) }
    }

    /// y[i] = f(x[i]) over `range`.
    @inline(__always)
    static func map(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ range: Range<Int>, _ kernel: Kernel) {
        if !range.isEmpty { kernel(x + range.lowerBound, y + range.lowerBound, range.count) }
    }

    /// The kernel on eight values (for tests).
    static func lanes(_ x: Lanes, _ kernel: Kernel) -> Lanes {
        var (input, output) = (x, Lanes())
        withUnsafePointer(to: &input) { source in
            withUnsafeMutablePointer(to: &output) { target in
                kernel(UnsafeRawPointer(source).assumingMemoryBound(to: Float.self),
                       UnsafeMutableRawPointer(target).assumingMemoryBound(to: Float.self), 8)
            }
        }
        return output
    }
}
