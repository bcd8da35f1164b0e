#if canImport(Glibc)
import Glibc
#endif
import Curvature
import FuzzSupport

// CIFAR10.readBatch(atPath:) and, through DataSource, the folder forms of --data.
//
// Input: a mode byte, then the batch file (raw or gzip).
//   mode % 3 == 0: CIFAR10.readBatch(atPath:);
//   mode % 3 == 1: the file as test_batch.bin in a folder, loaded as `--data <folder>`;
//   mode % 3 == 2: the same inside <folder>/cifar-10-batches-bin/.

/// The folder of modes 1 and 2, created once; the batch file is replaced for every input.
let folder: String = {
    let path = Scratch.directory + "/cifar"
    for directory in [path, path + "/cifar-10-batches-bin"] where mkdir(directory, 0o700) != 0 && errno != EEXIST {
        fatalError("cannot create \(directory)")
    }
    return path
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let input = FuzzInput(start, count)
    let mode = Int(input.mode % 3)
    let path: String
    switch mode {
    case 0: path = Scratch.write(input.rest, named: "test_batch.bin")
    case 1: path = Scratch.write(input.rest, named: "cifar/test_batch.bin")
    default: path = Scratch.write(input.rest, named: "cifar/cifar-10-batches-bin/test_batch.bin")
    }
    // Keep the other mode's file from being found: a folder holds one batch file at a time.
    unlink(folder + (mode == 1 ? "/cifar-10-batches-bin/test_batch.bin" : "/test_batch.bin"))
    do {
        let set: LabeledImages
        if mode == 0 {
            set = try CIFAR10.readBatch(atPath: path)
        } else {
            let source = try DataSource(folder)
            precondition(source == .cifarFolder(mode == 1 ? folder : folder + "/cifar-10-batches-bin"), "resolved to \(source)")
            let files = try datasetFiles(source, split: .test)
            precondition(files == [path], "datasetFiles gave \(files)")
            set = try loadDataset(source, split: .test).images
        }
        precondition(set.shape == [set.count, 3, 32, 32] && set.classCount == 10)
        precondition(set.images.count == set.count * 3072 && set.count > 0)
        precondition(set.labels.allSatisfy { $0 >= 0 && $0 < 10 })
        precondition(set.images.allSatisfy { $0 >= 0 && $0 <= 1 })
        let raw = input.rest
        if raw.first != 0x1f {
            // A raw file is the records themselves: check every label and pixel against its byte.
            precondition(raw.count == set.count * 3073)
            for record in 0 ..< set.count {
                precondition(Int32(raw[record * 3073]) == set.labels[record])
                for k in 0 ..< 3072 {
                    precondition(set.images[record * 3072 + k] == Float(raw[record * 3073 + 1 + k]) / 255)
                }
            }
        }
    } catch {
        checkRefusal(error, naming: [path, folder], parser: "cifar")
    }
    return 0
}
