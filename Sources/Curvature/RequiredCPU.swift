import CPUFeatures
import Foundation
import Tensors

/// The CPU extensions this build's kernels were compiled for (Package.swift's `vectorISA`:
/// Haswell's set, x86-64-v3, on x86-64). A CPU without them would stop at the first such
/// instruction with SIGILL, so the executables check first and say what is missing. This file's
/// module is compiled for any x86-64, so the check itself runs everywhere.
public enum RequiredCPU {
    /// /proc/cpuinfo flags the build needs; empty for a build for any x86-64 (or another arch).
    public static var flags: [String] {
        #if CURVATURE_HASWELL_ISA
        ["avx", "avx2", "fma", "f16c", "bmi1", "bmi2", "movbe", "abm", "popcnt"]
        #else
        []
        #endif
    }

    /// The required flags missing from `cpuFlags`, in `flags`' order.
    public static func missing(from cpuFlags: Set<String>, required: [String] = flags) -> [String] {
        required.filter { !cpuFlags.contains($0) }
    }

    /// The message for a CPU that lacks `missing`, or nil when nothing is missing.
    public static func refusal(missing: [String]) -> String? {
        if missing.isEmpty { return nil }
        return "curvature: this build needs a CPU with AVX2 and FMA (x86-64-v3, Intel since 2013, AMD since 2015); "
            + "this CPU lacks \(missing.joined(separator: ", ")). Build for any x86-64 with "
            + "CURVATURE_BASELINE_ISA=1 swift build -c release (about half the speed of the element-wise kernels)"
    }

    /// Exits with status 1 and the refusal on stderr when this CPU lacks a required flag; does
    /// nothing when /proc/cpuinfo cannot be read (not Linux) or the build needs nothing.
    /// Then exits with status 2 when `CURVATURE_GEMM_KERNEL` names a kernel this CPU cannot run.
    public static func check() {
        if !flags.isEmpty && !CPUFeatures.flags.isEmpty, let message = refusal(missing: missing(from: CPUFeatures.flags)) {
            FileHandle.standardError.write(Data((message + "\n").utf8))
            exit(1)
        }
        // Only now: Tensors is compiled for the flags checked above.
        if let problem = GEMMKernel.overrideProblem(ProcessInfo.processInfo.environment[GEMMKernel.overrideVariable]) {
            FileHandle.standardError.write(Data("curvature: \(problem)\n".utf8))
            exit(2)
        }
    }
}
