import Spectra
import XCTest

final class Xoshiro256StarStarTests: XCTestCase {
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
}
