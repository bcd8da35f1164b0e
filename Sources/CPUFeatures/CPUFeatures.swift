import Foundation

/// The CPU's feature flags as /proc/cpuinfo names them ("avx2", "avx512f", …), read once per
/// process; empty where /proc/cpuinfo cannot be read (not Linux). A target of its own, compiled
/// for any x86-64 (Package.swift gives it no vector ISA), because `RequiredCPU` reads the flags
/// before any code compiled for AVX2 may run; `BLASKernels` chooses OpenBLAS's kernels from them.
public enum CPUFeatures {
    public static let flags: Set<String> = {
        guard let value = field("flags") else { return [] }
        return Set(value.split(separator: " ").map(String.init))
    }()

    /// The CPU's name ("AMD EPYC …"), for benchmark headers; nil where /proc/cpuinfo has none.
    public static let modelName: String? = field("model name")

    /// The value of the first /proc/cpuinfo line whose key is `name`.
    private static func field(_ name: String) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":"), line[..<colon].trimmingCharacters(in: .whitespaces) == name else { continue }
            return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return nil
    }
}
