import CBLAS

/// OpenBLAS's thread count. It starts from `OPENBLAS_NUM_THREADS` (or the core count); the CLI's
/// `--threads` overrides it for one run.
public enum BLASThreads {
    public static var count: Int { Int(openblas_get_num_threads()) }

    public static func set(_ threads: Int) {
        precondition(threads >= 1, "BLAS threads must be ≥ 1, got \(threads)")
        openblas_set_num_threads(Int32(threads))
    }
}
