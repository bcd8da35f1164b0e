import Curvature
import Foundation
import FuzzSupport

// Architecture(json:source:): the JSON a user passes with --arch or a model file carries.
//
// Input: the JSON itself (no mode byte). A parsed architecture must survive
// jsonString() → Architecture(json:) unchanged; when it is small (see buildIfSmall) it is built
// and run on zeros, and the output must have the shape the architecture promises.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let json = Data(bytes: start, count: count)
    let architecture: Architecture
    do {
        architecture = try Architecture(json: json, source: "fuzz.json")
    } catch {
        checkRefusal(error, naming: ["fuzz.json"], parser: "architecture")
        return 0
    }
    do {
        let again = try Architecture(json: Data(architecture.jsonString().utf8), source: "round-trip.json")
        precondition(again == architecture, "round trip changed \(architecture) into \(again)")
        let shape = try architecture.outputShape(for: architecture.input)
        if let (model, built) = try buildIfSmall(architecture) {
            precondition(built == shape)
            runForward(model, expecting: shape)
        }
    } catch {
        fatalError("architecture accepted, then refused: \(error)")
    }
    return 0
}
