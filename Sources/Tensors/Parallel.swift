import CBLAS
import Dispatch
import Foundation

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
            openblas_set_num_threads(1)
        }
    }

    private static let configured = Configuration()

    /// Calls `body(chunk, range)` for `chunks` contiguous pieces of `0..<count`, concurrently when
    /// more than one thread is configured and the work is worth splitting.
    public static func forEachChunk(
        of count: Int, minimumChunk: Int = 1, _ body: (_ chunk: Int, _ range: Range<Int>) -> Void
    ) {
        forEachChunk(of: count, chunks: chunkCount(of: count, minimumChunk: minimumChunk), body)
    }

    /// `forEachChunk` with the number of chunks fixed by the caller, who got it from `chunkCount`
    /// and sized per-chunk buffers with it: `threadCount` is read once, so the two cannot disagree.
    static func forEachChunk(
        of count: Int, chunks: Int, _ body: (_ chunk: Int, _ range: Range<Int>) -> Void
    ) {
        precondition(chunks >= 1 && (chunks == 1 || chunks <= count), "\(chunks) chunks for \(count) items")
        if chunks == 1 {
            if count > 0 { body(0, 0..<count) }
            return
        }
        let base = count / chunks, extra = count % chunks
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let start = chunk * base + Swift.min(chunk, extra)
            body(chunk, start..<(start + base + (chunk < extra ? 1 : 0)))
        }
    }

    /// The number of chunks `forEachChunk` will use.
    public static func chunkCount(of count: Int, minimumChunk: Int = 1) -> Int {
        Swift.max(1, Swift.min(threadCount, count / Swift.max(minimumChunk, 1)))
    }
}
