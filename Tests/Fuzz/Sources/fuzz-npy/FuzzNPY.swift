import Curvature
import FuzzSupport

// NumPy.load(imagesPath:labelsPath:classCount:), NumPy.readLabels and NumPyHeader.read(atPath:).
//
// Input: a mode byte, then
//   mode % 4 == 0: one file for NumPyHeader.read(atPath:) and NumPy.readLabels(atPath:classCount: 10);
//   mode % 4 == 1: the images file (labels: a fixed valid uint8 file of 2 labels);
//   mode % 4 == 2: the labels file (images: a fixed valid uint8 file of 2 images of 2×2);
//   mode % 4 == 3: a 16-bit little-endian length n, n bytes of labels file, the rest images file.
// (mode / 4) % 3 picks classCount from [10, 1, 256].

func npy(_ dictionary: String, _ data: [UInt8]) -> [UInt8] {
    var header = Array(dictionary.utf8)
    header += [UInt8](repeating: 0x20, count: (64 - (10 + header.count + 1) % 64) % 64) + [0x0A]
    return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count & 0xFF), UInt8(header.count >> 8)] + header + data
}

let fixedLabels = npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", [0, 1])
let fixedImages = npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2, 2), }", [0, 1, 2, 3, 4, 5, 6, 255])

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let input = FuzzInput(start, count)
    let classCount = [10, 1, 256][Int(input.mode / 4) % 3]
    if input.mode % 4 == 0 {
        let path = Scratch.write(input.rest, named: "array.npy")
        do {
            let header = try NumPyHeader.read(atPath: path)
            precondition(checkedProduct(header.shape) != nil && header.shape.allSatisfy { $0 >= 0 })
            precondition(header.dataOffset >= 10 && header.dataOffset <= 12 + (1 << 32))
        } catch {
            checkRefusal(error, naming: [path], parser: "npy")
        }
        do {
            let labels = try NumPy.readLabels(atPath: path, classCount: classCount)
            precondition(labels.allSatisfy { $0 >= 0 && Int($0) < classCount })
        } catch {
            checkRefusal(error, naming: [path], parser: "npy")
        }
        return 0
    }
    let imagesPath: String, labelsPath: String
    switch input.mode % 4 {
    case 1:
        imagesPath = Scratch.write(input.rest, named: "images.npy")
        labelsPath = Scratch.write(fixedLabels, named: "labels.npy")
    case 2:
        imagesPath = Scratch.write(fixedImages, named: "images.npy")
        labelsPath = Scratch.write(input.rest, named: "labels.npy")
    default:
        let (labels, images) = input.twoParts
        imagesPath = Scratch.write(images, named: "images.npy")
        labelsPath = Scratch.write(labels, named: "labels.npy")
    }
    do {
        let set = try NumPy.load(imagesPath: imagesPath, labelsPath: labelsPath, classCount: classCount)
        precondition(set.images.count == set.count * set.pixelsPerImage)
        precondition(set.labels.allSatisfy { $0 >= 0 && Int($0) < classCount })
        precondition(set.images.allSatisfy(\.isFinite))
    } catch {
        checkRefusal(error, naming: [imagesPath, labelsPath], parser: "npy")
    }
    return 0
}
