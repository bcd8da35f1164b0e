// `import Curvature` gives a research script the whole toolkit.
@_exported import Autodiff
@_exported import Tensors
@_exported import NN
@_exported import Datasets
@_exported import FileIO
@_exported import Messages
@_exported import Classifiers
@_exported import Robustness
@_exported import Spectra
@_exported import Randomness
