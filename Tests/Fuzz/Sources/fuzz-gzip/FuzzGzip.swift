import Curvature
import FuzzSupport

// Gzip.readFile(atPath:maxBytes:) on arbitrary bytes, and a round trip through Gzip.compress.
//
// Input: a mode byte, then the data.
//   mode < 128: the data is the file; maxBytes = [0, 1, 64, 4096, 1 << 20, 1 << 26][mode % 6].
//   mode ≥ 128: the data is compressed at level mode % 10, written, and read back; it must come
//               back unchanged (and a maxBytes one short of it must be refused).

let limits = [0, 1, 64, 4096, 1 << 20, 1 << 26]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let input = FuzzInput(start, count)
    if input.mode < 128 {
        let path = Scratch.write(input.rest, named: "data.gz")
        let limit = limits[Int(input.mode) % limits.count]
        do {
            let bytes = try Gzip.readFile(atPath: path, maxBytes: limit)
            precondition(bytes.count <= limit)
            if !Gzip.isCompressed(input.rest) { precondition(bytes.elementsEqual(input.rest)) }
        } catch {
            checkRefusal(error, naming: [path], parser: "gzip")
        }
        return 0
    }
    let original = Array(input.rest)
    do {
        let compressed = try Gzip.compress(original, level: Int32(input.mode % 10))
        let path = Scratch.write(compressed, named: "roundtrip.gz")
        let back = try Gzip.readFile(atPath: path, maxBytes: original.count)
        precondition(back == original, "gzip round trip changed \(original.count) bytes")
        if !original.isEmpty {
            do {
                _ = try Gzip.readFile(atPath: path, maxBytes: original.count - 1)
                fatalError("gzip: \(original.count) bytes read with maxBytes \(original.count - 1)")
            } catch DatasetError.tooLarge {
            }
        }
    } catch {
        fatalError("gzip round trip failed: \(error)")
    }
    return 0
}
