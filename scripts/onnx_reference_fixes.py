"""onnx.reference's evaluator where it departs from the ONNX operators in float64, replaced:
used by the fixture script (Tests/ONNXTests/Fixtures/make_onnx_fixtures.py) and by
check_onnx_import.py. Pass `new_ops=REFERENCE_FIXES` to `ReferenceEvaluator`."""
import math

import numpy as np
from onnx.reference.op_run import OpRun


class BatchNormalization(OpRun):
    # onnx.reference's BatchNormalization-9 uses batch statistics whenever `momentum` is set
    # (the exporter always sets it); runtimes such as onnxruntime use the running statistics.
    op_domain = ""

    def _run(self, x, scale, bias, mean, var, epsilon=None, momentum=None, training_mode=None):
        shape = (1, -1) + (1,) * (x.ndim - 2)
        r = lambda a: a.reshape(shape)
        return ((x - r(mean)) / np.sqrt(r(var) + epsilon) * r(scale) + r(bias)).astype(x.dtype),


class Erf(OpRun):
    # onnx.reference's Erf evaluates in float32 (np.vectorize(..., otypes=["f"])); keep float64
    op_domain = ""

    def _run(self, x):
        return np.vectorize(math.erf, otypes=[x.dtype])(x),


class HardSwish(OpRun):
    # onnx.reference expands HardSwish through its function body, HardSigmoid with the float32
    # attribute alpha = float32(1/6); the operator itself (and onnxruntime) uses 1/6
    op_domain = ""

    def _run(self, x):
        return (x * np.maximum(0, np.minimum(1, x / 6 + 0.5))).astype(x.dtype),


REFERENCE_FIXES = [BatchNormalization, Erf, HardSwish]
