import Tensors
import XCTest

/// The kernel set chosen for a CPU whose model OpenBLAS does not know, from its features alone.
final class BLASKernelsTests: XCTestCase {
    func testNativeCoreFollowsTheVectorExtensions() {
        let avx512: Set = ["sse3", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"]
        XCTAssertEqual(BLASKernels.nativeCore(flags: avx512), "SkylakeX")
        XCTAssertEqual(BLASKernels.nativeCore(flags: avx512.union(["avx512_bf16"])), "Cooperlake")
        XCTAssertEqual(BLASKernels.nativeCore(flags: ["sse3", "avx", "avx2", "fma"]), "Haswell")
        XCTAssertEqual(BLASKernels.nativeCore(flags: avx512.subtracting(["avx512vl"]).union(["avx2"]).subtracting(["fma"])), nil)
        XCTAssertNil(BLASKernels.nativeCore(flags: ["sse3", "avx"]))
        XCTAssertFalse(BLASKernels.coreName.isEmpty)
    }
}
