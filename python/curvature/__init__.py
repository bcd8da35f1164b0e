"""Curvature from Python: the `curvature` command line's commands as functions that take a PyTorch
module (or an ONNX / safetensors path) and numpy arrays, and return numpy arrays.

    import curvature
    result = curvature.spectrum(model, images, labels, k=10)
    result.eigenvalues          # (N, 10)

The executable is the one engine: each call writes its inputs where the CLI reads them, runs
`curvature COMMAND` with the keyword arguments as its options, and reads its CSV back.
"""
from .commands import attack, boundary, compare, density, eval, inspect, section, spectrum, trace, train
from .errors import CurvatureError, CurvatureInterrupted, CurvatureUsageError, CurvatureWarning
from .discovery import executable

__version__ = "0.2.0"

__all__ = ["spectrum", "density", "trace", "eval", "attack", "boundary", "compare", "section", "inspect", "train",
           "CurvatureError", "CurvatureUsageError", "CurvatureInterrupted", "CurvatureWarning", "executable"]
