import ArgumentParser
import Curvature
import Foundation

struct Section: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cross-sections of several models' decision regions through one sample.",
        discussion: """
            For each model, the plane x + a·e₁ + b·e₂ through the sample x: e₁ the unit direction to \\
            that model's nearest boundary point x_b (as `curvature boundary` finds it), e₂ a second \\
            unit direction orthogonal to it (--direction: the boundary's principal direction of \\
            largest curvature at x_b, a random one, or the margin's gradient at x). On an N × N grid \\
            over [−E, E]² (image units: ℓ2 of pixels in [0, 1]; E by default twice the largest \\
            distance to a boundary, the same for every model) it writes CSV \\
            `model,a,b,predicted,margin` (margin z_y − max_{k≠y} z_k of the sample's class y: its zero \\
            level is the boundary) and <out stem>.marks.csv `model,point,a,b` with x and x_b. \\
            `curvature plot section` draws them side by side.

            Examples:
              curvature section \\
                --models Data/models/fmnist-cnn-small-softplus-standard.safetensors \\
                --names normal --data fashion-mnist --sample 0 --out section.csv
              curvature section --direction gradient --grid 41 \\
                --models Data/models/fmnist-cnn-small-softplus-pgd.safetensors \\
                --names pgd --data fashion-mnist --sample 3 --out section-pgd.csv
            """)

    @Option(help: "Comma-separated model files (.safetensors or .onnx).")
    var models: CommaSeparated<String>

    @Option(help: "Comma-separated names, one per model (default: file names).")
    var names: CommaSeparated<String>?

    @Option(help: "Architecture for models without one in their metadata: a built-in name or a JSON file.")
    var arch: String?

    @OptionGroup var data: DataOptions

    @Option(parsing: .unconditional, help: "The sample's index within the split.")
    var sample: Int

    @Option(help: "The second direction: principal (largest boundary curvature at x_b; smooth networks), random or gradient.")
    var direction: SectionDirection = .random

    @Option(parsing: .unconditional, help: "Half the side of the square, in image units (default: twice the largest distance to a boundary).")
    var extent: Double?

    @Option(parsing: .unconditional, help: "Grid points per side (default 81).")
    var grid: Int = 81

    @Option(parsing: .unconditional, help: "Seed of the random direction.")
    var seed: UInt64 = 0

    @Option(help: "Arithmetic of the models.")
    var dtype: DType = .float32

    @OptionGroup var threads: ThreadOptions

    @Option(help: "Output CSV (also writes <out stem>.marks.csv and <out>.meta.json).")
    var out: String

    private var modelNames: [String] {
        names?.values ?? models.values.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
    }

    private var marksURL: URL { URL(fileURLWithPath: out).deletingPathExtension().appendingPathExtension("marks.csv") }

    func validate() throws {
        for path in models.values { try InputPath.checkFile(path, option: "--models") }
        if let names, names.values.count != models.values.count {
            throw ValidationError("--names gives \(names.values.count) names for \(models.values.count) models")
        }
        if let arch { try checkArchitectureName(arch) }
        guard sample >= 0 else { throw ValidationError("--sample must be ≥ 0, got \(sample)") }
        if data.samples != nil || data.offset != 0 { throw ValidationError("--samples and --offset have no effect with section; it takes one --sample") }
        if let extent, !(extent > 0) { throw ValidationError("--extent must be positive, got \(extent)") }
        guard grid >= 2 && grid <= 1001 else { throw ValidationError("--grid must lie in 2…1001, got \(grid)") }
        try OutputPath.checkFile(out, option: "--out")
    }

    func run() throws {
        let start = Date()
        threads.apply()
        let images = try data.load()
        guard sample < images.count else {
            throw ValidationError("--sample \(sample) is beyond the \(images.count) images of \(data.data)'s \(data.split.rawValue) split")
        }
        let architecture = try arch.map(loadArchitecture)
        let networks = try models.values.map { try loadNetwork($0, architecture: architecture, dtype: dtype) }
        for (name, network) in zip(modelNames, networks) { try checkInput(network, fits: images, modelName: name, dataName: data.data) }
        let image = images.batch(at: [sample], dtype: dtype).images
        let set = try SectionSet(models: zip(modelNames, networks).map { name, network in (name, { network($0) }) }, image: image,
                                 sampleIndex: sample, direction: direction, extent: extent, grid: grid, seed: seed)
        try AtomicFile.write(set.gridCSV(dtype: dtype), to: URL(fileURLWithPath: out))
        try AtomicFile.write(set.marksCSV(dtype: dtype), to: marksURL)
        let settings = ["sample": String(sample), "direction": direction.rawValue, "extent": "\(set.extent)", "grid": String(grid),
                        "data": data.data, "split": data.split.rawValue, "dtype": dtype.rawValue, "models": models.values.joined(separator: ",")]
        try writeMeta(for: URL(fileURLWithPath: out), model: nil, seed: seed, settings: settings, start: start, extra: ["models": set.record])
    }
}

extension SectionDirection: ExpressibleByArgument {}
