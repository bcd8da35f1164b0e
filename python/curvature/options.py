"""Keyword arguments as the CLI's options: `max_steps=300` is `--max-steps 300`. The CLI checks
them all (an unknown option or a bad value raises CurvatureUsageError in its words)."""
import numbers
import os

import numpy as np


def option_arguments(options, managed=()):
    """`--name value` for each option; True is a bare flag, False and None leave it out, a list or
    array is comma-separated. A trailing underscore escapes a Python keyword (`lambda_=4`).
    `managed` names options the Python layer sets itself (the outputs)."""
    arguments = []
    for key, value in options.items():
        name = key.rstrip("_").replace("_", "-")
        if name in managed:
            raise TypeError(f"{key}= is set by the Python layer (the files live in work_dir=); leave it out")
        if value is None or value is False:
            continue
        if value is True:
            arguments.append(f"--{name}")
        else:
            arguments += [f"--{name}", _text(value)]
    return arguments


def _text(value):
    if isinstance(value, (list, tuple, np.ndarray)):
        items = value.ravel().tolist() if isinstance(value, np.ndarray) else value
        return ",".join(_text(item) for item in items)
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))  # the shortest text that reads back to the same double
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return str(value)
