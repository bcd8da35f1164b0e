"""The folder a call works in: `work_dir` when given (kept, so a run can resume there), else a
temporary one removed afterwards — unless an interruption left finished work in it."""
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from .errors import CurvatureInterrupted


class Workspace:
    def __init__(self, work_dir=None):
        self.owned = work_dir is None
        self.path = Path(tempfile.mkdtemp(prefix="curvature-")) if self.owned else Path(work_dir)
        self.path.mkdir(parents=True, exist_ok=True)

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        # Finished batches of an interrupted run are worth keeping: the message names the folder.
        if self.owned and not (isinstance(error, CurvatureInterrupted) and error.work_dir):
            shutil.rmtree(self.path, ignore_errors=True)

    @property
    def kept(self):
        """The folder, when it outlives the call (None for a temporary one)."""
        return None if self.owned else str(self.path)

    def file(self, name):
        return str(self.path / name)

    def resume_hint(self):
        return f"the finished work is kept in {self.path}: call again with work_dir={str(self.path)!r} and resume=True to finish"

    def save_array(self, name, array):
        """Writes `array` as it is (dtype and shape unchanged) to NAME in the folder, atomically."""
        path = self.file(name)
        with open(path + ".tmp", "wb") as file:
            np.save(file, array, allow_pickle=False)
        os.replace(path + ".tmp", path)
        return path


def read_meta(csv_path):
    """`<out>.meta.json`, what the CLI records of a run, or {} when it writes none."""
    try:
        with open(csv_path + ".meta.json", encoding="utf-8") as file:
            return json.load(file)
    except FileNotFoundError:
        return {}
