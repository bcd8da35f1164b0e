/// What the command line's `--data` (and `--labels`) name, resolved to one reader.
///
/// The kind of a folder is decided from the files it holds for either split, so that a missing
/// file of one split is reported by its name rather than as an unknown folder.
public enum DataSource: Equatable, Sendable {
    /// Fashion-MNIST from the Debian package.
    case fashionMNIST
    /// The project's `mnist_5k.csv.gz`.
    case mnist5k
    /// `cifar-10-batches-bin` found through ``DataDirectory``.
    case cifar10
    /// A folder of MNIST-named IDX files.
    case idxFolder(String)
    /// The folder holding CIFAR-10's binary batch files.
    case cifarFolder(String)
    /// A folder holding `train_images.npy`, `train_labels.npy`, `test_images.npy`, `test_labels.npy`.
    case numpyFolder(String)
    /// One images file and one labels file: the whole set, no splits.
    case numpyPair(images: String, labels: String)

    /// Whether `path` names a `.npy` file (possibly gzipped) rather than a data set or folder.
    public static func isNumPyFile(_ path: String) -> Bool {
        path.hasSuffix(".npy") || path.hasSuffix(".npy.gz")
    }

    /// Resolves `data` (a name, a folder or an images `.npy`) and, for an images `.npy`, its `labels`.
    ///
    /// - Throws: ``DatasetError/invalidArgument(context:found:expected:)`` when `labels` is given
    ///   without an images `.npy` or an images `.npy` without `labels`;
    ///   ``DatasetError/notFound(what:tried:hint:)`` for anything else that is neither a known
    ///   name nor a folder holding one of the known kinds;
    ///   ``DatasetError/unsupported(file:field:found:expected:)`` for a folder holding several kinds.
    public init(_ data: String, labels: String? = nil) throws {
        if let labels {
            guard Self.isNumPyFile(data) else {
                throw DatasetError.invalidArgument(
                    context: "labels \(labels)", found: "data '\(data)'", expected: "an images .npy file to pair them with")
            }
            self = .numpyPair(images: data, labels: labels)
            return
        }
        switch data {
        case DatasetName.fashionMNIST: self = .fashionMNIST
        case DatasetName.mnist5k: self = .mnist5k
        case DatasetName.cifar10: self = .cifar10
        default:
            guard !Self.isNumPyFile(data) else {
                throw DatasetError.invalidArgument(context: "data \(data)", found: "no labels file", expected: "its labels .npy")
            }
            guard isDirectory(data) else {
                throw DatasetError.notFound(
                    what: "data set '\(data)'", tried: [data],
                    hint: "use \(DatasetName.fashionMNIST), \(DatasetName.mnist5k), \(DatasetName.cifar10), a folder of"
                        + " MNIST-named IDX files, of CIFAR-10 .bin batches or of train/test_images/labels.npy, or an images .npy with its labels")
            }
            var kinds: [(name: String, source: DataSource)] = []
            let idx = Split.allCases.flatMap { split in [IDX.fileNames(for: split).images, IDX.fileNames(for: split).labels] }
            if idx.contains(where: { (try? IDX.findFile($0, in: data)) != nil }) { kinds.append(("MNIST-named IDX files", .idxFolder(data))) }
            if let folder = CIFAR10.batchFolder(in: data) { kinds.append(("CIFAR-10 batches", .cifarFolder(folder))) }
            let npy = Split.allCases.flatMap { split in [NumPyImages.fileNames(for: split).images, NumPyImages.fileNames(for: split).labels] }
            if npy.contains(where: { (try? IDX.findFile($0, in: data)) != nil }) { kinds.append((".npy images and labels", .numpyFolder(data))) }
            switch kinds.count {
            case 0:
                throw DatasetError.notFound(
                    what: "data in '\(data)'", tried: [data],
                    hint: "expected MNIST-named IDX files (\(IDX.fileNames(for: .test).images)…), CIFAR-10 batches"
                        + " (\(CIFAR10.fileNames(for: .test)[0])…, also in \(CIFAR10.folderName)/) or"
                        + " \(NumPyImages.fileNames(for: .test).images) and the like")
            case 1:
                self = kinds[0].source
            default:
                throw DatasetError.unsupported(
                    file: data, field: "contents", found: kinds.map(\.name).joined(separator: " and "), expected: "one kind of data set per folder")
            }
        }
    }
}
