import Curvature
import FuzzSupport

// IDX.load(imagesPath:labelsPath:classCount:), raw or gzip.
//
// Input: a mode byte, then
//   mode % 3 == 0: the images file (labels: a fixed valid file of 2 labels);
//   mode % 3 == 1: the labels file (images: a fixed valid file of 2 images of 2×3);
//   mode % 3 == 2: a 16-bit little-endian length n, n bytes of labels file, the rest images file.
// (mode / 3) % 4 picks classCount from [10, 1, 2, 256].

/// `00 00 08 01`, N = 2, labels 0 and 1.
let fixedLabels: [UInt8] = [0, 0, 8, 1, 0, 0, 0, 2, 0, 1]
/// `00 00 08 03`, 2 × 2 × 3, pixels 0…11.
let fixedImages: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3] + (0 ..< 12).map(UInt8.init)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let input = FuzzInput(start, count)
    let imagesPath: String, labelsPath: String
    switch input.mode % 3 {
    case 0:
        imagesPath = Scratch.write(input.rest, named: "images-idx3-ubyte")
        labelsPath = Scratch.write(fixedLabels, named: "labels-idx1-ubyte")
    case 1:
        imagesPath = Scratch.write(fixedImages, named: "images-idx3-ubyte")
        labelsPath = Scratch.write(input.rest, named: "labels-idx1-ubyte")
    default:
        let (labels, images) = input.twoParts
        imagesPath = Scratch.write(images, named: "images-idx3-ubyte")
        labelsPath = Scratch.write(labels, named: "labels-idx1-ubyte")
    }
    let classCount = [10, 1, 2, 256][Int(input.mode / 3) % 4]
    do {
        let set = try IDX.load(imagesPath: imagesPath, labelsPath: labelsPath, classCount: classCount)
        // What a loader returns must satisfy LabeledImages' invariants.
        precondition(set.images.count == set.count * set.pixelsPerImage && set.channels == 1)
        precondition(set.labels.allSatisfy { $0 >= 0 && Int($0) < classCount })
        precondition(set.images.allSatisfy { $0 >= 0 && $0 <= 1 })
    } catch {
        checkRefusal(error, naming: [imagesPath, labelsPath], parser: "idx")
    }
    return 0
}
