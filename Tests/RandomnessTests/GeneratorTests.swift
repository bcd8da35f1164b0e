import Randomness
import XCTest

final class GeneratorTests: XCTestCase {
    /// Stream 0 must reproduce the xoshiro authors' reference code seeded through SplitMix64
    /// (values produced by xoshiro256starstar.c + splitmix64.c).
    func testMatchesReferenceImplementation() {
        var g42 = Xoshiro256StarStar(seed: 42)
        XCTAssertEqual(g42.next(), 0x1578_0B2E_0C2E_C716)
        XCTAssertEqual(g42.next(), 0x6104_D986_6D11_3A7E)
        XCTAssertEqual(g42.next(), 0xAE17_5332_39E4_99A1)
        var g0 = Xoshiro256StarStar(seed: 0)
        XCTAssertEqual(g0.next(), 0x99EC_5F36_CB75_F2B4)
        XCTAssertEqual(g0.next(), 0xBF6E_1F78_4956_452A)
    }

    func testSameSeedSameSequenceAndStreamsDiffer() {
        var a = Xoshiro256StarStar(seed: 7, stream: 3)
        var b = Xoshiro256StarStar(seed: 7, stream: 3)
        var c = Xoshiro256StarStar(seed: 7, stream: 4)
        let sa = (0..<16).map { _ in a.next() }
        XCTAssertEqual(sa, (0..<16).map { _ in b.next() })
        XCTAssertNotEqual(sa, (0..<16).map { _ in c.next() })
    }

    func testDistributionsHaveTheirMoments() {
        var g = Xoshiro256StarStar(seed: 2024)
        let count = 100_000
        let uniforms = (0..<count).map { _ in g.uniform() }
        XCTAssertTrue(uniforms.allSatisfy { $0 >= 0 && $0 < 1 })
        XCTAssertEqual(uniforms.reduce(0, +) / Double(count), 0.5, accuracy: 0.005)  // SE 0.0009

        let normals = (0..<count).map { _ in g.normal() }
        let mean = normals.reduce(0, +) / Double(count)
        let variance = normals.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(count - 1)
        XCTAssertEqual(mean, 0, accuracy: 0.015)  // SE 0.0032
        XCTAssertEqual(variance, 1, accuracy: 0.025)  // SE 0.0045
        XCTAssertTrue(normals.allSatisfy(\.isFinite))

        let signs = (0..<count).map { _ in g.rademacher() }
        XCTAssertTrue(signs.allSatisfy { $0 == 1 || $0 == -1 })
        XCTAssertEqual(signs.reduce(0, +) / Double(count), 0, accuracy: 0.015)  // SE 0.0032
    }

    /// Reference outputs of the C implementation (Vigna, splitmix64.c) from state 0.
    func testSplitMix64MatchesTheReference() {
        var generator = SplitMix64(seed: 0)
        XCTAssertEqual(generator.next(), 0xE220_A839_7B1D_CDAF)
        XCTAssertEqual(generator.next(), 0x6E78_9E6A_A1B9_65F4)
        XCTAssertEqual(generator.next(), 0x06C4_5D18_8009_454F)
    }

    func testBoundedIntegersAreInRangeAndRoughlyUniform() {
        var generator = SplitMix64(seed: 1)
        var counts = [Int](repeating: 0, count: 10)
        for _ in 0 ..< 10_000 { counts[generator.nextInt(below: 10)] += 1 }
        XCTAssertTrue(counts.allSatisfy { (850 ... 1150).contains($0) }, "\(counts)")
        var big = SplitMix64(seed: 2)
        XCTAssertTrue((0 ..< 1000).allSatisfy { _ in big.nextInt(below: 1) == 0 })
    }
}
