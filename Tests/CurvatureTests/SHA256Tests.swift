import Curvature
import Foundation
import XCTest

/// Against FIPS 180-4's examples and Python's hashlib (on every padding boundary around a block).
final class SHA256Tests: XCTestCase {
    func testKnownDigests() throws {
        XCTAssertEqual(SHA256.hex(Data()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Data("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // hashlib.sha256(bytes(i % 251 for i in range(n))).hexdigest()
        let expected = [
            55: "463eb28e72f82e0a96c0a4cc53690c571281131f672aa229e0d45ae59b598b59",
            56: "da2ae4d6b36748f2a318f23e7ab1dfdf45acdc9d049bd80e59de82a60895f562",
            63: "29af2686fd53374a36b0846694cc342177e428d1647515f078784d69cdb9e488",
            64: "fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108",
            65: "4bfd2c8b6f1eec7a2afeb48b934ee4b2694182027e6d0fc075074f2fabb31781",
            119: "da18797ed7c3a777f0847f429724a2d8cd5138e6ed2895c3fa1a6d39d18f7ec6",
            1000: "4e4c294b331f7a2099a379bec34b9f9fc03dc46ab465d998f4d683da53487e6d",
        ]
        for (count, digest) in expected {
            XCTAssertEqual(SHA256.hex(Data((0..<count).map { UInt8($0 % 251) })), digest, "\(count) bytes")
        }
        // A slice that does not start at index 0.
        let bytes = Data([9, 9] + Array("abc".utf8))
        XCTAssertEqual(SHA256.hex(bytes[2...]), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    /// The checksum Data/README.md gives for the shipped MNIST-5k file.
    func testShippedDataFile() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Data/mnist_5k.csv.gz")
        XCTAssertEqual(try SHA256.hex(fileAt: file), "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d")
    }
}
