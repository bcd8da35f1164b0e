import ArgumentParser
import Curvature
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the speed of input-gradients and input-HVPs.",
        subcommands: [BenchHVP.self, BenchSpectrum.self])
}

struct BenchHVP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hvp",
        abstract: "Time one input-gradient and one batched input-HVP of the summed cross-entropy.",
        discussion: """
            Prints CSV `model,threads,batch,grad_ms,hvp_ms,hvp_per_s`: medians of --repeats timed runs \
            after one warm-up, on B random 1×28×28 inputs with seeded random weights, like the peers in \
            Notebooks-md/scripts/peers.
            """)

    @Option(help: "A built-in network (\(BuiltinArchitecture.names.joined(separator: ", "))): mlp and cnn are the peers' workloads.")
    var model: String = "cnn"

    @Option(parsing: .unconditional, help: "Batch size B.")
    var batch: Int = 128

    @OptionGroup var threads: ThreadOptions

    @Option(parsing: .unconditional, help: "Timed runs; the median is reported.")
    var repeats: Int = 7

    @Option(help: "Arithmetic of weights and inputs.")
    var dtype: DType = .float32

    @Option(parsing: .unconditional, help: "Seed for weights and inputs.")
    var seed: UInt64 = 0

    @Flag(help: "Omit the CSV header.")
    var noHeader = false

    func validate() throws {
        guard BuiltinArchitecture.named(model) != nil else {
            throw ValidationError("--model must be one of \(BuiltinArchitecture.names.joined(separator: ", ")), got '\(model)'")
        }
        guard batch >= 1 else { throw ValidationError("--batch must be ≥ 1, got \(batch)") }
        guard repeats >= 5 else { throw ValidationError("--repeats must be ≥ 5 for a meaningful median, got \(repeats)") }
    }

    func run() throws {
        threads.apply()
        let type = dtype
        // PyTorch's default initialisation from the seed, as the peers use.
        let network = try Sequential(BuiltinArchitecture.named(model)!, dtype: type, seed: seed)
        var generator = SeededGenerator(seed: seed &+ 1)
        let x = Tensor(randomShape: [batch, 1, 28, 28], .uniform(low: 0, high: 1), dtype: type, generator: &generator)
        let v = Tensor(randomShape: x.shape, .normal(mean: 0, standardDeviation: 1), dtype: type, generator: &generator)
        let labels = (0..<batch).map { _ in Int(generator.next() % 10) }
        let loss: (Variable) -> Variable = { crossEntropy(logits: network($0), labels: labels, reduction: .sum) }

        let gradient = median(timing { _ = valueAndGradient(of: loss, at: x) })
        let hvp = median(timing { _ = hessianVectorProduct(of: loss, at: x, along: v) })
        if !noHeader { print("model,threads,batch,grad_ms,hvp_ms,hvp_per_s") }
        print([model, String(Parallel.threadCount), String(batch), format(gradient * 1e3), format(hvp * 1e3),
               String(format: "%.1f", Double(batch) / hvp)].joined(separator: ","))
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
        discussion: "Prints CSV `model,threads,samples,k,steps,batch,seconds,images_per_s` (loading data and model excluded).")

    @Option(help: "Weights (.safetensors); default: cnn-small with seeded random weights.")
    var model: String?
    @Option(parsing: .unconditional) var samples: Int = 1000
    @Option(parsing: .unconditional) var k: Int = 20
    @Option(parsing: .unconditional) var steps: Int = 40
    @Option(name: .customLong("batch-size"), parsing: .unconditional) var batchSize: Int = 100
    @OptionGroup var threads: ThreadOptions

    func run() throws {
        threads.apply()
        let network = try model.map { try Sequential.load(from: URL(fileURLWithPath: $0)) }
            ?? Sequential(BuiltinArchitecture.named("cnn-small")!, seed: 0)
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
