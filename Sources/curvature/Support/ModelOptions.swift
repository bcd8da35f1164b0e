import ArgumentParser
import Curvature
import Foundation

/// `--model FILE [--arch NAME|FILE.json]`.
struct ModelOptions: ParsableArguments {
    @Option(help: "The network: .safetensors (the architecture from its metadata unless --arch is given) or an ONNX file (.onnx, e.g. from torch.onnx.export).")
    var model: String

    @Option(help: "Architecture: a built-in name (\(BuiltinArchitecture.names.joined(separator: ", "))) or a JSON file, for models made by PyTorch.")
    var arch: String?

    func validate() throws {
        try InputPath.checkFile(model, option: "--model")
        if let arch { try checkArchitectureName(arch) }
    }

    func load(dtype: DType = .float32) throws -> any Network {
        try loadNetwork(model, architecture: try arch.map(loadArchitecture), dtype: dtype)
    }

    var url: URL { URL(fileURLWithPath: model) }
}

/// Loads a model file as every subcommand does: what the loader noticed (a dropped Softmax head)
/// goes to stderr.
func loadNetwork(_ path: String, architecture: Architecture? = nil, dtype: DType = .float32) throws -> any Network {
    let network = try NetworkFile.load(path, architecture: architecture, dtype: dtype)
    for note in NetworkFile.notes(of: network) { printNote("curvature: \(note)") }
    return network
}

/// A usage error unless `nameOrPath` is a built-in architecture or an existing file.
func checkArchitectureName(_ nameOrPath: String) throws {
    guard BuiltinArchitecture.named(nameOrPath) == nil else { return }
    guard FileManager.default.fileExists(atPath: nameOrPath) else {
        throw ValidationError("--arch: '\(nameOrPath)' is neither a built-in name (\(BuiltinArchitecture.names.joined(separator: ", "))) nor a file")
    }
    try InputPath.checkFile(nameOrPath, option: "--arch")
}

/// A built-in architecture name or an architecture JSON file.
func loadArchitecture(_ nameOrPath: String) throws -> Architecture {
    if let builtin = BuiltinArchitecture.named(nameOrPath) { return builtin }
    return try Architecture(contentsOf: URL(fileURLWithPath: nameOrPath))
}

/// `--threads T`: Curvature's own worker threads.
struct ThreadOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: """
        Worker threads of Curvature's kernels (OpenBLAS itself runs single-threaded inside them); \
        default: OPENBLAS_NUM_THREADS, else all cores.
        """)
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be ≥ 1, got \(threads)") }
    }

    func apply() { if let threads { Parallel.threadCount = threads } }
}
