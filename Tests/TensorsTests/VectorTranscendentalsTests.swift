@testable import Tensors
import Foundation
import TestSupport
import XCTest

/// The eight-lane Float32 transcendentals against Double references: within 2 ulp (relative
/// 2.4e-7, or absolute near 0) on dense grids over every range the kernels see, libm outside it;
/// erf over the whole Float32 range.
final class VectorTranscendentalsTests: XCTestCase {
    typealias V = VectorTranscendentals
    typealias Lanes = SIMD8<Float>
    // The kernels on eight values at a time.
    let exp = { (x: Lanes) in V.lanes(x, V.exp) }
    let log1pUnit = { (x: Lanes) in V.lanes(x, V.log1pUnit) }
    let sigmoid = { (x: Lanes) in V.lanes(x, V.sigmoid) }
    func softplus(_ x: Lanes, beta: Float, threshold: Float) -> Lanes { V.lanes(x, V.softplus(beta: beta, threshold: threshold)) }
    func softplusSlope(_ x: Lanes, beta: Float, threshold: Float) -> Lanes { V.lanes(x, V.softplusSlope(beta: beta, threshold: threshold)) }

    func check(_ name: String, _ grid: [Float], _ f: (SIMD8<Float>) -> SIMD8<Float>, _ reference: (Double) -> Double,
               tolerance: Double = 2.4e-7, absolute: Double = 0, file: StaticString = #filePath, line: UInt = #line) {
        var values: [Float] = []
        for start in stride(from: 0, to: grid.count, by: 8) {
            var v = SIMD8<Float>()
            for lane in 0..<8 { v[lane] = grid[Swift.min(start + lane, grid.count - 1)] }
            let y = f(v)
            for lane in 0..<Swift.min(8, grid.count - start) { values.append(y[lane]) }
        }
        assertMaxError(values, grid.map { reference(Double($0)) }, within: tolerance, by: .relative(floor: absolute / tolerance), name,
                       position: { "x = \(grid[$0])" }, file: file, line: line)
    }

    func grid(_ low: Float, _ high: Float, _ count: Int) -> [Float] {
        (0..<count).map { low + (high - low) * Float($0) / Float(count - 1) }
    }

    func testExp() {
        check("exp", grid(-87, 88, 200_000), exp, Foundation.exp)
        check("exp near 0", grid(-1e-3, 1e-3, 10_001), exp, Foundation.exp)
        // Outside the polynomial's range: libm's own answers, denormals and infinity included.
        let far = SIMD8<Float>(-100, -88.5, 88.5, 89, 1000, .infinity, -.infinity, 0)
        let y = exp(far)
        for lane in 0..<8 { XCTAssertEqual(y[lane], Float.exp(far[lane])) }
        XCTAssertTrue(exp(SIMD8<Float>(repeating: .nan))[0].isNaN)
    }

    func testLog1pOnTheUnitInterval() {
        check("log1p", grid(0, 1, 200_000), log1pUnit, Foundation.log1p)
        check("log1p tiny", (0..<2000).map { Float(pow(2.0, -Double($0) / 20)) }, log1pUnit, Foundation.log1p)
    }

    func testSigmoidSoftplusAndSlope() {
        let sigmoid = { (x: Double) in 1 / (1 + Foundation.exp(-x)) }
        check("sigmoid", grid(-80, 80, 200_001), self.sigmoid, sigmoid, absolute: 1e-30)
        for (beta, threshold) in [(1.0, 20.0), (10.0, 20.0)] {
            let softplus = { (x: Double) -> Double in beta * x > threshold ? x : Foundation.log1p(Foundation.exp(beta * x)) / beta }
            check("softplus β=\(beta)", grid(-30, 30, 200_001), { self.softplus($0, beta: Float(beta), threshold: Float(threshold)) }, softplus,
                  tolerance: 4.8e-7, absolute: 1e-30)
            let slope = { (x: Double) -> Double in beta * x > threshold ? 1 : sigmoid(beta * x) }
            check("slope β=\(beta)", grid(-30, 30, 200_001), { self.softplusSlope($0, beta: Float(beta), threshold: Float(threshold)) }, slope,
                  absolute: 1e-30)
        }
    }

