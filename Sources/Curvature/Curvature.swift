// `import Curvature` gives a research script the whole toolkit.
@_exported import Autodiff
@_exported import Tensors
