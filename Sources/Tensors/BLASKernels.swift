import CBLAS
import Foundation

/// Which of OpenBLAS's kernel sets runs the GEMMs.
///
/// Debian 12's OpenBLAS 0.3.21 picks its kernels from the CPU's model number, and does not know
/// CPUs released after it (Sapphire Rapids among them): it then falls back to its generic
/// Prescott (SSE3) kernels, about 5× slower than its AVX-512 ones on the same core (measured on
/// this project's machine: 9 against 50 GFLOP/s single-threaded SGEMM). The kernel set can only
/// be chosen before the library loads, through `OPENBLAS_CORETYPE`, so with
/// `CURVATURE_NATIVE_BLAS=1` the CLI re-executes itself once with the set the CPU's features
/// support. It is opt-in because those kernels round a GEMM element differently depending on how
/// the GEMM is cut, so results then depend on `--threads` in their last bits (the generic kernels
/// do not: the Slurm check compares shards and thread counts byte for byte). A user's own
/// `OPENBLAS_CORETYPE` is never overridden, and `CURVATURE_KEEP_OPENBLAS_CORE=1` keeps
/// OpenBLAS's choice.
public enum BLASKernels {
    /// The kernel set OpenBLAS runs ("SkylakeX", "Haswell", "Prescott", …).
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// The kernel set Curvature asked for, when it had to (recorded for benchmark headers).
    public static var chosenByCurvature: String? { ProcessInfo.processInfo.environment[chosenVariable] }

    static let chosenVariable = "CURVATURE_OPENBLAS_CORE_CHOSEN"
    static let keepVariable = "CURVATURE_KEEP_OPENBLAS_CORE"
    static let optInVariable = "CURVATURE_NATIVE_BLAS"

    /// The kernel set for a CPU with these /proc/cpuinfo `flags`, or nil when the generic one is right.
    public static func nativeCore(flags: Set<String>) -> String? {
        if ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"].allSatisfy(flags.contains) {
            return flags.contains("avx512_bf16") ? "Cooperlake" : "SkylakeX"
        }
        if flags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }

    /// The CPU's feature flags (empty where /proc/cpuinfo is not readable).
    public static var cpuFlags: Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// With CURVATURE_NATIVE_BLAS=1, re-executes the running program with OPENBLAS_CORETYPE set when
    /// OpenBLAS fell back to its generic kernels on a CPU that has AVX2 or AVX-512; returns when
    /// nothing is to be done.
    /// Call first thing in `main`, before any BLAS call.
    public static func useNativeKernelsIfMisdetected() {
        let environment = ProcessInfo.processInfo.environment
        guard environment[optInVariable] == "1", environment["OPENBLAS_CORETYPE"] == nil, environment[keepVariable] == nil,
              environment[chosenVariable] == nil,
              coreName == "Prescott", let native = nativeCore(flags: cpuFlags) else { return }
        setenv("OPENBLAS_CORETYPE", native, 1)
        setenv(chosenVariable, native, 1)
        let arguments = CommandLine.arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", arguments)
        // execv returned: carry on with the generic kernels rather than fail.
        unsetenv("OPENBLAS_CORETYPE")
    }
}
