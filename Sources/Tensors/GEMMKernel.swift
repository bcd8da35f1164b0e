import CKernels
import CPUFeatures
import Foundation

/// The microkernels behind `PackedMatrix` products. Each computes every element of C by the same
/// chain of fused multiply-adds in k order (packed_sgemm.c), so all of them give the same bits and
/// differ only in speed: choosing one by the CPU costs no reproducibility.
public enum GEMMKernel: String, CaseIterable, Sendable {
    /// C's `fmaf`, for any CPU: the reference and the fallback.
    case scalar
    /// AVX2 with FMA (x86-64-v3).
    case avx2
    /// AVX-512F.
    case avx512

    /// The kernels a CPU with these /proc/cpuinfo `flags` runs, slowest first.
    public static func supported(flags: Set<String>) -> [GEMMKernel] {
        #if arch(x86_64)
        return [.scalar] + (flags.isSuperset(of: ["avx2", "fma"]) ? [.avx2] : []) + (flags.contains("avx512f") ? [.avx512] : [])
        #else
        return [.scalar]
        #endif
    }

    /// The kernels this CPU runs.
    public static let onThisCPU = supported(flags: CPUFeatures.flags)

    /// Whether this CPU runs the kernel.
    public var isSupported: Bool { Self.onThisCPU.contains(self) }

    /// The widest kernel this CPU runs.
    public static let fastest: GEMMKernel = onThisCPU.last ?? .scalar

    /// The kernel every product uses: `fastest`, unless `CURVATURE_GEMM_KERNEL` names another this
    /// CPU runs (`avx2` on an AVX-512 CPU measures what a CPU without AVX-512 gets from the same
    /// core, with the same bits; `scalar` hands Float32 products back to OpenBLAS,
    /// `PackedGEMM.replacesBLAS`, whose bits differ). An unknown or unsupported name is ignored
    /// here and refused by the executables before any work (`overrideProblem`).
    public static let selected: GEMMKernel = {
        guard let name = ProcessInfo.processInfo.environment[overrideVariable],
              let kernel = GEMMKernel(rawValue: name), kernel.isSupported else { return fastest }
        return kernel
    }()

    public static let overrideVariable = "CURVATURE_GEMM_KERNEL"

    /// Why `CURVATURE_GEMM_KERNEL=name` cannot be used on a CPU that runs `supported`, or nil.
    public static func overrideProblem(_ name: String?, supported: [GEMMKernel] = onThisCPU) -> String? {
        guard let name else { return nil }
        guard let kernel = GEMMKernel(rawValue: name) else {
            return "\(overrideVariable) '\(name)' names no GEMM kernel; the kernels are \(allCases.map(\.rawValue).joined(separator: ", "))"
        }
        guard supported.contains(kernel) else {
            return "\(overrideVariable) '\(name)': this CPU cannot run that kernel; it runs \(supported.map(\.rawValue).joined(separator: ", "))"
        }
        return nil
    }

    var code: Int32 {
        switch self {
        case .scalar: Int32(CURVATURE_SGEMM_SCALAR)
        case .avx2: Int32(CURVATURE_SGEMM_AVX2)
        case .avx512: Int32(CURVATURE_SGEMM_AVX512)
        }
    }
}
