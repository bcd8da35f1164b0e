/// The data sets `loadDataset` knows by name.
public enum DatasetName {
    /// Fashion-MNIST, IDX files from the Debian package `dataset-fashion-mnist`.
    public static let fashionMNIST = "fashion-mnist"
    /// The project's 5,000-digit MNIST CSV (`Data/mnist_5k.csv.gz`).
    public static let mnist5k = "mnist5k"
    /// Where `dataset-fashion-mnist` installs its files.
    public static let fashionMNISTDirectory = "/usr/share/datasets/fashion-mnist"
}

/// Loads a split of a named data set or of a directory of IDX files.
///
/// - `fashion-mnist`: IDX files in `/usr/share/datasets/fashion-mnist` (60,000 train, 10,000 test).
/// - `mnist5k`: `mnist_5k.csv.gz` found by ``DataDirectory`` (4,000 train, 1,000 test).
/// - anything else: a directory holding `train-images-idx3-ubyte[.gz]`,
///   `train-labels-idx1-ubyte[.gz]`, `t10k-images-idx3-ubyte[.gz]`, `t10k-labels-idx1-ubyte[.gz]`.
///
/// - Returns: `N × 1 × 28 × 28` pixels in `[0, 1]` and labels in `0..<10`.
/// - Throws: ``DatasetError``; a missing data set names every place looked at and how to get it.
public func loadDataset(_ nameOrDirectory: String, split: Split) throws -> LabeledImages {
    switch nameOrDirectory {
    case DatasetName.fashionMNIST:
        let directory = DatasetName.fashionMNISTDirectory
        guard isDirectory(directory) else {
            throw DatasetError.notFound(
                what: "Fashion-MNIST", tried: [directory], hint: "install it with `apt-get install dataset-fashion-mnist`")
        }
        return try IDX.load(directory: directory, split: split)
    case DatasetName.mnist5k:
        return try MNISTCSV.load(atPath: try DataDirectory.locate(MNISTCSV.fileName), split: split)
    default:
        guard isDirectory(nameOrDirectory) else {
            throw DatasetError.notFound(
                what: "data set '\(nameOrDirectory)'", tried: [nameOrDirectory],
                hint: "use \(DatasetName.fashionMNIST), \(DatasetName.mnist5k) or a directory of MNIST-named IDX files")
        }
        return try IDX.load(directory: nameOrDirectory, split: split)
    }
}

/// The files `loadDataset(nameOrDirectory, split:)` reads, for checksums that tie a result to its data.
public func datasetFiles(_ nameOrDirectory: String, split: Split) throws -> [String] {
    let names = IDX.fileNames(for: split)
    switch nameOrDirectory {
    case DatasetName.mnist5k:
        return [try DataDirectory.locate(MNISTCSV.fileName)]
    case DatasetName.fashionMNIST:
        let directory = DatasetName.fashionMNISTDirectory
        return [try IDX.findFile(names.images, in: directory), try IDX.findFile(names.labels, in: directory)]
    default:
        return [try IDX.findFile(names.images, in: nameOrDirectory), try IDX.findFile(names.labels, in: nameOrDirectory)]
    }
}
