"""Ctrl-C in a Python script: the CLI finishes its batch, keeps the finished rows, and the script
learns what was kept; the same call with resume=True finishes with the rows of an uninterrupted run.
The CLI's test hook CURVATURE_TEST_HOLD_AT holds the run before its second batch until the signal
has arrived, so the test never depends on the machine's speed."""
import glob
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np

import curvature
from conftest import PYTHON, SOFTPLUS

# The scripts take Ctrl-C as a terminal would give it, even when the tests were started where
# SIGINT is ignored (a background job of a non-interactive shell inherits that, and Python then
# installs no KeyboardInterrupt handler).
SIGINT_AS_AT_A_TERMINAL = "import signal\nsignal.signal(signal.SIGINT, signal.default_int_handler)\n"

SCRIPT = SIGINT_AS_AT_A_TERMINAL + """
import sys
import numpy as np
import curvature
images, labels, work_dir = np.load(sys.argv[1]), np.load(sys.argv[2]), sys.argv[3] or None
try:
    curvature.spectrum(sys.argv[4], images, labels, k=2, samples=3, batch_size=1, work_dir=work_dir, progress=False)
except curvature.CurvatureInterrupted as stop:
    print(stop.exit_code, stop.work_dir)
    print(stop.message)
    sys.exit(130)
"""


def interrupt(digit_files, work_dir, tmp_path):
    """Runs SCRIPT held before batch 2, sends SIGINT to the Python process once batch 1 is on disk,
    and returns its exit code, its stdout lines and the folder of the partial file."""
    environment = dict(os.environ, CURVATURE_TEST_HOLD_AT="2", TMPDIR=str(tmp_path), PYTHONPATH=str(PYTHON))
    script = subprocess.Popen([sys.executable, "-c", SCRIPT, *digit_files, work_dir or "", SOFTPLUS], env=environment,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pattern = os.path.join(work_dir or str(tmp_path / "curvature-*"), "spectrum.csv.partial")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        partial = glob.glob(pattern)
        if partial and open(partial[0]).read().count("\n") == 3:  # the header and sample 0's two rows
            break
        time.sleep(0.05)
    script.send_signal(signal.SIGINT)
    stdout, stderr = script.communicate(timeout=60)
    return script.returncode, stdout.splitlines(), os.path.dirname(partial[0]), stderr


def test_interrupted_keeps_the_finished_batch_and_resume_finishes(digits, digit_files, tmp_path):
    work = str(tmp_path / "work")
    code, lines, folder, stderr = interrupt(digit_files, work, tmp_path)
    assert code == 130, stderr
    assert lines[0] == f"130 {work}"
    assert lines[1].startswith("spectrum: interrupted with 1 of 3 samples in ")
    assert lines[1].endswith(f": call again with work_dir={work!r} and resume=True to finish")

    images, labels = digits
    resumed = curvature.spectrum(SOFTPLUS, images, labels, k=2, samples=3, batch_size=1, work_dir=work, resume=True)
    whole = curvature.spectrum(SOFTPLUS, images, labels, k=2, samples=3)
    assert np.array_equal(resumed.eigenvalues, whole.eigenvalues) and resumed.eigenvalues.shape == (3, 2)


def test_without_work_dir_the_temporary_folder_is_kept_and_named(digit_files, tmp_path):
    code, lines, folder, stderr = interrupt(digit_files, None, tmp_path)
    assert code == 130, stderr
    assert lines[0] == f"130 {folder}" and f"work_dir={folder!r}" in lines[1]
    assert open(os.path.join(folder, "spectrum.csv.partial")).read().count("\n") == 3


def test_an_interrupted_eval_keeps_nothing_and_says_so(digit_files, tmp_path):
    script = SIGINT_AS_AT_A_TERMINAL + """
import sys
sys.modules["tqdm"] = None  # progress passed through as the CLI's lines, which the test waits for
import numpy as np
import curvature
try:
    curvature.eval(sys.argv[3], np.load(sys.argv[1]), np.load(sys.argv[2]), attack="pgd-linf", epsilon=[0, 0.1], steps=2)
except curvature.CurvatureInterrupted as stop:
    print(stop.exit_code, stop.work_dir)
    print(stop.message)
"""
    environment = dict(os.environ, CURVATURE_TEST_HOLD_AT="2", TMPDIR=str(tmp_path), PYTHONPATH=str(PYTHON))
    run = subprocess.Popen([sys.executable, "-c", script, *digit_files, SOFTPLUS], env=environment,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watchdog = threading.Timer(60, run.kill)  # a missed line must fail the test, not hang it
    watchdog.start()
    for line in run.stderr:  # the CLI's progress, passed through: ε 1 of 2 has begun, the hold comes before ε 2
        if "(1/2)" in line:
            break
    run.send_signal(signal.SIGINT)
    watchdog.cancel()
    stdout, _ = run.communicate(timeout=60)
    assert stdout.splitlines() == ["130 None", "curvature eval: interrupted; no output written"]
    assert glob.glob(str(tmp_path / "curvature-*")) == []
