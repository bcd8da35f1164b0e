import Curvature
import FuzzSupport

// MNISTCSV.load(atPath:split:height:width:classCount:maxRows:), raw or gzip.
//
// Input: a mode byte, then the CSV file. The mode picks
//   split      = [nil, .train, .test][mode % 3],
//   image size = [2×2, 1×3, 3×1, 28×28][(mode / 3) % 4] (small sizes let the fuzzer build valid rows),
//   maxRows    = [70_000, 7][(mode / 12) % 2], classCount = [10, 3][(mode / 24) % 2].

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let input = FuzzInput(start, count)
    let path = Scratch.write(input.rest, named: "mnist.csv")
    let mode = Int(input.mode)
    let split: Split? = [nil, .train, .test][mode % 3]
    let (height, width) = [(2, 2), (1, 3), (3, 1), (28, 28)][(mode / 3) % 4]
    let maxRows = [70_000, 7][(mode / 12) % 2]
    let classCount = [10, 3][(mode / 24) % 2]
    do {
        let set = try MNISTCSV.load(
            atPath: path, split: split, height: height, width: width, classCount: classCount, maxRows: maxRows)
        precondition(set.images.count == set.count * height * width && set.labels.count == set.count)
        precondition(set.labels.allSatisfy { $0 >= 0 && Int($0) < classCount })
        precondition(set.images.allSatisfy { $0 >= 0 && $0 <= 1 })
    } catch {
        checkRefusal(error, naming: [path], parser: "csv")
    }
    return 0
}
