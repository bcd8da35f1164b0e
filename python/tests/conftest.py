"""The tests run the package from this checkout against this checkout's release build (when built;
else the package finds an executable itself) and compare with the CLI run directly."""
import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

PYTHON = Path(__file__).resolve().parents[1]
REPOSITORY = PYTHON.parent
sys.path.insert(0, str(PYTHON))

_BUILT = REPOSITORY / ".build" / "release" / "curvature"
if "CURVATURE_BIN" not in os.environ and _BUILT.is_file():
    os.environ["CURVATURE_BIN"] = str(_BUILT)

import curvature  # noqa: E402  (after the path above)

#: The shipped smooth model (exact input Hessian full rank) and its ReLU twin.
SOFTPLUS = str(REPOSITORY / "Data" / "models" / "mnist5k-cnn-small-softplus-standard.safetensors")
RELU = str(REPOSITORY / "Data" / "models" / "mnist5k-cnn-small-standard.safetensors")


def run_cli(*arguments):
    """The CLI run directly, as a script would; fails the test on a non-zero exit."""
    done = subprocess.run([curvature.executable(), *map(str, arguments)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def cli_columns(path):
    """A CSV as text columns, read without the package, to check it against."""
    with open(path, newline="") as file:
        rows = list(csv.reader(file))
    return {name: [row[i] for row in rows[1:]] for i, name in enumerate(rows[0])}


def numbers(texts):
    """CSV fields as the doubles they denote; an empty field is NaN."""
    return np.array([float(t) if t else np.nan for t in texts])


def same(values, texts):
    """Whether the values are exactly the numbers of the CSV fields, in row order (NaN where empty)."""
    return np.array_equal(np.asarray(values, dtype=float).ravel(), numbers(texts), equal_nan=True)


@pytest.fixture(scope="session")
def digits():
    """Eight 28×28 grey images (uint8, seeded) with labels, and the same as .npy files."""
    generator = np.random.default_rng(0)
    images = generator.integers(0, 256, size=(8, 1, 28, 28), dtype=np.uint8)
    labels = generator.integers(0, 10, size=8).astype(np.int64)
    return images, labels


@pytest.fixture
def digit_files(digits, tmp_path):
    images, labels = digits
    np.save(tmp_path / "x.npy", images)
    np.save(tmp_path / "y.npy", labels)
    return str(tmp_path / "x.npy"), str(tmp_path / "y.npy")
