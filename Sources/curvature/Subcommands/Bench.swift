import ArgumentParser
import Curvature
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the speed of input-gradients, input-HVPs and the GEMM kernels.",
        discussion: """
            Examples:
              curvature bench hvp --model cnn --threads 1
              curvature bench spectrum --samples 100
              curvature bench gemm --threads 1
            """,
        subcommands: [BenchHVP.self, BenchSpectrum.self, BenchGEMM.self])
}

struct BenchHVP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hvp",
        abstract: "Time one input-gradient and one batched input-HVP of the summed cross-entropy.",
        discussion: """
            Prints CSV `model,threads,batch,grad_ms,hvp_ms,hvp_per_s`: medians of --repeats timed runs \
            after one warm-up, on B random 1×28×28 inputs with seeded random weights, like the peers in \
            Notebooks-md/scripts/peers. The HVP is timed alone, from the input to H·v, as the peers' \
            jvp of grad returns it: values only the gradient needs are never computed.

            Examples:
              curvature bench hvp --model cnn --batch 128 --threads 1
              curvature bench hvp --model mlp --dtype float64 --repeats 11 --no-header
            """)

    @Option(help: "A built-in network (\(BuiltinArchitecture.names.joined(separator: ", "))): mlp, cnn and resnet18 are the peers' workloads; or a model file (.safetensors, .onnx).")
    var model: String = "cnn"

    @Option(parsing: .unconditional, help: "Batch size B: random inputs per gradient and per HVP.")
    var batch: Int = 128

    @OptionGroup var threads: ThreadOptions

    @Option(parsing: .unconditional, help: "Timed runs after the warm-up (≥ 5); the median is reported.")
    var repeats: Int = 7

    @Option(help: "Arithmetic of weights and inputs.")
    var dtype: DType = .float32

    @Option(parsing: .unconditional, help: "Seed of the random weights, inputs and labels.")
    var seed: UInt64 = 0

    @Flag(help: "Omit the CSV header (to append runs to one file).")
    var noHeader = false

    func validate() throws {
        if BuiltinArchitecture.named(model) == nil {
            guard FileManager.default.fileExists(atPath: model) else {
                throw ValidationError("--model must be one of \(BuiltinArchitecture.names.joined(separator: ", ")) or a model file, got '\(model)'")
            }
            try InputPath.checkFile(model, option: "--model")
        }
        guard batch >= 1 else { throw ValidationError("--batch must be ≥ 1, got \(batch)") }
        guard repeats >= 5 else { throw ValidationError("--repeats must be ≥ 5 for a meaningful median, got \(repeats)") }
    }

    func run() throws {
        threads.apply()
        let type = dtype
        // PyTorch's default initialisation from the seed, as the peers use.
        let network: any Network = try BuiltinArchitecture.named(model).map { try Sequential($0, dtype: type, seed: seed) }
            ?? loadNetwork(model, dtype: type)
        var generator = SeededGenerator(seed: seed &+ 1)
        let x = Tensor(randomShape: [batch] + network.inputShape, .uniform(low: 0, high: 1), dtype: type, generator: &generator)
        let v = Tensor(randomShape: x.shape, .normal(mean: 0, standardDeviation: 1), dtype: type, generator: &generator)
        let labels = (0..<batch).map { _ in Int(generator.next() % UInt64(network.outputCount)) }
        let loss: (Variable) -> Variable = { crossEntropy(logits: network($0), labels: labels, reduction: .sum) }

        let gradient = median(timing { _ = valueAndGradient(of: loss, at: x) })
        let hvp = median(timing { _ = HessianAtPoint(of: loss, at: x).product(along: v) })
        if !noHeader { print("model,threads,batch,grad_ms,hvp_ms,hvp_per_s,openblas_core") }
        print([model, String(Parallel.threadCount), String(batch), format(gradient * 1e3), format(hvp * 1e3),
               String(format: "%.1f", Double(batch) / hvp), BLASKernels.coreName].joined(separator: ","))
    }

    private func timing(_ body: () -> Void) -> [Double] {
        body()  // warm-up
        return (0..<repeats).map { _ in
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
    }

    private func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    private func format(_ value: Double) -> String { String(format: "%.2f", value) }
}

struct BenchSpectrum: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spectrum",
        abstract: "Time a whole spectrum job: top-k Lanczos for the first N Fashion-MNIST test images.",
        discussion: """
            Prints CSV `model,threads,samples,k,steps,batch,seconds,images_per_s` (loading data and \
            model excluded). The exact input Hessian, largest eigenvalues, full reorthogonalisation.

            Examples:
              curvature bench spectrum --samples 100
              curvature bench spectrum --samples 200 --k 10 --steps 20 --threads 1 \\
                --model Data/models/fmnist-cnn-small-standard.safetensors
            """)

    @Option(help: "A model file (.safetensors or .onnx); default: cnn-small with seeded random weights.")
    var model: String?
    @Option(parsing: .unconditional, help: "How many Fashion-MNIST test images, from the first.") var samples: Int = 1000
    @Option(parsing: .unconditional, help: "Eigenvalues per image (≤ --steps).") var k: Int = 20
    @Option(parsing: .unconditional, help: "Lanczos steps m per image (one batched HVP each).") var steps: Int = 40
    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Images processed together.") var batchSize: Int = 100
    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        for (option, value) in [("--samples", samples), ("--k", k), ("--steps", steps), ("--batch-size", batchSize)] where value < 1 {
            throw ValidationError("\(option) must be ≥ 1, got \(value)")
        }
        guard k <= steps else { throw ValidationError("--k \(k) is larger than --steps \(steps); raise --steps to at least \(k)") }
    }

    func run() throws {
        threads.apply()
        // "cnn-small" is one of BuiltinArchitecture.names: the lookup cannot fail.
        let network: any Network = try model.map { try loadNetwork($0) } ?? Sequential(BuiltinArchitecture.named("cnn-small")!, seed: 0)
        let images = try loadDataset("fashion-mnist", split: .test)
        var settings = SpectrumSettings()
        (settings.k, settings.steps) = (k, steps)
        let job = SpectrumJob(model: { network($0) }, settings: settings)
        let start = DispatchTime.now().uptimeNanoseconds
        for batch in images.batches(in: 0..<samples, size: batchSize) { _ = try job.rows(for: batch) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        print("model,threads,samples,k,steps,batch,seconds,images_per_s")
        print("\(model ?? "cnn-small(random)"),\(Parallel.threadCount),\(samples),\(k),\(steps),\(batchSize),\(String(format: "%.2f", seconds)),\(String(format: "%.1f", Double(samples) / seconds))")
    }
}
