import ArgumentParser
import Curvature
import Foundation

/// `--model FILE [--arch NAME|FILE.json]`.
struct ModelOptions: ParsableArguments {
    @Option(help: "Weights (.safetensors); the architecture is read from its metadata unless --arch is given.")
    var model: String

    @Option(help: "Architecture: a built-in name (\(BuiltinArchitecture.names.joined(separator: ", "))) or a JSON file, for models made by PyTorch.")
    var arch: String?

    func validate() throws {
        guard FileManager.default.fileExists(atPath: model) else { throw ValidationError("--model: no file at \(model)") }
        if let arch, BuiltinArchitecture.named(arch) == nil, !FileManager.default.fileExists(atPath: arch) {
            throw ValidationError("--arch: '\(arch)' is neither a built-in name (\(BuiltinArchitecture.names.joined(separator: ", "))) nor a file")
        }
    }

    func load(dtype: DType = .float32) throws -> Sequential {
        let architecture = try arch.map(loadArchitecture)
        return try Sequential.load(from: URL(fileURLWithPath: model), architecture: architecture, dtype: dtype)
    }

    var url: URL { URL(fileURLWithPath: model) }
}

/// A built-in architecture name or an architecture JSON file.
func loadArchitecture(_ nameOrPath: String) throws -> Architecture {
    if let builtin = BuiltinArchitecture.named(nameOrPath) { return builtin }
    return try Architecture(contentsOf: URL(fileURLWithPath: nameOrPath))
}

/// `--threads T`: OpenBLAS threads for this run.
struct ThreadOptions: ParsableArguments {
    @Option(help: "OpenBLAS threads (default: OPENBLAS_NUM_THREADS, else all cores).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be ≥ 1, got \(threads)") }
    }

    func apply() { if let threads { BLASThreads.set(threads) } }
}

/// Checks that a model fits the data's image shape before any work starts.
func checkInput(_ model: Sequential, fits data: LabeledImages, dataName: String) throws {
    let shape = [data.channels, data.height, data.width]
    guard model.inputShape == shape else {
        throw InputError("the model expects inputs \(Shape.describe(model.inputShape)) but \(dataName) has images \(Shape.describe(shape))")
    }
    let classes = model.outputCount
    guard classes >= data.classCount else {
        throw InputError("the model has \(classes) outputs but \(dataName) has \(data.classCount) classes")
    }
}
