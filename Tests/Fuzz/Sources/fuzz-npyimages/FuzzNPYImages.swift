#if canImport(Glibc)
import Glibc
#endif
import Curvature
import FuzzSupport

// NumPyImages: an images .npy with its labels .npy (`--data IMAGES.npy --labels LABELS.npy`) and
// the folder form (train_images.npy, train_labels.npy), both through DataSource and loadDataset.
//
// Input: a mode byte, then
//   mode % 4 == 0: a 16-bit little-endian length n, n bytes of labels file, the rest images file: a pair;
//   mode % 4 == 1: the same two files as train_labels.npy and train_images.npy in a folder;
//   mode % 4 == 2: the images file (labels: a fixed valid uint8 file of 2 labels);
//   mode % 4 == 3: the labels file alone, read by NumPyImages.readLabels.

func npy(_ dictionary: String, _ data: [UInt8]) -> [UInt8] {
    var header = Array(dictionary.utf8)
    header += [UInt8](repeating: 0x20, count: (64 - (10 + header.count + 1) % 64) % 64) + [0x0A]
    return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count & 0xFF), UInt8(header.count >> 8)] + header + data
}

let fixedLabels = npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", [0, 3])

let folder: String = {
    let path = Scratch.directory + "/npyfolder"
    if mkdir(path, 0o700) != 0 && errno != EEXIST { fatalError("cannot create \(path)") }
    return path
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let input = FuzzInput(start, count)
    if input.mode % 4 == 3 {
        let path = Scratch.write(input.rest, named: "labels.npy")
        do {
            let (labels, classCount) = try NumPyImages.readLabels(atPath: path)
            precondition(!labels.isEmpty && classCount == Int(labels.max()!) + 1 && classCount <= NumPyImages.maxClassCount)
            precondition(labels.allSatisfy { $0 >= 0 })
        } catch {
            checkRefusal(error, naming: [path], parser: "npyimages")
        }
        return 0
    }
    let imagesPath: String, labelsPath: String
    switch input.mode % 4 {
    case 0:
        let (labels, images) = input.twoParts
        (imagesPath, labelsPath) = (Scratch.write(images, named: "images.npy"), Scratch.write(labels, named: "labels.npy"))
    case 1:
        let (labels, images) = input.twoParts
        imagesPath = Scratch.write(images, named: "npyfolder/train_images.npy")
        labelsPath = Scratch.write(labels, named: "npyfolder/train_labels.npy")
    default:
        (imagesPath, labelsPath) = (Scratch.write(input.rest, named: "images.npy"), Scratch.write(fixedLabels, named: "labels.npy"))
    }
    let named = [imagesPath, labelsPath]
    do {
        let source = input.mode % 4 == 1 ? try DataSource(folder) : try DataSource(imagesPath, labels: labelsPath)
        let files = try datasetFiles(source, split: .train)
        precondition(files == named, "datasetFiles gave \(files)")
        let loaded = try loadDataset(source, split: .train)
        let set = loaded.images
        precondition(set.count > 0 && set.images.count == set.count * set.pixelsPerImage)
        precondition(set.classCount == Int(set.labels.max()!) + 1 && set.labels.allSatisfy { $0 >= 0 })
        precondition(set.images.allSatisfy { $0 >= 0 && $0 <= 1 })
        // A note only for a shape whose layout was in doubt, and then one line naming the file.
        let shape = try NumPyHeader.read(atPath: imagesPath).shape
        let doubt = shape.count == 4 && (shape[1] == 1 || shape[1] == 3) == (shape[3] == 1 || shape[3] == 3)
        precondition(loaded.notes.count == (doubt ? 1 : 0))
        for note in loaded.notes { precondition(note.hasPrefix(imagesPath + ": ") && !note.contains("\n")) }
        // uint8 pixels are exact: check each against its byte, through the layout the loader chose.
        let header = try NumPyHeader.read(atPath: imagesPath)
        let file = try Gzip.readFile(atPath: imagesPath, maxBytes: 1 << 24)
        if header.descr.hasSuffix("u1") && file.count == header.dataOffset + set.images.count {
            let data = file[header.dataOffset...]
            let (channels, plane) = (set.channels, set.height * set.width)
            let channelsLast = shape.count == 4 && Array(shape.dropFirst()) != [set.channels, set.height, set.width]
            precondition(!channelsLast || Array(shape.dropFirst()) == [set.height, set.width, set.channels])
            for n in 0 ..< set.count {
                for c in 0 ..< channels {
                    for position in 0 ..< plane {
                        let source = n * plane * channels + (channelsLast ? position * channels + c : c * plane + position)
                        precondition(set.images[n * plane * channels + c * plane + position] == Float(data[data.startIndex + source]) / 255)
                    }
                }
            }
        }
    } catch {
        checkRefusal(error, naming: named + [folder], parser: "npyimages")
    }
    return 0
}
