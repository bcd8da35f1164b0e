import CBLAS
import CPUFeatures
import Foundation

/// Which of OpenBLAS's kernel sets runs the GEMMs, chosen in-process before the first one.
///
/// Results must not depend on `--threads`, `--batch-size` or a shard split, so a sample's GEMM
/// elements must be rounded the same way whichever other samples share the GEMM. `parallelGemm`
/// and the convolutions give every BLAS call of a layer one shape (fixed tiles, the last one
/// padded), so what is needed of a kernel set is that an element is rounded the same way wherever
/// it sits in a call of a given shape. Measured with Debian 12's OpenBLAS 0.3.21
/// (`scripts/blas-invariance.py`): true of the Prescott, Nehalem, Sandybridge, SkylakeX and
/// Cooperlake sets; not of the Haswell/Zen SGEMM, which rounds by position (period 12) — and that
/// is the set OpenBLAS itself picks on an AVX2 CPU. So Curvature switches OpenBLAS, in-process
/// before its first GEMM, to SkylakeX/Cooperlake on a CPU with AVX-512 (Debian's OpenBLAS falls
/// back to Prescott on CPUs newer than itself, such as Sapphire and Emerald Rapids: 4.6× slower
/// SGEMM on this project's machine) and to Sandybridge on one with AVX2 (about 0.75× Haswell's
/// SGEMM speed).
///
/// An `OPENBLAS_CORETYPE` from the environment is kept when it names one of those sets and
/// replaced otherwise, by the set the CPU's own flags support (some machines set it to avoid
/// OpenBLAS's misdetection). Only on x86-64 Linux, where /proc/cpuinfo names the flags; elsewhere
/// OpenBLAS's pick stands. The switch must happen before any BLAS call and before other threads
/// call BLAS: the CLI makes it first thing in `main`, the kernels on first use of `Parallel`
/// (library code that calls BLAS directly, as Spectra does, should call `selectOnce()` first). `CURVATURE_KEEP_OPENBLAS_CORE=1` keeps whatever OpenBLAS
/// runs; `CURVATURE_NATIVE_BLAS=1` asks for the CPU's fastest set (Haswell on AVX2), trading the
/// bit-for-bit guarantees for speed there.
public enum BLASKernels {
    /// The kernel set OpenBLAS runs ("Sandybridge", "Prescott", …).
    public static var coreName: String {
        selectOnce()
        return String(cString: openblas_get_corename())
    }

    /// Kernel sets that round an element the same way wherever it sits in a call of a given shape.
    public static let invariantCores: Set<String> = ["Prescott", "Nehalem", "Sandybridge", "SkylakeX", "Cooperlake"]

    static let keepVariable = "CURVATURE_KEEP_OPENBLAS_CORE"
    static let nativeVariable = "CURVATURE_NATIVE_BLAS"

    /// The kernel set to switch to from `current` (OpenBLAS's pick, or the environment's when
    /// `requested`) on a CPU with these /proc/cpuinfo `flags`, or nil to keep it. `native` asks for
    /// the fastest set.
    public static func preferredCore(current: String, flags: Set<String>, native: Bool, requested: Bool = false) -> String? {
        if native {
            guard !requested, let fastest = nativeCore(flags: flags), fastest.lowercased() != current.lowercased() else { return nil }
            return fastest
        }
        if requested && invariantCores.contains(current) { return nil }
        let avx512 = nativeCore(flags: flags).flatMap { invariantCores.contains($0) ? $0 : nil }
        let choice = avx512 ?? (flags.contains("avx") ? "Sandybridge" : (invariantCores.contains(current) ? current : "Prescott"))
        return choice.lowercased() == current.lowercased() ? nil : choice
    }

    /// The fastest kernel set for a CPU with these /proc/cpuinfo `flags`, or nil when the generic one is right.
    public static func nativeCore(flags: Set<String>) -> String? {
        if ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"].allSatisfy(flags.contains) {
            return flags.contains("avx512_bf16") ? "Cooperlake" : "SkylakeX"
        }
        if flags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }

    /// The CPU's feature flags (empty where /proc/cpuinfo is not readable): `CPUFeatures.flags`.
    public static var cpuFlags: Set<String> { CPUFeatures.flags }

    /// Applies the choice once per process (see above for when it must run).
    public static func selectOnce() { _ = selection }

    private static let selection: Void = {
        #if arch(x86_64)
        let environment = ProcessInfo.processInfo.environment
        let flags = cpuFlags
        guard environment[keepVariable] != "1", !flags.isEmpty else { return }
        let requested = environment["OPENBLAS_CORETYPE"]
        let current = String(cString: openblas_get_corename())
        guard let core = preferredCore(current: current, flags: flags, native: environment[nativeVariable] == "1",
                                       requested: requested != nil) else { return }
        // OpenBLAS reads OPENBLAS_CORETYPE when its dispatch table is (re)initialised; set it only
        // for that moment, so that child processes make their own choice from the same environment.
        setenv("OPENBLAS_CORETYPE", core, 1)
        gotoblas_dynamic_quit()
        gotoblas_dynamic_init()
        if let requested { setenv("OPENBLAS_CORETYPE", requested, 1) } else { unsetenv("OPENBLAS_CORETYPE") }
        #endif
    }()
}

/// OpenBLAS's dynamic-architecture dispatch (exported by its DYNAMIC_ARCH builds, as Debian's).
@_silgen_name("gotoblas_dynamic_init") private func gotoblas_dynamic_init()
@_silgen_name("gotoblas_dynamic_quit") private func gotoblas_dynamic_quit()
