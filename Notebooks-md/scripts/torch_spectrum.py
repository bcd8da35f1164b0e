#!/usr/bin/python3
"""Independent check of `curvature spectrum`: PyTorch's dense input Hessians and NumPy's eigvalsh.

For each sample of a Curvature spectrum CSV (`sample,label,predicted,rank,eigenvalue,residual`),
builds ∇²ₓℓ(f(x), y) of the same model and image with torch.autograd.functional.hessian (in
float64 by default, so a Float32 `curvature spectrum` is judged against the exact answer), takes all eigenvalues with
numpy.linalg.eigvalsh in float64, and compares every listed eigenvalue at its rank. Prints the
largest relative difference |λ_ours − λ_torch| / |λ₁| and exits 1 if it exceeds --tolerance.

    /usr/bin/python3 Notebooks-md/scripts/torch_spectrum.py MODEL.safetensors spectrum.csv \
        --data fashion-mnist --split test [--tolerance 1e-3] [--dtype float32]
"""
import argparse, csv, os, sys
import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_eval import load_model, load_data  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model")
    p.add_argument("spectrum", help="a CSV written by curvature spectrum for this model")
    p.add_argument("--arch")
    p.add_argument("--data", default="fashion-mnist")
    p.add_argument("--split", default="test")
    p.add_argument("--dtype", default="float64", choices=["float32", "float64"],
                   help="dtype of the PyTorch reference (default float64: the exact answer the Float32 pipeline is judged by)")
    p.add_argument("--tolerance", type=float, default=1e-3)
    p.add_argument("--max-samples", type=int, default=20)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    dtype = torch.float32 if a.dtype == "float32" else torch.float64
    model, _ = load_model(a.model, a.arch, dtype)
    images, labels = load_data(a.data, a.split)
    rows = {}
    with open(a.spectrum) as f:
        for r in csv.DictReader(f):
            rows.setdefault(int(r["sample"]), []).append((int(r["rank"]), float(r["eigenvalue"])))
    worst, compared = 0.0, 0
    for sample in sorted(rows)[: a.max_samples]:
        x = images[sample : sample + 1].to(dtype)
        y = labels[sample : sample + 1]
        loss = lambda v: F.cross_entropy(model(v.reshape(x.shape)), y, reduction="sum")
        h = torch.autograd.functional.hessian(loss, x.reshape(-1), vectorize=True).double().numpy()
        values = np.linalg.eigvalsh((h + h.T) / 2)[::-1]  # descending: rank 1 first
        top = abs(values[0]) if values[0] != 0 else 1.0
        for rank, ours in rows[sample]:
            worst = max(worst, abs(ours - values[rank - 1]) / top)
            compared += 1
        print(f"sample {sample}: λ1 ours {rows[sample][0][1]:.6g} torch {values[0]:.6g}; "
              f"largest relative difference so far {worst:.2e}", flush=True)
    print(f"compared {compared} eigenvalues of {min(len(rows), a.max_samples)} samples: "
          f"max |λ_ours − λ_torch| / |λ1| = {worst:.3e} (tolerance {a.tolerance:g})")
    sys.exit(0 if worst <= a.tolerance else 1)


if __name__ == "__main__":
    main()
