import Tensors
import XCTest

/// The kernel set: one whose GEMMs round an element the same way for any extents, unless asked.
final class BLASKernelsTests: XCTestCase {
    let avx512: Set = ["sse3", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"]

    func testNativeCoreFollowsTheVectorExtensions() {
        XCTAssertEqual(BLASKernels.nativeCore(flags: avx512), "SkylakeX")
        XCTAssertEqual(BLASKernels.nativeCore(flags: avx512.union(["avx512_bf16"])), "Cooperlake")
        XCTAssertEqual(BLASKernels.nativeCore(flags: ["sse3", "avx", "avx2", "fma"]), "Haswell")
        XCTAssertEqual(BLASKernels.nativeCore(flags: avx512.subtracting(["avx512vl"]).union(["avx2"]).subtracting(["fma"])), nil)
        XCTAssertNil(BLASKernels.nativeCore(flags: ["sse3", "avx"]))
    }

    func testTheDefaultChoiceIsExtentInvariant() {
        let avx2: Set = ["sse3", "avx", "avx2", "fma"]
        // OpenBLAS's own pick on an AVX2 CPU replaced by Sandybridge; AVX-512 CPUs get their own set.
        XCTAssertEqual(BLASKernels.preferredCore(current: "Zen", flags: avx2, native: false), "Sandybridge")
        XCTAssertEqual(BLASKernels.preferredCore(current: "Haswell", flags: avx2, native: false), "Sandybridge")
        XCTAssertEqual(BLASKernels.preferredCore(current: "Prescott", flags: avx512, native: false), "SkylakeX")
        XCTAssertEqual(BLASKernels.preferredCore(current: "Prescott", flags: avx512.union(["avx512_bf16"]), native: false), "Cooperlake")
        XCTAssertNil(BLASKernels.preferredCore(current: "SkylakeX", flags: avx512, native: false))
        XCTAssertEqual(BLASKernels.preferredCore(current: "Sandybridge", flags: avx512, native: false), "SkylakeX")
        // Without AVX: an invariant pick is kept, anything else falls back to Prescott.
        XCTAssertNil(BLASKernels.preferredCore(current: "Nehalem", flags: ["sse3", "sse4_2"], native: false))
        XCTAssertEqual(BLASKernels.preferredCore(current: "Bulldozer", flags: ["sse3"], native: false), "Prescott")
        // A set the environment names: kept when invariant, replaced otherwise.
        XCTAssertNil(BLASKernels.preferredCore(current: "Prescott", flags: avx512, native: false, requested: true))
        XCTAssertEqual(BLASKernels.preferredCore(current: "Haswell", flags: avx512, native: false, requested: true), "SkylakeX")
        XCTAssertEqual(BLASKernels.preferredCore(current: "Haswell", flags: avx2, native: false, requested: true), "Sandybridge")
        // Asked for speed: the CPU's fastest set, unless the environment names one.
        XCTAssertEqual(BLASKernels.preferredCore(current: "Prescott", flags: avx512.union(["avx512_bf16"]), native: true), "Cooperlake")
        XCTAssertNil(BLASKernels.preferredCore(current: "Haswell", flags: avx2, native: true))
        XCTAssertNil(BLASKernels.preferredCore(current: "Prescott", flags: ["sse3"], native: true))
        XCTAssertNil(BLASKernels.preferredCore(current: "Prescott", flags: avx512, native: true, requested: true))
    }

    /// In this process the running set is a position-invariant one (on an AVX2 CPU, Sandybridge).
    func testTheRunningKernelsAreTheChoice() throws {
        let environment = ProcessInfo.processInfo.environment
        try XCTSkipIf(environment["CURVATURE_KEEP_OPENBLAS_CORE"] == "1" || environment["CURVATURE_NATIVE_BLAS"] == "1",
                      "the environment asked for OpenBLAS's own or the fastest kernels")
        let running = BLASKernels.coreName
        XCTAssertTrue(BLASKernels.invariantCores.contains(running), "running \(running)")
        let flags = BLASKernels.cpuFlags
        if environment["OPENBLAS_CORETYPE"] == nil && flags.contains("avx") {
            let native = BLASKernels.nativeCore(flags: flags) ?? "Sandybridge"
            XCTAssertEqual(running, native == "Haswell" ? "Sandybridge" : native)
        }
    }
}
