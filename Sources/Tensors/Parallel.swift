import CBLAS
import Foundation
import Synchronization

/// Curvature's own threads. OpenBLAS is kept single-threaded and the kernels split work
/// themselves (samples of a convolution, rows of a GEMM, chunks of an element-wise map): small
/// per-sample GEMMs scale far better that way than with OpenBLAS's threads waiting on serial code.
public enum Parallel {
    /// Threads used by the kernels; starts from OPENBLAS_NUM_THREADS, else the core count.
    public static var threadCount: Int {
        get { configured.count }
        set {
            precondition(newValue >= 1, "thread count must be ≥ 1, got \(newValue)")
            configured.count = newValue
        }
    }

    private final class Configuration: @unchecked Sendable {
        var count: Int
        init() {
            let environment = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"].flatMap(Int.init)
            count = Swift.max(1, environment ?? ProcessInfo.processInfo.activeProcessorCount)
            BLASKernels.selectOnce()
            openblas_set_num_threads(1)
        }
    }

    private static let configured = Configuration()

    /// Calls `body(range)` for the blocks `0..<size, size..<2·size, …` of `0..<count`, concurrently
    /// when more than one thread is configured. The blocks do not depend on the thread count, and
    /// threads take the next block from a shared counter, so a thread slowed by another process
    /// on its core does not hold the others up (`WorkerPool`: nor does one not yet started).
    public static func forEachBlock(of count: Int, size: Int, _ body: (_ range: Range<Int>) -> Void) {
        precondition(size >= 1, "block size must be ≥ 1, got \(size)")
        let blocks = (count + size - 1) / size
        func block(_ index: Int) -> Range<Int> { (index * size)..<Swift.min((index + 1) * size, count) }
        let workers = Swift.min(threadCount, blocks)
        if workers <= 1 {
            for index in 0..<blocks { body(block(index)) }
            return
        }
        if WorkerPool.shared.run(blocks: blocks, helpers: workers - 1, { body(block($0)) }) { return }
        for index in 0..<blocks { body(block(index)) }  // the pool is serving an enclosing loop
    }

    /// Calls `body(range)` for pieces of `0..<count` of at least `minimumChunk` items, concurrently
    /// when more than one thread is configured and the work is worth splitting; for work whose
    /// result does not depend on how it is cut (element-wise maps, per-plane pooling).
    public static func forEachChunk(of count: Int, minimumChunk: Int = 1, _ body: (_ range: Range<Int>) -> Void) {
        let minimum = Swift.max(minimumChunk, 1)
        guard threadCount > 1, count >= 2 * minimum else {
            if count > 0 { body(0..<count) }
            return
        }
        // A few pieces per thread, so that a busy core's share is taken up by the others.
        let pieces = Swift.min(4 * threadCount, count / minimum)
        forEachBlock(of: count, size: (count + pieces - 1) / pieces, body)
    }
}
