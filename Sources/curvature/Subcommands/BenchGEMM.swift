import ArgumentParser
import CBLAS
import CPUFeatures
import Curvature
import Foundation

struct BenchGEMM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "GFLOP/s of the packed SGEMM's kernels against cblas_sgemm on the engine's shapes.",
        discussion: """
            Prints a `#` line naming the CPU, its vector flags, OpenBLAS's kernel set and the threads, \
            then CSV `workload,m,k,n,<kernel>_gflops…,openblas_gflops,ratio`: C = A·Wᵀ for a weight W \
            [N, K] as the layers store it, 2·M·N·K FLOPs a product. Each number is the median of \
            --repeats timings of a loop of at least 20 ms, the kernels and OpenBLAS interleaved; \
            OpenBLAS runs with --threads threads, the weights are packed once beforehand (as a \
            layer would), and `ratio` is the fastest kernel over OpenBLAS. OpenBLAS runs the kernel \
            set Curvature chooses (with CURVATURE_NATIVE_BLAS=1 in the environment, the CPU's fastest). \
            Workloads: the linear layers of mlp (and the smaller mlp-like 784→256, 256→10) and of cnn \
            at batches 1 and 128, and convolutions as im2col GEMMs (M = batch·H·W, K = C·kh·kw, \
            N = output channels).

            Examples:
              curvature bench gemm --threads 1
              curvature bench gemm --threads 2 --only "conv B=1" --repeats 9
            """)

    @OptionGroup var threads: ThreadOptions

    @Option(parsing: .unconditional, help: "Timed runs of each product (≥ 5); the median is reported.")
    var repeats: Int = 7

    @Option(help: "Only the workloads whose names have each of these words (\"mlp\", \"conv B=1\", …).")
    var only: String?

    func validate() throws {
        guard repeats >= 5 else { throw ValidationError("--repeats must be ≥ 5 for a meaningful median, got \(repeats)") }
        if let only, !Self.workloads.contains(where: { $0.matches(only) }) {
            throw ValidationError("--only '\(only)' matches no workload; they are: \(Self.workloads.map(\.name).joined(separator: "; "))")
        }
    }

    private struct Workload {
        let name: String, m: Int, k: Int, n: Int

        /// Whether each word of `filter` is a word of the name ("B=1" is not "B=128").
        func matches(_ filter: String) -> Bool {
            let words = Set(name.split(separator: " "))
            return filter.split(separator: " ").allSatisfy(words.contains)
        }
    }

    private static let workloads: [Workload] = [1, 128].flatMap { batch in
        [("mlp 784→512", 784, 512), ("mlp 512→512", 512, 512), ("mlp 512→10", 512, 10),
         ("mlp-like 784→256", 784, 256), ("mlp-like 256→10", 256, 10),
         ("cnn 3136→1024", 3136, 1024), ("cnn 1024→10", 1024, 10)].map { Workload(name: "\($0.0) B=\(batch)", m: batch, k: $0.1, n: $0.2) }
    } + [
        Workload(name: "cnn conv 5×5 1→32 28² B=1", m: 784, k: 25, n: 32),
        Workload(name: "cnn conv 5×5 32→64 14² B=1", m: 196, k: 800, n: 64),
        Workload(name: "cnn conv 5×5 32→64 14² B=128", m: 128 * 196, k: 800, n: 64),
        Workload(name: "resnet18 conv 3×3 64→64 32² B=1", m: 1024, k: 576, n: 64),
        Workload(name: "resnet18 conv 3×3 64→64 32² B=32", m: 32 * 1024, k: 576, n: 64),
        Workload(name: "resnet18 conv 3×3 256→256 8² B=32", m: 32 * 64, k: 2304, n: 256),
    ]

    func run() throws {
        threads.apply()
        let kernels = GEMMKernel.onThisCPU.filter { $0 != .scalar }
        let vectorFlags = ["avx2", "fma", "avx512f", "avx512_bf16"].filter(CPUFeatures.flags.contains).joined(separator: " ")
        print("# CPU: \(CPUFeatures.modelName ?? "unknown") (\(vectorFlags)), OpenBLAS core \(BLASKernels.coreName), "
              + "threads \(Parallel.threadCount), medians of \(repeats); \(ISO8601DateFormatter().string(from: Date()))")
        print((["workload", "m", "k", "n"] + kernels.map { "\($0.rawValue)_gflops" } + ["openblas_gflops", "ratio"]).joined(separator: ","))
        for workload in Self.workloads where only.map(workload.matches) ?? true {
            let rates = measure(workload, kernels: kernels)
            let ours = rates.dropLast(), openBLAS = rates.last!
            print(([workload.name, String(workload.m), String(workload.k), String(workload.n)]
                   + rates.map { String(format: "%.1f", $0) } + [String(format: "%.2f", ours.max()! / openBLAS)]).joined(separator: ","))
        }
    }

    /// GFLOP/s of each kernel and then of OpenBLAS, medians over interleaved rounds.
    private func measure(_ w: Workload, kernels: [GEMMKernel]) -> [Double] {
        let a = Tensor(randomShape: [w.m, w.k], .uniform(low: -1, high: 1), seed: 1).floats
        let weight = Tensor(randomShape: [w.n, w.k], .uniform(low: -1, high: 1), seed: 2).floats
        var c = [Float](repeating: 0, count: w.m * w.n)
        let packed = weight.withUnsafeBufferPointer { PackedMatrix($0.baseAddress!, k: w.k, n: w.n, ldb: w.k, transposed: true) }
        let products: [() -> Void] = kernels.map { kernel in
            { PackedGEMM.multiply(a, rows: w.m, lda: w.k, by: packed, into: &c, ldc: w.n, kernel: kernel) }
        } + [{
            // Curvature keeps OpenBLAS single-threaded; here it gets the same threads as the kernels.
            openblas_set_num_threads(Int32(Parallel.threadCount))
            defer { openblas_set_num_threads(1) }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(w.m), Int32(w.n), Int32(w.k), 1,
                        a, Int32(w.k), weight, Int32(w.k), 0, &c, Int32(w.n))
        }]
        let loops = products.map { product in loopLength(product) }
        var seconds = [[Double]](repeating: [], count: products.count)
        for _ in 0..<repeats {
            for (index, product) in products.enumerated() { seconds[index].append(time(product, loops[index])) }
        }
        return seconds.map { 2 * Double(w.m * w.n * w.k) / median($0) / 1e9 }
    }

    /// Products per timing: enough for 20 ms (after one warm-up product).
    private func loopLength(_ product: () -> Void) -> Int {
        product()
        let once = time(product, 1)
        return Swift.max(1, Int(0.02 / Swift.max(once, 1e-9)))
    }

    /// Seconds per product over `count` products.
    private func time(_ product: () -> Void, _ count: Int) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<count { product() }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(count)
    }

    private func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
}
