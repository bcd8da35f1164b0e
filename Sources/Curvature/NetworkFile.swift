@_exported import ONNX
import Foundation
import Messages
import NN
import Tensors

/// Model files Curvature reads: safetensors (the architecture in its metadata, or given) and ONNX.
public enum NetworkFile {
    /// Whether `path` names an ONNX file: by extension, else by its first bytes (a protobuf
    /// ModelProto starts with field 1, ir_version, as a varint: byte 0x08).
    public static func isONNX(_ path: String) -> Bool {
        if path.lowercased().hasSuffix(".onnx") { return true }
        if path.lowercased().hasSuffix(".safetensors") { return false }
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 1)) == Data([0x08])
    }

    /// Loads a network; `architecture` applies to safetensors files only.
    public static func load(_ path: String, architecture: Architecture? = nil, dtype: DType = .float32) throws -> any Network {
        let url = URL(fileURLWithPath: path)
        if isONNX(path) {
            if architecture != nil { throw ModelError("\(url.lastPathComponent): an ONNX file carries its own graph; drop \(setting: "architecture")") }
            return try ONNXModel.load(from: url, dtype: dtype)
        }
        return try Sequential.load(from: url, architecture: architecture, dtype: dtype)
    }

    /// What a user should read on stderr after loading (e.g. a Softmax head that was dropped).
    public static func notes(of network: any Network) -> [String] { (network as? ONNXModel)?.notes ?? [] }
}
