/// Which part of a data set to load.
public enum Split: String, CaseIterable, Sendable {
    /// The training images (MNIST family: 60,000; MNIST-5k: the 4,000 rows with `i % 5 != 4`).
    case train
    /// The held-out images (MNIST family: 10,000; MNIST-5k: the 1,000 rows with `i % 5 == 4`).
    case test
}
