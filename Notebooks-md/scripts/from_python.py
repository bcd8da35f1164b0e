#!/usr/bin/python3
"""Notebook 09, end to end: a PyTorch CNN trained on Fashion-MNIST in a few lines, its top-10
input-Hessian eigenvalues and its PGD and AutoAttack accuracies from Python (`import curvature`),
a matplotlib figure of the returned arrays, and the Python layer's overhead against the bare CLI
on the same job (medians of interleaved runs). Run from the repository root with Debian's Python:

    /usr/bin/python3 Notebooks-md/scripts/from_python.py [--out out/from-python] [--rounds 5]

Needs python3-torch, python3-numpy, python3-matplotlib and dataset-fashion-mnist.
"""
import argparse
import gzip
import os
import resource
import statistics
import subprocess
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import curvature  # noqa: E402  (this checkout's package)

FASHION = "/usr/share/datasets/fashion-mnist"


def idx(name, offset):
    """A Debian Fashion-MNIST IDX file as uint8 (images: offset 16, labels: offset 8)."""
    with gzip.open(os.path.join(FASHION, name)) as file:
        return np.frombuffer(file.read(), dtype=np.uint8, offset=offset).copy()  # writable, as torch wants


def timed(call):
    start = time.perf_counter()
    value = call()
    return value, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="out/from-python")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the 100-image overhead job (4x as many of the 10-image job)")
    arguments = parser.parse_args()
    os.makedirs(arguments.out, exist_ok=True)
    torch.manual_seed(0)

    # The data as numpy arrays: uint8 (N, 1, 28, 28) images, integer labels.
    x_train = idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28)[:10000]
    y_train = idx("train-labels-idx1-ubyte.gz", 8).astype(np.int64)[:10000]
    x_test = idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28)[:100]
    y_test = idx("t10k-labels-idx1-ubyte.gz", 8).astype(np.int64)[:100]

    # A smooth CNN (softplus: its input Hessian is full rank), trained in PyTorch for 2 epochs.
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.Softplus(beta=10), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.Softplus(beta=10), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(32 * 7 * 7, 10))
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    for epoch in range(2):
        for batch in torch.randperm(len(x_train)).split(128):
            loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(x_train[batch.numpy()]) / 255.0),
                                                     torch.from_numpy(y_train[batch.numpy()]))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    print(f"trained: 2 epochs on 10,000 images in {time.perf_counter() - start:.1f} s, last loss {loss.item():.3f}")
    model.eval()
    with torch.no_grad():
        clean = (model(torch.from_numpy(x_test) / 255.0).argmax(1).numpy() == y_test).mean()
    print(f"PyTorch's own clean accuracy on the 100 test images: {clean:.2f}")

    # Curvature from Python: the module and the arrays go in, numpy comes out.
    spectrum, seconds = timed(lambda: curvature.spectrum(model, x_test, y_test, k=10, work_dir=f"{arguments.out}/spectrum"))
    print(f"spectrum: {spectrum.eigenvalues.shape} eigenvalues in {seconds:.1f} s; "
          f"converged {spectrum.converged.all(axis=1).sum()} of {len(spectrum.samples)} samples; "
          f"median λ1 {np.median(spectrum.eigenvalues[:, 0]):.4g}, median λ10 {np.median(spectrum.eigenvalues[:, 9]):.4g}")
    epsilons = [0, 0.02, 0.05, 0.1]
    pgd, seconds = timed(lambda: curvature.eval(model, x_test, y_test, attack="pgd-linf", epsilon=epsilons))
    print(f"PGD-20: accuracy {dict(zip(pgd.epsilon.tolist(), pgd.accuracy.tolist()))} in {seconds:.1f} s")
    autoattack, seconds = timed(lambda: curvature.eval(model, x_test, y_test, attack="autoattack-linf", epsilon=epsilons[1:]))
    print(f"AutoAttack: accuracy {dict(zip(autoattack.epsilon.tolist(), autoattack.accuracy.tolist()))} in {seconds:.1f} s; "
          f"masking warnings: {autoattack.settings['masking_checks']['warnings']}")

    figure(spectrum, pgd, autoattack, os.path.join("Notebooks-md", "figures", "09-from-python.png"))
    overhead(model, spectrum, arguments)


