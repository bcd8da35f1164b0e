#!/usr/bin/python3
"""AutoAttack in Curvature beside torchattacks' AutoAttack, on the same images and models.

    /usr/bin/python3 autoattack_crosscheck.py [--models M.safetensors ...] [--samples 100]
        [--epsilon 0.1] [--norm linf|l2] [--reference published|shipped] [--threads 2]
        [--timing-samples 1000] [--curvature PATH]

For each model: `curvature eval --attack autoattack-NORM` and torchattacks' standard ensemble
(APGD-CE, APGD-T, FAB-T, Square; norm Linf or L2, same ε, 10 classes) on the first --samples
Fashion-MNIST test images, with --threads threads each (torch.set_num_threads), one after the
other in the same run. --reference published (default) builds the ensemble from torchattacks'
attacks with Croce & Hein's settings, as Curvature runs them (100 iterations for the gradient
attacks, 5,000 queries for Square); --reference shipped uses torchattacks.AutoAttack as it
comes, whose APGD, APGD-T and FAB keep their own default of 10 iterations. Prints CSV
`model,samples,epsilon,clean,curvature,torchattacks,diff,curvature_s,torchattacks_s,norm,reference`
(accuracies in %, wall seconds). With --timing-samples the wall
times are measured on that many images instead (a second pass of both tools).

The robust accuracies agree only statistically: both start APGD and Square from random points
drawn by different generators (torchattacks: torch's, seeded per batch; Curvature: one stream per
sample), Square's window positions include the last row/column in Curvature, and torch runs in
float32 with its own summation order.

torchattacks is installed with --no-deps into a venv ($TORCHATTACKS_VENV, default
~/.cache/curvature-peers) whose NumPy 2 cannot load Debian's torch 1.13: the venv's site-packages
are appended after Debian's on sys.path, so torch and NumPy come from Debian.
"""
import argparse
import csv
import glob
import os
import subprocess
import sys
import tempfile
import time

import torch

SCRIPT_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.normpath(os.path.join(SCRIPT_DIR, "..", ".."))
sys.path.insert(0, SCRIPT_DIR)
from torch_eval import load_data, load_model  # noqa: E402


def import_torchattacks():
    try:
        import torchattacks
        return torchattacks
    except ImportError:
        venv = os.environ.get("TORCHATTACKS_VENV", os.path.expanduser("~/.cache/curvature-peers"))
        sys.path.extend(glob.glob(os.path.join(venv, "lib", "python3*", "site-packages")))
        import torchattacks
        return torchattacks


def curvature_eval(binary, model, samples, epsilon, threads, norm):
    """Curvature's robust accuracy and wall time (the whole CLI run)."""
    with tempfile.TemporaryDirectory() as scratch:
        out = os.path.join(scratch, "eval.csv")
        start = time.time()
        subprocess.run([binary, "eval", "--model", model, "--data", "fashion-mnist", "--split", "test",
                        "--samples", str(samples), "--attack", f"autoattack-{norm}", "--epsilon", str(epsilon),
                        "--threads", str(threads), "--out", out], check=True, stdout=subprocess.DEVNULL)
        seconds = time.time() - start
        with open(out) as f:
            row = next(csv.DictReader(f))
        return float(row["accuracy"]), seconds


def reference_ensemble(torchattacks, model, epsilon, norm, reference):
    """torchattacks' standard ensemble. `published`: Croce & Hein's settings, which Curvature
    follows (100 iterations for APGD-CE, APGD-T and FAB-T); `shipped`: torchattacks.AutoAttack as
    it comes, whose members keep their own default of 10 iterations."""
    n = {"linf": "Linf", "l2": "L2"}[norm]
    if reference == "shipped":
        return torchattacks.AutoAttack(model, norm=n, eps=epsilon, version="standard", n_classes=10, seed=0)
    return torchattacks.MultiAttack([
        torchattacks.APGD(model, norm=n, eps=epsilon, steps=100, seed=0, loss="ce", n_restarts=1),
        torchattacks.APGDT(model, norm=n, eps=epsilon, steps=100, seed=0, n_classes=10, n_restarts=1),
        torchattacks.FAB(model, norm=n, eps=epsilon, steps=100, seed=0, multi_targeted=True, n_classes=10, n_restarts=1),
        torchattacks.Square(model, norm=n, eps=epsilon, seed=0, n_queries=5000, n_restarts=1),
    ])


def torchattacks_eval(torchattacks, model, images, labels, epsilon, norm, reference):
    start = time.time()
    adversarial = reference_ensemble(torchattacks, model, epsilon, norm, reference)(images, labels)
    with torch.no_grad():
        correct = (model(adversarial).argmax(1) == labels).sum().item()
    return correct / len(labels), time.time() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    models = [os.path.join(REPO_ROOT, "Data", "models", f"fmnist-cnn-small-{m}.safetensors") for m in ("standard", "pgd", "cure")]
    parser.add_argument("--models", nargs="+", default=models)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--epsilon", type=float, default=0.1)
    parser.add_argument("--norm", choices=("linf", "l2"), default="linf")
    parser.add_argument("--reference", choices=("published", "shipped"), default="published")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--timing-samples", type=int, default=0)
    parser.add_argument("--curvature", default=os.path.join(REPO_ROOT, ".build", "release", "curvature"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torchattacks = import_torchattacks()
    images, labels = load_data("fashion-mnist", "test")
    writer = csv.writer(sys.stdout)
    writer.writerow(["model", "samples", "epsilon", "clean", "curvature", "torchattacks", "diff", "curvature_s", "torchattacks_s", "norm", "reference"])
    for path in args.models:
        model, _ = load_model(path)
        x, y = images[:args.samples], labels[:args.samples]
        with torch.no_grad():
            clean = (model(x).argmax(1) == y).float().mean().item()
        ours, ours_s = curvature_eval(args.curvature, path, args.samples, args.epsilon, args.threads, args.norm)
        theirs, theirs_s = torchattacks_eval(torchattacks, model, x, y, args.epsilon, args.norm, args.reference)
        if args.timing_samples:
            n = args.timing_samples
            _, ours_s = curvature_eval(args.curvature, path, n, args.epsilon, args.threads, args.norm)
            _, theirs_s = torchattacks_eval(torchattacks, model, images[:n], labels[:n], args.epsilon, args.norm, args.reference)
        name = os.path.basename(path).removesuffix(".safetensors")
        writer.writerow([name, args.samples, args.epsilon, f"{100 * clean:.1f}", f"{100 * ours:.1f}", f"{100 * theirs:.1f}",
                         f"{100 * (ours - theirs):+.1f}", f"{ours_s:.1f}", f"{theirs_s:.1f}", args.norm, args.reference])
        sys.stdout.flush()


if __name__ == "__main__":
    main()
