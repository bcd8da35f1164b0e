import Curvature
import Foundation
import FuzzSupport

// SafetensorsFile.parse(_:source:) and Sequential.loadState(_:source:), the two halves of
// Sequential.load(from:architecture:).
//
// Input: a mode byte, then the safetensors file.
//   mode % 4 == 0: parse; a parsed file must survive serialized() → parse with the same names,
//                  shapes, values (F16/BF16 widened to F32) and metadata.
//   mode % 4 == 1: parse, then load into a fixed tiny model: flatten – linear 16→3.
//   mode % 4 == 2: parse, then load into conv 1→2 3×3 – batchnorm2d – relu – flatten – linear 8→3.
//   mode % 4 == 3: parse, take the architecture from __metadata__["architecture"] as
//                  Sequential.load(from:) does, build it when small, load into it and run it.

func architecture(_ json: String) -> Architecture { try! Architecture(json: Data(json.utf8)) }

nonisolated(unsafe) let tinyLinear = try! Sequential(architecture(
    #"{"input":[1,4,4],"layers":[{"type":"flatten"},{"type":"linear","in":16,"out":3}]}"#))
nonisolated(unsafe) let tinyConv = try! Sequential(architecture(#"""
    {"input":[1,4,4],"layers":[{"type":"conv2d","in":1,"out":2,"kernel":3},{"type":"batchnorm2d","features":2},
    {"type":"relu"},{"type":"flatten"},{"type":"linear","in":8,"out":3}]}
    """#))

let source = "fuzz.safetensors"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let input = FuzzInput(start, count)
    let data = Data(buffer: input.rest)
    let file: SafetensorsFile
    do {
        file = try SafetensorsFile.parse(data, source: source)
    } catch {
        checkRefusal(error, naming: [source], parser: "safetensors")
        return 0
    }
    switch input.mode % 4 {
    case 0:
        checkRoundTrip(file)
    case 1, 2:
        let model = input.mode % 4 == 1 ? tinyLinear : tinyConv
        do { try model.loadState(file, source: source) } catch {
            checkRefusal(error, naming: [source], parser: "safetensors")
        }
    default:
        guard let json = file.metadata["architecture"] else { return 0 }
        do {
            let architecture = try Architecture(json: Data(json.utf8), source: "\(source) metadata")
            guard let (model, shape) = try buildIfSmall(architecture) else { return 0 }
            try model.loadState(file, source: source)
            runForward(model, expecting: shape)
        } catch {
            checkRefusal(error, naming: [source], parser: "safetensors")
        }
    }
    return 0
}

func checkRoundTrip(_ file: SafetensorsFile) {
    let again: SafetensorsFile
    do { again = try SafetensorsFile.parse(file.serialized(), source: "round-trip") } catch {
        fatalError("serialized() wrote a file parse refuses: \(error)")
    }
    precondition(again.metadata == file.metadata, "metadata changed in the round trip")
    let before = Dictionary(file.tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    let after = Dictionary(again.tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    precondition(before.count == file.tensors.count && Set(before.keys) == Set(after.keys), "tensor names changed")
    for (name, tensor) in before {
        let other = after[name]!
        precondition(tensor.shape == other.shape && tensor.dtype == other.dtype, "tensor \(name) changed shape or dtype")
        for (a, b) in zip(tensor.scalars, other.scalars) {
            precondition(a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN), "tensor \(name) changed values")
        }
    }
    let integersBefore = Dictionary(file.integers.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    precondition(integersBefore.count == file.integers.count && again.integers.count == file.integers.count)
    for entry in again.integers {
        guard let old = integersBefore[entry.name] else { fatalError("integer tensor \(entry.name) appeared") }
        precondition(old.shape == entry.shape && old.values == entry.values, "integer tensor \(entry.name) changed")
    }
}