    /// Distance in representable floats between the kernel's erf and Float64's rounded to Float32.
    func ulps(_ a: Float, _ b: Float) -> Int {
        // Bit patterns made monotonic across the sign, so ±0 are 0 apart.
        func key(_ v: Float) -> Int { v.sign == .minus ? -Int(v.magnitude.bitPattern) : Int(v.bitPattern) }
        return Swift.abs(key(a) - key(b))
    }

    /// Every 1021st Float32 bit pattern of either sign (subnormals to the largest finite value) and
    /// the special values: at most 2 ulp from the correctly rounded erf (1 measured over all 2³²).
    func testErfAgainstFloat64() {
        var inputs: [Float] = [0, -0.0, .infinity, -.infinity, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
                               .leastNormalMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                               0.875, Float(0.875).nextDown, -0.875, 3.92, 4, Float(4).nextDown, -4]
        for bits in stride(from: UInt32(0), to: Float.infinity.bitPattern, by: 1021) {
            inputs.append(Float(bitPattern: bits))
            inputs.append(-Float(bitPattern: bits))
        }
        var outputs = [Float](repeating: 0, count: inputs.count)
        inputs.withUnsafeBufferPointer { x in
            outputs.withUnsafeMutableBufferPointer { y in V.map(x.baseAddress!, y.baseAddress!, 0..<x.count, V.erf) }
        }
        var worst = (ulps: 0, x: Float(0))
        for (x, y) in zip(inputs, outputs) {
            let distance = ulps(y, Float(Foundation.erf(Double(x))))
            if distance > worst.ulps { worst = (distance, x) }
        }
        XCTAssertLessThanOrEqual(worst.ulps, 2, "erf(\(worst.x))")
        XCTAssertEqual(outputs[1].sign, .minus, "erf(−0) = −0")
        XCTAssertTrue(V.lanes(SIMD8<Float>(repeating: .nan), V.erf)[0].isNaN)
    }

    func testExactGELU() {
        let gelu = { (x: Double) in x * Foundation.erfc(-x / 2.0.squareRoot()) / 2 }
        let geluErf = { (x: Lanes) in V.lanes(x, V.geluErf) }
        check("gelu", grid(-1.2, 12, 400_001), geluErf, gelu, tolerance: 4.8e-7, absolute: 1e-30)
        // Below, 1 + erf(x/√2) is taken as erfc, whose error is absolute: never the cancellation of
        // 1 + erf, which loses every digit by −5.5; 0 below −5.66, where |GELU| < 5e-8.
        check("gelu tail", grid(-20, -1.2, 400_001), geluErf, gelu, tolerance: 1e-2, absolute: 5e-8)
        let special = geluErf(SIMD8<Float>(0, -0.0, .infinity, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .nan, -.infinity, 1))
        XCTAssertEqual(special[0], 0)
        XCTAssertEqual(special[1].sign, .minus)
        XCTAssertEqual(special[2], .infinity)
        XCTAssertEqual(special[3], .greatestFiniteMagnitude)
        XCTAssertEqual(special[4], 0)
        XCTAssertTrue(special[5].isNaN)
        XCTAssertTrue(special[6].isNaN, "−∞·0, as the Float64 formula")
    }

    /// A tensor's values do not depend on where in a chunk an element falls (the tail is padded,
    /// not computed by another formula).
    func testEveryElementIsComputedTheSameWayWhateverItsPosition() {
        let values = grid(-9, 9, 37)
        for function in [UnaryFunction.softplus(beta: 10, threshold: 20), .erf, .geluErf] {
            let whole = Tensor(shape: [37], floats: values).map(function).scalars
            for offset in 0..<9 {
                let part = Tensor(shape: [37 - offset], floats: Array(values[offset...])).map(function).scalars
                XCTAssertEqual(part, Array(whole[offset...]), "\(function) offset \(offset)")
            }
        }
    }
}
