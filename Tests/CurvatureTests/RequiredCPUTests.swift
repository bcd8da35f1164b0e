import CPUFeatures
import Curvature
import Foundation
import XCTest

/// The check that a build for AVX2 runs on a CPU that has it, and says what is missing otherwise.
final class RequiredCPUTests: XCTestCase {
    func testAnOlderCPUIsToldWhatItLacks() throws {
        let nehalem: Set<String> = ["fpu", "sse", "sse2", "ssse3", "sse4_1", "sse4_2", "popcnt"]
        let required = ["avx", "avx2", "fma", "f16c", "bmi1", "bmi2", "movbe", "abm", "popcnt"]
        let missing = RequiredCPU.missing(from: nehalem, required: required)
        XCTAssertEqual(missing, ["avx", "avx2", "fma", "f16c", "bmi1", "bmi2", "movbe", "abm"])
        let message = try XCTUnwrap(RequiredCPU.refusal(missing: missing))
        XCTAssertTrue(message.contains("lacks avx, avx2, fma"), message)
        XCTAssertTrue(message.contains("CURVATURE_BASELINE_ISA=1 swift build"), "says how to build for it: \(message)")
        XCTAssertFalse(message.contains("\n"), "one line")
        XCTAssertNil(RequiredCPU.refusal(missing: RequiredCPU.missing(from: Set(required + ["avx512f"]), required: required)))
    }

    /// This very test runs the build's kernels, so this CPU has every flag the build asks for.
    func testThisCPUHasWhatTheBuildNeeds() throws {
        #if arch(x86_64) && os(Linux)
        XCTAssertFalse(CPUFeatures.flags.isEmpty, "/proc/cpuinfo names this CPU's flags")
        XCTAssertEqual(RequiredCPU.missing(from: CPUFeatures.flags), [])
        if ProcessInfo.processInfo.environment["CURVATURE_BASELINE_ISA"] != "1" {
            XCTAssertTrue(RequiredCPU.flags.contains("avx2"), "an x86-64 build is for Haswell's set unless asked otherwise")
        }
        #endif
    }
}
