import Foundation

/// The CPU's feature flags as /proc/cpuinfo names them ("avx2", "avx512f", …), read once per
/// process; empty where /proc/cpuinfo cannot be read (not Linux). A target of its own, compiled
/// for any x86-64 (Package.swift gives it no vector ISA), because `RequiredCPU` reads the flags
/// before any code compiled for AVX2 may run; `BLASKernels` chooses OpenBLAS's kernels from them.
public enum CPUFeatures {
    public static let flags: Set<String> = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }()
}
