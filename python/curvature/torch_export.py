"""A torch.nn.Module handed over as the ONNX file the CLI reads."""
import itertools
import os
import sys
import warnings

from .errors import CurvatureWarning

#: Within the importer's opsets (9–18) and written by every torch since 1.8.
ONNX_OPSET = 13


def is_module(model):
    torch = sys.modules.get("torch")  # a model can only be a module if torch was imported
    return torch is not None and isinstance(model, torch.nn.Module)


def export(module, path, input_shape):
    """Exports `module` for inputs (N, *input_shape) to `path` (batch dimension dynamic), atomically.

    A module in training mode is exported in eval mode (torch.onnx.export's default): dropout off,
    batch norm on its running statistics — said with a warning, since `module(x)` would differ."""
    import torch

    if module.training:
        warnings.warn("the torch model is in training mode; exported in eval mode (dropout off, batch norm on its "
                      "running statistics), as Curvature measures it; call model.eval() first to say so",
                      CurvatureWarning, stacklevel=4)
    tensor = next((t for t in itertools.chain(module.parameters(), module.buffers()) if t.is_floating_point()), None)
    dtype, device = (tensor.dtype, tensor.device) if tensor is not None else (torch.float32, torch.device("cpu"))
    example = torch.zeros((1, *input_shape), dtype=dtype, device=device)
    partial = path + ".tmp"
    try:
        torch.onnx.export(module, example, partial, opset_version=ONNX_OPSET, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, training=torch.onnx.TrainingMode.EVAL)
    except Exception as error:
        raise ValueError(f"torch.onnx.export could not export the model for inputs of shape {tuple(example.shape)} "
                         f"(PyTorch modules take (N, C, H, W); give the images so, or input_shape=(C, H, W)): {error}") from error
    os.replace(partial, path)
    return path
