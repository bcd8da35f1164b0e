import RealModule

/// exp, log1p and the functions built on them (sigmoid, softplus and its slope) for Float32,
/// eight lanes at a time: the scalar libm calls were a quarter of a softplus network's HVP time.
///
/// Cephes' single-precision polynomials (exp: degree 6 after the reduction x = n·ln 2 + r;
/// log: degree 9 after u = m·2ᵉ), within 2 ulp of the correctly rounded results on the whole
/// range they are used on (tested against Double in `VectorTranscendentalsTests`). Lanes whose
/// argument lies outside the polynomial's range (exp beyond [−87, 88], NaN) are computed by libm,
/// so results are the same for every input. Each element's value depends only on its input —
/// never on its position in a chunk — so results stay independent of the thread count.
enum VectorTranscendentals {
    typealias Lanes = SIMD8<Float>

    /// eˣ.
    @inline(__always)
    static func exp(_ x: Lanes) -> Lanes {
        let inRange = (x .>= -87) .& (x .<= 88)
        var y = polynomialExp(x.replacing(with: 0, where: .!inRange))
        // Lane by lane, so that a value's result never depends on its neighbours.
        if !allLanes(inRange) {
            for i in 0..<8 where !inRange[i] { y[i] = Float.exp(x[i]) }
        }
        return y
    }

    /// eˣ for x in [−87, 88].
    @inline(__always)
    private static func polynomialExp(_ x: Lanes) -> Lanes {
        // n = round(x / ln 2) by the 1.5·2²³ trick (no SSE4.1 rounding needed); its bits hold n.
        let magic: Float = 12_582_912
        let shifted = x * 1.442_695_04 + magic
        let n = shifted - magic
        var r = x - n * 0.693_359_375
        r = r - n * -2.121_944_40e-4
        let z = r * r
        var p = Lanes(repeating: 1.987_569_150_0e-4)
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        let y = p * z + r + 1
        let exponent = (unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- Int32(bitPattern: magic.bitPattern) &+ 127) &<< 23
        return y * unsafeBitCast(exponent, to: Lanes.self)
    }

    /// log(1 + t) for t in [0, 1] (the range softplus needs), with the rounding of 1 + t corrected.
    @inline(__always)
    static func log1pUnit(_ t: Lanes) -> Lanes {
        let u = 1 + t
        let correction = (t - (u - 1)) / u
        let upper = u .> 1.414_213_56
        let m = u.replacing(with: u * 0.5, where: upper)
        let e = Lanes(repeating: 0).replacing(with: 1, where: upper)
        let x = m - 1
        let z = x * x
        var p = Lanes(repeating: 7.037_683_629_2e-2)
        p = p * x - 1.151_461_031_0e-1
        p = p * x + 1.167_699_874_0e-1
        p = p * x - 1.242_014_084_6e-1
        p = p * x + 1.424_932_278_7e-1
        p = p * x - 1.666_805_766_5e-1
        p = p * x + 2.000_071_476_5e-1
        p = p * x - 2.499_999_399_3e-1
        p = p * x + 3.333_333_117_4e-1
        var y = p * x * z
        y = y + e * -2.121_944_40e-4
        y = y - 0.5 * z
        return x + y + e * 0.693_359_375 + correction
    }

    /// 1/(1 + e⁻ˣ), from e^(−|x|) so that it never overflows.
    @inline(__always)
    static func sigmoid(_ x: Lanes) -> Lanes {
        let e = exp(-abs(x))
        let small = e / (1 + e)
        return (1 - small).replacing(with: small, where: x .< 0)
    }

    /// (max(z, 0) + log1p(e^(−|z|)))/β with z = βx, and x where z > threshold (PyTorch's rule).
    @inline(__always)
    static func softplus(_ x: Lanes, beta: Float, threshold: Float) -> Lanes {
        let z = beta * x
        let y = (z.replacing(with: 0, where: z .< 0) + log1pUnit(exp(-abs(z)))) / beta
        return y.replacing(with: x, where: z .> threshold)
    }

    /// σ(βx), and 1 where βx > threshold: the slope of `softplus`.
    @inline(__always)
    static func softplusSlope(_ x: Lanes, beta: Float, threshold: Float) -> Lanes {
        let z = beta * x
        return sigmoid(z).replacing(with: 1, where: z .> threshold)
    }

    /// y[i] = f(x[i]) over `range`, eight at a time; the last, partial group padded with zeros.
    @inline(__always)
    static func map(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ range: Range<Int>, _ f: (Lanes) -> Lanes) {
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: Lanes.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: f(v), as: Lanes.self)
            i += 8
        }
        guard i < range.upperBound else { return }
        var tail = Lanes()
        for lane in 0..<(range.upperBound - i) { tail[lane] = x[i + lane] }
        let out = f(tail)
        for lane in 0..<(range.upperBound - i) { y[i + lane] = out[lane] }
    }
}

/// `all(mask)` by halving: the standard library's version tests the eight lanes one by one,
/// which cost a third of an `exp`.
@inline(__always)
private func allLanes(_ mask: SIMDMask<SIMD8<Int32>>) -> Bool {
    let lanes = unsafeBitCast(mask, to: SIMD8<Int32>.self)
    let four = lanes.lowHalf & lanes.highHalf
    let two = four.lowHalf & four.highHalf
    return (two[0] & two[1]) == -1
}

private func abs(_ x: SIMD8<Float>) -> SIMD8<Float> {
    unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt32>.self) & SIMD8<UInt32>(repeating: 0x7FFF_FFFF), to: SIMD8<Float>.self)
}