def figure(spectrum, pgd, autoattack, path):
    """The returned arrays drawn: the eigenvalue profile by rank, and accuracy against ε."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    ranks = np.arange(1, spectrum.eigenvalues.shape[1] + 1)
    low, median, high = np.percentile(spectrum.eigenvalues, [10, 50, 90], axis=0)
    left.fill_between(ranks, low, high, alpha=0.3, label="10th–90th percentile")
    left.plot(ranks, median, "o-", label="median")
    left.set(yscale="log", xlabel="rank r", ylabel="λ_r of ∇²ₓ loss",
             title=f"Top-10 input-Hessian eigenvalues, {len(spectrum.samples)} test images")
    left.legend()
    right.plot(pgd.epsilon, pgd.accuracy, "o-", label="PGD-20")
    right.plot(np.r_[0, autoattack.epsilon], np.r_[pgd.accuracy[0], autoattack.accuracy], "s--", label="AutoAttack (clean at ε = 0)")
    right.set(xlabel="ε (ℓ∞, pixels in [0, 1])", ylabel="accuracy", ylim=(0, 1), title="Robust accuracy")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"figure: {path}")


def overhead(model, spectrum, arguments):
    """The same spectrum job through the package and through the bare CLI on the files it wrote,
    interleaved; medians of `--rounds` runs (4× as many of the short job). The bare CLI also runs
    in a session of its own, as the package runs it: with the kernel's autogroup scheduling, a busy
    machine gives each session its share, so that alone would change its wall time. The Python
    process's own CPU time during a call (export, .npy writes, CSV parsing) is the layer's cost
    whatever else runs."""
    work = spectrum.work_dir
    model_file = os.path.join(work, "model.onnx")
    for samples, k, rounds in ((100, 10, arguments.rounds), (10, 5, 4 * arguments.rounds)):
        images = np.load(os.path.join(work, "images.npy"))[:samples]
        labels = np.load(os.path.join(work, "labels.npy"))[:samples]
        np.save(os.path.join(arguments.out, "x.npy"), images)
        np.save(os.path.join(arguments.out, "y.npy"), labels)
        cli = [curvature.executable(), "spectrum", "--model", model_file, "--data", os.path.join(arguments.out, "x.npy"),
               "--labels", os.path.join(arguments.out, "y.npy"), "--k", str(k), "--out", os.path.join(arguments.out, "cli.csv")]
        runs = {"bare CLI": [], "Python, ONNX file": [], "Python, torch module": []}
        cpu = {"Python, ONNX file": [], "Python, torch module": []}
        calls = {"Python, ONNX file": lambda: curvature.spectrum(model_file, images, labels, k=k, progress=False),
                 "Python, torch module": lambda: curvature.spectrum(model, images, labels, k=k, progress=False)}
        for _ in range(rounds):
            runs["bare CLI"].append(timed(lambda: subprocess.run(cli, check=True, capture_output=True, start_new_session=True))[1])
            for name, call in calls.items():
                before = resource.getrusage(resource.RUSAGE_SELF)
                runs[name].append(timed(call)[1])
                after = resource.getrusage(resource.RUSAGE_SELF)
                cpu[name].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        bare = statistics.median(runs["bare CLI"])
        print(f"overhead, spectrum of {samples} images, k = {k}, {rounds} rounds, load average {os.getloadavg()[0]:.1f}:")
        fastest = min(runs["bare CLI"])
        print(f"  bare CLI: median {bare:.3f} s, fastest {fastest:.3f} s (runs {', '.join(f'{t:.3f}' for t in runs['bare CLI'])})")
        for name in calls:
            wall, least = statistics.median(runs[name]), min(runs[name])
            print(f"  {name}: median {wall:.3f} s, {wall - bare:+.3f} s, {wall / bare:.3f}×; fastest {least:.3f} s, "
                  f"{least - fastest:+.3f} s, {least / fastest:.3f}× (runs {', '.join(f'{t:.3f}' for t in runs[name])}); "
                  f"the Python process's own CPU: median {statistics.median(cpu[name]):.3f} s")


if __name__ == "__main__":
    main()
