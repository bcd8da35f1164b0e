"""How the CLI's stderr and CSV are read: progress lines recognised, CSV columns typed by name."""
import sys
import types

import numpy as np

import curvature
from conftest import SOFTPLUS
from curvature.progress import Progress, parse
from curvature.table import group_rows, per_row, read_csv


def test_the_cli_s_progress_lines_are_recognised():
    assert parse("spectrum: 50/200 samples  3.10 samples/s  ETA 48s") == ("spectrum", 50, 200)
    assert parse("12/100 samples  1.0 samples/s  ETA 1m28s") == ("samples", 12, 100)
    assert parse("ε = 0.1 (2/3) on 100 samples") == ("accuracy", 1, 3)
    assert parse("compare pgd: PGD-20 accuracy at ε = 0.1 (2/5) on 20 samples") == ("compare pgd: PGD-20 accuracy", 1, 5)
    assert parse("epoch 2/5  batch 10/40  loss 0.4100  900 img/s  ETA 3s") == ("train", 50, 200)
    assert parse("spectrum: 3 of 200 samples did not converge within --max-steps 300; see column converged") is None


def test_progress_is_passed_through_without_tqdm(capfd, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    curvature.trace(SOFTPLUS, "mnist5k", samples=2, probes=2)
    assert "trace: 2/2 samples" in capfd.readouterr().err
    curvature.trace(SOFTPLUS, "mnist5k", samples=2, probes=2, progress=False)
    assert capfd.readouterr().err == ""


def test_progress_drives_a_tqdm_bar_when_there_is_one(monkeypatch):
    bars = []

    class Bar:
        def __init__(self, total, desc, **_):
            self.n, self.total, self.desc = 0, total, desc
            bars.append(self)

        def update(self, step):
            self.n += step

        def close(self):
            pass

    monkeypatch.setitem(sys.modules, "tqdm", types.ModuleType("tqdm"))
    monkeypatch.setitem(sys.modules, "tqdm.auto", types.SimpleNamespace(tqdm=Bar))
    shown = Progress()
    for line in ("spectrum: 50/200 samples  3 samples/s  ETA 48s", "spectrum: 200/200 samples  3 samples/s  ETA 0s"):
        assert shown.offer(line)
    assert not shown.offer("spectrum: 3 of 200 samples did not converge")
    assert [(bar.desc, bar.n, bar.total) for bar in bars] == [("spectrum", 200, 200)]


def test_columns_are_typed_by_the_cli_s_names(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("sample,label,target,rank,curvature,status,converged,model\n"
                    "0,1,,,,misclassified,true,1\n1,2,3,1,0,ok,false,1\n1,2,3,2,-0.5,ok,true,1\n")
    columns = read_csv(path)
    assert columns["target"].tolist() == [-1, 3, 3] and columns["rank"].dtype == np.int64
    assert columns["curvature"].dtype == np.float64 and np.isnan(columns["curvature"][0]) and columns["curvature"][1] == 0.0
    assert columns["converged"].tolist() == [True, False, True] and columns["model"].tolist() == ["1", "1", "1"]
    groups = group_rows(columns)
    assert per_row(columns, "curvature", groups).tolist()[1] == [0.0, -0.5]
    assert per_row(columns, "status", groups).tolist() == [["misclassified", ""], ["ok", "ok"]]
