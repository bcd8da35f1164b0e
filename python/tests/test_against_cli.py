"""Each function gives the numbers of the CLI's own CSV on the same inputs, bit for bit: the file the
package had the CLI write is byte for byte the CLI's, and the arrays hold exactly its numbers."""
import filecmp

import numpy as np

import curvature
from conftest import RELU, SOFTPLUS, cli_columns, run_cli, same


def test_spectrum_arrays_are_the_cli_csv(digits, digit_files, tmp_path):
    images, labels = digits
    result = curvature.spectrum(SOFTPLUS, images, labels, k=3, samples=4, threads=1, work_dir=tmp_path / "work")
    x, y = digit_files
    run_cli("spectrum", "--model", SOFTPLUS, "--data", x, "--labels", y, "--k", 3, "--samples", 4, "--threads", 1,
            "--out", tmp_path / "cli.csv")
    assert filecmp.cmp(tmp_path / "work" / "spectrum.csv", tmp_path / "cli.csv", shallow=False)
    cli = cli_columns(tmp_path / "cli.csv")
    assert result.eigenvalues.shape == (4, 3) and result.residuals.shape == (4, 3)
    assert same(result.eigenvalues, cli["eigenvalue"]) and same(result.residuals, cli["residual"])
    assert same(result.ranks, cli["rank"]) and result.converged.dtype == bool
    assert list(result.labels) == list(labels[:4]) and result.predicted.shape == (4,)
    assert result.converged.ravel().tolist() == [t == "true" for t in cli["converged"]]
    assert result.settings["settings"]["k"] == "3" and result.settings["unconverged_samples"] == 0
    assert list(result.table) == list(cli)  # every column, in the CLI's order


def test_an_h_sweep_is_sample_by_scale_by_rank(digits, tmp_path):
    images, labels = digits
    result = curvature.spectrum(SOFTPLUS, images, labels, k=2, samples=2, hessian="finite", h=[0.01, 0.1], method="lanczos",
                                gradient_norm=True, work_dir=tmp_path)
    cli = cli_columns(tmp_path / "spectrum.csv")
    assert list(result.h) == [0.01, 0.1] and result.eigenvalues.shape == (2, 2, 2)
    assert same(result.eigenvalues, cli["eigenvalue"]) and result.gradient_norm.shape == (2, 2)


def test_density_and_trace(digit_files, tmp_path):
    x, y = digit_files
    density = curvature.density(SOFTPLUS, x, y, samples=2, probes=2, steps=8, grid_points=16)
    run_cli("density", "--model", SOFTPLUS, "--data", x, "--labels", y, "--samples", 2, "--probes", 2, "--steps", 8,
            "--grid-points", 16, "--out", tmp_path / "density.csv")
    cli = cli_columns(tmp_path / "density.csv")
    assert density.density.shape == (2, 16) and same(density.density, cli["density"]) and same(density.lambda_, cli["lambda"])

    trace = curvature.trace(SOFTPLUS, x, y, samples=3, probes=4)
    run_cli("trace", "--model", SOFTPLUS, "--data", x, "--labels", y, "--samples", 3, "--probes", 4, "--out", tmp_path / "trace.csv")
    cli = cli_columns(tmp_path / "trace.csv")
    assert trace.trace.shape == (3,) and same(trace.trace, cli["trace"]) and same(trace.stderr, cli["stderr"])


def test_eval_accuracy_by_epsilon(tmp_path):
    result = curvature.eval(RELU, "mnist5k", samples=20, attack="pgd-linf", epsilon=[0, 0.05, 0.1], steps=5)
    run_cli("eval", "--model", RELU, "--data", "mnist5k", "--samples", 20, "--attack", "pgd-linf", "--epsilon", "0,0.05,0.1",
            "--steps", 5, "--out", tmp_path / "eval.csv")
    cli = cli_columns(tmp_path / "eval.csv")
    assert result.attack == "pgd-linf" and list(result.epsilon) == [0, 0.05, 0.1]
    assert same(result.accuracy, cli["accuracy"]) and result.accuracy[0] >= result.accuracy[-1]


def test_attack_per_sample_and_its_images(digits, digit_files, tmp_path):
    images, labels = digits
    result = curvature.attack(RELU, images, labels, method="pgd-linf", epsilon=0.1, steps=5, adversarial_images=True)
    x, y = digit_files
    run_cli("attack", "--model", RELU, "--data", x, "--labels", y, "--method", "pgd-linf", "--epsilon", 0.1, "--steps", 5,
            "--images", tmp_path / "adv.npy", "--out", tmp_path / "attack.csv")
    cli = cli_columns(tmp_path / "attack.csv")
    assert same(result.norm_linf, cli["norm_linf"]) and list(result.status) == cli["status"]
    assert list(result.broken_by) == cli["broken_by"]
    assert np.array_equal(result.adversarial_images, np.load(tmp_path / "adv.npy"))
    assert result.adversarial_images.shape == (8, 1, 28, 28)


