"""Bad input raises CurvatureError with the CLI's own message and exit code; usage errors are also
ValueErrors; what the CLI assumed comes back as a warning in its words."""
import os
import subprocess

import numpy as np
import pytest

import curvature
import curvature.discovery as discovery
from conftest import SOFTPLUS


def test_wrong_shape_is_the_cli_s_refusal():
    with pytest.raises(curvature.CurvatureError) as refused:
        curvature.spectrum(SOFTPLUS, np.zeros((2, 784), dtype=np.float32), np.array([0, 1]))
    assert refused.value.exit_code == 1 and not isinstance(refused.value, ValueError)
    assert refused.value.message.startswith("Error: ") and refused.value.message.endswith(
        "images.npy: shape is (2, 784), expected (N, C, H, W), (N, H, W, C) or (N, H, W) with positive C, H, W")


def test_pixels_outside_the_unit_interval_are_refused_not_rescaled():
    images = np.full((2, 1, 28, 28), 0.5, dtype=np.float32)
    images[1, 0, 3, 4] = 255.0
    with pytest.raises(curvature.CurvatureError, match=r"pixel at flat index 872 is 255\.0, expected a value in \[0, 1\]"):
        curvature.trace(SOFTPLUS, images, np.array([0, 1]))


def test_an_unknown_option_is_a_usage_error_and_a_value_error():
    with pytest.raises(ValueError) as refused:
        curvature.spectrum(SOFTPLUS, "mnist5k", samples=2, bogus=1)
    assert isinstance(refused.value, curvature.CurvatureUsageError) and refused.value.exit_code == 2
    assert refused.value.message.startswith("curvature spectrum: Unknown option '--bogus'.")


def test_a_value_out_of_range_is_named_by_its_option():
    with pytest.raises(curvature.CurvatureUsageError, match=r"^curvature spectrum: --k must be ≥ 1, got 0 \(see curvature spectrum --help\)$"):
        curvature.spectrum(SOFTPLUS, "mnist5k", samples=2, k=0)


def test_images_without_labels_are_the_cli_s_refusal():
    with pytest.raises(curvature.CurvatureUsageError, match="name its labels with --labels"):
        curvature.trace(SOFTPLUS, np.zeros((2, 1, 28, 28), dtype=np.float32))


def test_a_layout_guess_is_warned_in_the_cli_s_words():
    torch = pytest.importorskip("torch")
    network = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(9, 2)).eval()
    images = np.zeros((2, 3, 3, 1), dtype=np.float32)  # 3 channels of 3×1, or 1 channel of 3×3
    with pytest.warns(curvature.CurvatureWarning, match=r"shape \(2, 3, 3, 1\) could be \(N, C, H, W\) or \(N, H, W, C\); assumed \(N, H, W, C\)"):
        result = curvature.trace(network, images, np.array([0, 1]), probes=2, input_shape=(1, 3, 3))
    assert result.trace.shape == (2,)


def test_no_conversion_behind_the_caller_s_back():
    with pytest.raises(TypeError, match="expected a numpy array"):
        curvature.trace(SOFTPLUS, [[0.0]], np.array([0]))
    with pytest.raises(TypeError, match="out= is set by the Python layer"):
        curvature.trace(SOFTPLUS, "mnist5k", out="x.csv")


def test_keyword_arguments_are_the_cli_s_options():
    from curvature.options import option_arguments
    assert option_arguments({"max_steps": 30, "gradient_norm": True, "box": False, "h": [0.01, 0.1], "lambda_": 4,
                             "epsilon": np.float64(0.1), "seed": None, "which": "smallest"}) == [
        "--max-steps", "30", "--gradient-norm", "--h", "0.01,0.1", "--lambda", "4", "--epsilon", "0.1", "--which", "smallest"]


def test_the_executable_is_found_by_variable_then_path(monkeypatch, tmp_path):
    real = curvature.executable()
    assert subprocess.run([real, "--version"], capture_output=True, text=True).stdout.strip() == curvature.__version__
    monkeypatch.setenv("CURVATURE_BIN", str(tmp_path / "missing"))
    with pytest.raises(curvature.CurvatureError, match="CURVATURE_BIN=.*missing is not an executable file"):
        curvature.executable()
    monkeypatch.delenv("CURVATURE_BIN")
    monkeypatch.setattr(discovery, "_found", None)
    (tmp_path / "curvature").symlink_to(real)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert curvature.executable() == str(tmp_path / "curvature")


def test_no_executable_anywhere_says_how_to_get_one(monkeypatch, tmp_path):
    monkeypatch.delenv("CURVATURE_BIN", raising=False)
    monkeypatch.setattr(discovery, "_found", None)
    monkeypatch.setattr(discovery, "checkout", lambda: None)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(curvature.CurvatureError, match="no curvature executable: set CURVATURE_BIN"):
        curvature.executable()


def test_a_checkout_is_found_from_the_package():
    assert discovery.checkout() is not None and os.path.isfile(discovery.checkout() / "Package.swift")
