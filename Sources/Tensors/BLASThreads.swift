/// The thread count of Curvature's kernels (`--threads`). OpenBLAS itself runs single-threaded
/// inside them; see `Parallel`.
public enum BLASThreads {
    public static var count: Int { Parallel.threadCount }

    public static func set(_ threads: Int) { Parallel.threadCount = threads }
}
