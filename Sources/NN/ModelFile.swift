import Foundation
import Messages
import Tensors

extension Sequential {
    /// Saves weights and buffers in PyTorch `state_dict` naming, with the architecture JSON in the
    /// metadata under "architecture", atomically.
    public func save(to url: URL, metadata extra: [String: String] = [:]) throws {
        var file = SafetensorsFile(tensors: namedParameters.map { ($0.name, $0.parameter.value) },
                                   metadata: extra.merging(["architecture": architecture.jsonString(), "format": "pt"]) { $1 })
        for (name, layer) in zip(layerNames, layers) {
            for (prefix, norm) in batchNorms(of: layer) {
                file.integers.append(("\(name).\(prefix)num_batches_tracked", [], [Int64(norm.batchesTracked)]))
            }
        }
        try file.write(to: url)
    }

    /// Loads a model: the architecture comes from `architecture` when given (a file made by
    /// PyTorch), else from the file's metadata. Every tensor's shape is checked against the
    /// architecture; missing and unexpected names are errors.
    public static func load(from url: URL, architecture given: Architecture? = nil, dtype: DType = .float32) throws -> Sequential {
        let file = try SafetensorsFile.read(from: url)
        let source = url.lastPathComponent
        let architecture: Architecture
        if let given {
            architecture = given
        } else if let json = file.metadata["architecture"] {
            architecture = try Architecture(json: Data(json.utf8), source: "\(source) metadata")
        } else {
            throw ModelError("\(source): no architecture in the metadata; pass \(setting: "architecture") FILE.json (PyTorch nn.Sequential layout)")
        }
        // Refuse before allocating: an architecture far larger than the tensors the file holds
        // cannot load, and building it could take gigabytes.
        let held = file.tensors.reduce(0) { $0 + $1.tensor.count }
        var needed = 0
        for spec in architecture.layers {
            let (sum, overflow) = needed.addingReportingOverflow(spec.parameterCount ?? Int.max)
            needed = overflow ? Int.max : sum
        }
        if needed > 2 * held + 4096 {
            throw ModelError("\(source): the architecture needs about \(needed) weights but the file holds \(held)")
        }
        let model = try Sequential(architecture, dtype: dtype)
        try model.loadState(file, source: source)
        return model
    }

    /// Copies tensors into this model's parameters by name, checking shapes.
    public func loadState(_ file: SafetensorsFile, source: String) throws {
        var available = Dictionary(file.tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
        for (name, parameter) in namedParameters {
            guard let tensor = available.removeValue(forKey: name) else {
                throw ModelError("\(source): tensor \"\(name)\" is missing (the architecture has \(Shape.describe(parameter.shape)) there)")
            }
            guard tensor.shape == parameter.shape else {
                throw ModelError("\(source): tensor \"\(name)\" has shape \(Shape.describe(tensor.shape)) but the architecture expects \(Shape.describe(parameter.shape))")
            }
            try checkFinite(tensor, name: name, source: source)
            parameter.value = tensor.converted(to: parameter.value.dtype)
        }
        if let extra = available.keys.sorted().first {
            throw ModelError("\(source): tensor \"\(extra)\" does not belong to the architecture (\(available.count) unexpected)")
        }
        let expectedIntegers = Set(zip(layerNames, layers).flatMap { name, layer in
            batchNorms(of: layer).map { "\(name).\($0.prefix)num_batches_tracked" }
        })
        if let stray = file.integers.first(where: { !expectedIntegers.contains($0.name) }) {
            throw ModelError("\(source): integer tensor \"\(stray.name)\" does not belong to the architecture")
        }
    }

    private func checkFinite(_ tensor: Tensor, name: String, source: String) throws {
        if let bad = tensor.scalars.firstIndex(where: { !$0.isFinite }) {
            throw ModelError("\(source): tensor \"\(name)\" holds a non-finite value (\(tensor[flat: bad])) at flat index \(bad)")
        }
    }

    private func batchNorms(of layer: Layer) -> [(prefix: String, norm: BatchNorm)] {
        if let norm = layer as? BatchNorm { return [("", norm)] }
        if let block = layer as? ResidualBlock {
            return [("bn1.", block.bn1), ("bn2.", block.bn2)] + (block.projection.map { [("shortcut.1.", $0.norm)] } ?? [])
        }
        return []
    }
}
