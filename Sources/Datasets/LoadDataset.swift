/// The data sets `loadDataset` knows by name.
public enum DatasetName {
    /// Fashion-MNIST, IDX files from the Debian package `dataset-fashion-mnist`.
    public static let fashionMNIST = "fashion-mnist"
    /// The project's 5,000-digit MNIST CSV (`Data/mnist_5k.csv.gz`).
    public static let mnist5k = "mnist5k"
    /// CIFAR-10's binary version, `cifar-10-batches-bin` found by ``DataDirectory``.
    public static let cifar10 = "cifar10"
    /// Where `dataset-fashion-mnist` installs its files.
    public static let fashionMNISTDirectory = "/usr/share/datasets/fashion-mnist"
}

/// A loaded split and what the loader had to assume to read it.
public struct LoadedDataset: Equatable, Sendable {
    public let images: LabeledImages
    /// One line each, naming the file: assumptions a user should know about (such as the image
    /// layout of an ambiguous `.npy` shape). A library does not print; the command line does.
    public let notes: [String]

    public init(images: LabeledImages, notes: [String] = []) {
        self.images = images
        self.notes = notes
    }
}

/// Loads a split of a data set.
///
/// - `fashion-mnist`: IDX files in `/usr/share/datasets/fashion-mnist` (60,000 train, 10,000 test), 1×28×28.
/// - `mnist5k`: `mnist_5k.csv.gz` found by ``DataDirectory`` (4,000 train, 1,000 test), 1×28×28.
/// - `cifar10`: `cifar-10-batches-bin` found by ``DataDirectory`` (50,000 train, 10,000 test), 3×32×32.
/// - a folder of MNIST-named IDX files (`train-images-idx3-ubyte[.gz]`, … `t10k-labels-idx1-ubyte[.gz]`),
///   of CIFAR-10 batches (``CIFAR10``, in the folder or its `cifar-10-batches-bin/`) or of
///   `train_images.npy`, `train_labels.npy`, `test_images.npy`, `test_labels.npy` (``NumPyImages``).
/// - an images `.npy` with its labels `.npy`: the whole pair, whatever `split` says.
///
/// - Returns: pixels in `[0, 1]`, labels, and notes on assumptions made (see ``LoadedDataset``).
/// - Throws: ``DatasetError``; a missing data set names every place looked at and how to get it.
public func loadDataset(_ source: DataSource, split: Split) throws -> LoadedDataset {
    switch source {
    case .fashionMNIST:
        return LoadedDataset(images: try IDX.load(directory: try fashionMNISTDirectory(), split: split))
    case .mnist5k:
        return LoadedDataset(images: try MNISTCSV.load(atPath: try DataDirectory.locate(MNISTCSV.fileName), split: split))
    case .cifar10:
        return LoadedDataset(images: try CIFAR10.load(folder: try CIFAR10.locate(), split: split))
    case .idxFolder(let folder):
        return LoadedDataset(images: try IDX.load(directory: folder, split: split))
    case .cifarFolder(let folder):
        return LoadedDataset(images: try CIFAR10.load(folder: folder, split: split))
    case .numpyFolder(let folder):
        return try NumPyImages.load(folder: folder, split: split)
    case let .numpyPair(images, labels):
        return try NumPyImages.load(imagesPath: images, labelsPath: labels)
    }
}

/// The files `loadDataset(source, split:)` reads, for checksums that tie a result to its data.
public func datasetFiles(_ source: DataSource, split: Split) throws -> [String] {
    switch source {
    case .fashionMNIST:
        let directory = try fashionMNISTDirectory()
        let names = IDX.fileNames(for: split)
        return [try IDX.findFile(names.images, in: directory), try IDX.findFile(names.labels, in: directory)]
    case .mnist5k:
        return [try DataDirectory.locate(MNISTCSV.fileName)]
    case .cifar10:
        return try CIFAR10.files(folder: try CIFAR10.locate(), split: split)
    case .idxFolder(let folder):
        let names = IDX.fileNames(for: split)
        return [try IDX.findFile(names.images, in: folder), try IDX.findFile(names.labels, in: folder)]
    case .cifarFolder(let folder):
        return try CIFAR10.files(folder: folder, split: split)
    case .numpyFolder(let folder):
        let files = try NumPyImages.files(folder: folder, split: split)
        return [files.images, files.labels]
    case let .numpyPair(images, labels):
        return [images, labels]
    }
}

/// Loads a split of a named data set or of a folder: `loadDataset(DataSource(nameOrDirectory), split:)`
/// without notes and without the images-and-labels pair.
public func loadDataset(_ nameOrDirectory: String, split: Split) throws -> LabeledImages {
    try loadDataset(DataSource(nameOrDirectory), split: split).images
}

/// The files `loadDataset(nameOrDirectory, split:)` reads. A lone images `.npy`, whose labels file
/// the caller holds separately, gives just that file: use the ``DataSource`` overload to include
/// the labels.
public func datasetFiles(_ nameOrDirectory: String, split: Split) throws -> [String] {
    if DataSource.isNumPyFile(nameOrDirectory) && isRegularFile(nameOrDirectory) { return [nameOrDirectory] }
    return try datasetFiles(DataSource(nameOrDirectory), split: split)
}

/// Fashion-MNIST's folder, or how to install it.
private func fashionMNISTDirectory() throws -> String {
    let directory = DatasetName.fashionMNISTDirectory
    guard isDirectory(directory) else {
        throw DatasetError.notFound(
            what: "Fashion-MNIST", tried: [directory], hint: "install it with `apt-get install dataset-fashion-mnist`")
    }
    return directory
}