def test_boundary_with_its_points(tmp_path):
    result = curvature.boundary(SOFTPLUS, "mnist5k", samples=3, k=2, points=True, interpretability=True, work_dir=tmp_path / "w")
    run_cli("boundary", "--model", SOFTPLUS, "--data", "mnist5k", "--samples", 3, "--k", 2, "--interpretability",
            "--points", tmp_path / "points.npy", "--out", tmp_path / "boundary.csv")
    assert filecmp.cmp(tmp_path / "w" / "boundary.csv", tmp_path / "boundary.csv", shallow=False)
    cli = cli_columns(tmp_path / "boundary.csv")
    assert same(result.curvatures[result.ranks > 0], [t for t in cli["curvature"] if t])
    first = [cli["sample"].index(s) for s in dict.fromkeys(cli["sample"])]
    assert same(result.distance, [cli["distance"][i] for i in first]) and list(result.status) == [cli["status"][i] for i in first]
    assert np.array_equal(result.points, np.load(tmp_path / "points.npy"), equal_nan=True)
    assert result.settings["status_counts"] and result.alignment.shape == (3,)


def test_compare_two_models(tmp_path):
    models = [RELU, SOFTPLUS]
    result = curvature.compare(models, "mnist5k", names=["relu", "softplus"], samples=4, k=3, epsilons=[0, 0.1], pgd_steps=3,
                               robust_attacks="pgd", figure_samples=1, work_dir=tmp_path / "w")
    run_cli("compare", "--models", ",".join(models), "--names", "relu,softplus", "--data", "mnist5k", "--samples", 4, "--k", 3,
            "--epsilons", "0,0.1", "--pgd-steps", 3, "--robust-attacks", "pgd", "--figure-samples", 1, "--out-dir", tmp_path / "cli")
    for name in ("spectra.csv", "eval.csv", "profile.csv"):
        assert filecmp.cmp(tmp_path / "w" / "compare" / name, tmp_path / "cli" / name, shallow=False)
    cli = cli_columns(tmp_path / "cli" / "spectra.csv")
    softplus = [v for m, v in zip(cli["model"], cli["eigenvalue"]) if m == "softplus"]
    assert result.models == ["relu", "softplus"] and same(result.eigenvalues["softplus"], softplus)
    evaluations = cli_columns(tmp_path / "cli" / "eval.csv")
    assert same(result.accuracy["relu"]["pgd-linf"], [a for m, a in zip(evaluations["model"], evaluations["accuracy"]) if m == "relu"])
    assert list(result.epsilon) == [0, 0.1] and "softplus" in result.summary


def test_section_grids(tmp_path):
    result = curvature.section([SOFTPLUS], "mnist5k", names=["smooth"], sample=0, grid=5, work_dir=tmp_path / "w")
    run_cli("section", "--models", SOFTPLUS, "--names", "smooth", "--data", "mnist5k", "--sample", 0, "--grid", 5,
            "--out", tmp_path / "section.csv")
    assert filecmp.cmp(tmp_path / "w" / "section.csv", tmp_path / "section.csv", shallow=False)
    cli = cli_columns(tmp_path / "section.csv")
    assert result.margin["smooth"].shape == (5, 5) and result.a.shape == (5,)
    assert sorted(result.margin["smooth"].ravel()) == sorted(float(t) for t in cli["margin"])


def test_inspect_reads_the_cli_summary():
    relu, smooth = curvature.inspect(RELU), curvature.inspect(SOFTPLUS)
    assert relu.input_shape == (1, 28, 28) and relu.classes == 10 and relu.piecewise_linear
    assert not smooth.piecewise_linear and smooth.activations == ["softplus(β=10)"]
    assert str(relu.parameters) in relu.text.replace(",", "")


def test_train_on_arrays_gives_the_cli_model(tmp_path):
    generator = np.random.default_rng(1)
    train = generator.integers(0, 256, (64, 1, 8, 8), dtype=np.uint8), generator.integers(0, 3, 64)
    test = generator.integers(0, 256, (16, 1, 8, 8), dtype=np.uint8), generator.integers(0, 3, 16)
    architecture = tmp_path / "arch.json"
    architecture.write_text('{"input": [1, 8, 8], "layers": [{"type": "flatten"}, {"type": "linear", "in": 64, "out": 3}]}')
    result = curvature.train((train, test), arch=architecture, epochs=2, batch_size=16, robust_samples=0,
                             out=tmp_path / "python.safetensors", work_dir=tmp_path / "w")
    run_cli("train", "--data", tmp_path / "w" / "data", "--arch", architecture, "--epochs", 2, "--batch-size", 16,
            "--robust-samples", 0, "--out", tmp_path / "cli.safetensors")
    assert filecmp.cmp(tmp_path / "python.safetensors", tmp_path / "cli.safetensors", shallow=False)
    assert list(result.epoch) == [1, 2] and result.model == str(tmp_path / "python.safetensors")
    cli = cli_columns(tmp_path / "cli.log.csv")
    assert same(result.loss, cli["loss"]) and same(result.test_accuracy, cli["test_accuracy"])
