"""Models, images and labels as the CLI's options: arrays are saved as they are (the CLI reads and
checks them: no conversion here), torch modules exported to ONNX."""
import os

import numpy as np

from . import torch_export

#: Image shapes (C, H, W) of the CLI's named data sets (`curvature spectrum --help`, --data), for
#: exporting a torch module when no array shows the shape.
NAMED_DATA_SHAPES = {"fashion-mnist": (1, 28, 28), "mnist5k": (1, 28, 28), "cifar10": (3, 32, 32)}


def as_array(value, name):
    """A numpy array as given, or a torch tensor's values (same dtype); anything else is refused."""
    if isinstance(value, np.ndarray):
        return value
    if torch_export.is_module(value):
        raise TypeError(f"{name}: a torch.nn.Module where an array was expected")
    if type(value).__module__.startswith("torch") and hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    raise TypeError(f"{name}: expected a numpy array (or a torch tensor), got {type(value).__name__}; "
                    "convert it yourself, so that its dtype is the one you mean")


def data_options(images, labels, workspace):
    """The --data (and --labels) arguments for `images`: an array (N, C, H, W), (N, H, W, C) or
    (N, H, W), uint8 or float in [0, 1] (written to images.npy as it is), an images .npy path, a
    data-set name or folder. Also returns the image shape (C, H, W) a torch module is exported
    for, taking an array's axes as PyTorch does, (N, C, H, W) (None when unknown)."""
    if isinstance(images, (str, os.PathLike)):
        path = os.fspath(images)
        arguments = ["--data", path]
        if labels is not None:
            arguments += ["--labels", _labels_file(labels, workspace)]
        if path.endswith(".npy"):
            try:
                shape = image_shape(np.load(path, mmap_mode="r").shape)
            except (OSError, ValueError):
                shape = None  # the CLI says what is wrong with the file
        else:
            shape = NAMED_DATA_SHAPES.get(path)
        return arguments, shape
    array = as_array(images, "images")
    arguments = ["--data", workspace.save_array("images.npy", array)]
    if labels is not None:
        arguments += ["--labels", _labels_file(labels, workspace)]
    return arguments, image_shape(array.shape)


def _labels_file(labels, workspace):
    if isinstance(labels, (str, os.PathLike)):
        return os.fspath(labels)
    return workspace.save_array("labels.npy", as_array(labels, "labels"))


def image_shape(shape):
    if len(shape) == 4:
        return tuple(shape[1:])
    if len(shape) == 3:
        return (1, *shape[1:])
    return None


def model_file(model, workspace, input_shape, name="model"):
    """The --model argument: a path as given, or a torch module exported to NAME.onnx."""
    if isinstance(model, (str, os.PathLike)):
        return os.fspath(model)
    if torch_export.is_module(model):
        if input_shape is None:
            raise ValueError("a torch model needs its input shape: give images as an array (N, C, H, W), "
                             "or input_shape=(C, H, W)")
        return torch_export.export(model, workspace.file(f"{name}.onnx"), input_shape)
    raise TypeError(f"model: expected a path (.onnx or .safetensors) or a torch.nn.Module, got {type(model).__name__}")
