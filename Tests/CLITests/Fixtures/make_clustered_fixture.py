"""Writes clustered_swish: a small Swish (SiLU) network exported from PyTorch to ONNX whose input
loss-Hessian has clustered top (and bottom) eigenvalues at every sample, with PyTorch's float64
answers (issue 27: an eigensolver must find every member of a cluster or say it did not).

Run with Debian's PyTorch 1.13, NumPy and SciPy (`python3-torch python3-scipy`, /usr/bin/python3);
see README.md. Every file is written next to this script; two runs give identical files.

The design (d = 3*8*8 = 192 input pixels, 4 classes, one hidden layer of 168 SiLU units):
  * The sample images are smooth: 0.5 plus low-frequency 2-D DCT patterns (u + v <= 3 in each
    channel, a 30-dimensional subspace S). Every other direction is orthogonal to every image.
  * 162 "designed" units look along an orthonormal basis q_k of the complement of S, scaled by
    SCALE, with bias b* = argmin SiLU. At every sample their pre-activation is exactly b* (up to
    float32 rounding of images and weights, ~1e-7), where SiLU' = 0: they add nothing to the
    Gauss-Newton term, and their residual term is SCALE^2 * SiLU''(b*) * v_k * p_3 along q_k,
    v_k being the unit's weight into class 3 (the only class they feed; no label is 3, so
    d loss / d z_3 = p_3 > 0). The eigenvalues along the q_k are therefore p_3 * t_k * const with
    ratios t_k fixed by the v_k: the same clustered shape at every sample, scaled by p_3.
  * 6 "classifier" units look at S with random weights and feed classes 0-2, so the logits (and
    predictions) differ by image; their curvature stays inside the bulk (checked below).
Target ratios t_k (relative to the largest):
  top 5    1, 0.99, 0.98, 0.9705, 0.9695   (within 3.05%; ranks 4 and 5 are 1e-3 of rank 1 apart)
  bulk     88 values evenly in (0, 0.9 * 0.9695] and 66 evenly in [-1.8, 0): dense just below
           the cluster, which is where a fixed 40-step Lanczos skips a member of it
  bottom 3 -2, -1.98, -1.978              (ranks d-1 and d-2 are 1e-3 of rank d apart; then a 9% gap)
The script checks this structure on the exact dense Hessian of each sample and exits non-zero if
any check fails.
"""
import json, math, os, sys, warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from scipy.optimize import brentq
from scipy.sparse.linalg import LinearOperator, eigsh

HERE = os.path.dirname(os.path.abspath(__file__))
NAME = "clustered_swish"
torch.set_num_threads(1)  # bit-stable reductions from run to run
warnings.filterwarnings("ignore", category=UserWarning, module="torch.onnx")

SHAPE = (3, 8, 8)
D = 3 * 8 * 8
CLASSES, CURVED = 4, 3  # the designed units feed class CURVED only
SAMPLES = 4
SCALE = 4.0  # norm of a designed unit's weight row
P_REF = 0.25  # p_CURVED the weights are scaled for (the eigenvalues are ~t_k * p_CURVED / P_REF)
TOP = [1.0, 0.99, 0.98, 0.9705, 0.9695]
BOTTOM = [-2.0, -1.98, -1.978]
BULK_POS, BULK_POS_EDGE = 88, 0.9 * 0.9695
BULK_NEG, BULK_NEG_EDGE = 66, -1.8
CLASSIFIER_UNITS = 6
OPSET = 13


def path(name):
    return os.path.join(HERE, name)


def f32(a):
    """float32-representable float64: the weights and images both files hold, exactly."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def dct_patterns(max_frequency):
    """Orthonormal 2-D DCT-II basis images with u + v <= max_frequency, per channel, flattened."""
    n = 8
    basis = np.array([[math.sqrt((1 if u == 0 else 2) / n) * math.cos(math.pi * (2 * i + 1) * u / (2 * n))
                       for i in range(n)] for u in range(n)])
    patterns = []
    for c in range(SHAPE[0]):
        for u in range(n):
            for v in range(n):
                if u + v <= max_frequency:
                    p = np.zeros(SHAPE)
                    p[c] = np.outer(basis[u], basis[v])
                    patterns.append(p.reshape(-1))
    return np.array(patterns)


def silu_minimum():
    sigmoid = lambda a: 1 / (1 + math.exp(-a))
    b = brentq(lambda a: sigmoid(a) * (1 + a * (1 - sigmoid(a))), -2, -0.5, xtol=1e-15)
    s = sigmoid(b)
    return b, s * (1 - s) * (2 + b * (1 - 2 * s))  # argmin and SiLU'' there


class ClusteredSwish(nn.Module):
    def __init__(self, w1, b1, w2, b2):
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(D, len(b1)), nn.SiLU(), nn.Linear(len(b1), CLASSES))
        with torch.no_grad():
            for layer, w, b in [(self.body[1], w1, b1), (self.body[3], w2, b2)]:
                layer.weight.copy_(torch.tensor(w))
                layer.bias.copy_(torch.tensor(b))

    def forward(self, x):
        return self.body(x)


def build():
    rng = np.random.default_rng(27)
    smooth = dct_patterns(3)  # S, 30 x 192, orthonormal rows
    # An orthonormal basis of S's complement, randomly rotated so no eigenvector is a pixel pattern.
    projector = np.eye(D) - smooth.T @ smooth
    q = np.linalg.qr(projector @ rng.standard_normal((D, D - len(smooth))))[0].T  # 162 x 192
    b_star, curvature = silu_minimum()
    ratios = np.concatenate([TOP, BULK_POS_EDGE * (np.arange(BULK_POS, 0, -1) / BULK_POS),
                             BULK_NEG_EDGE * (np.arange(1, BULK_NEG + 1) / BULK_NEG), BOTTOM])
    assert len(ratios) == len(q), (len(ratios), len(q))
    v = ratios / (SCALE ** 2 * curvature * P_REF)

    # Classifier units: random directions in S, moderate slopes, feeding classes 0-2.
    rotation = np.linalg.qr(rng.standard_normal((len(smooth), CLASSIFIER_UNITS)))[0].T
    w1 = np.vstack([SCALE * q, 0.6 * rotation @ smooth])
    b1 = np.concatenate([np.full(len(q), b_star), rng.normal(0, 0.5, CLASSIFIER_UNITS)])
    w2 = np.zeros((CLASSES, len(b1)))
    w2[CURVED, :len(q)] = v
    w2[:CURVED, len(q):] = rng.normal(0, 1.0, (CURVED, CLASSIFIER_UNITS))

    # Images: 0.5 plus smooth patterns, scaled into [0.05, 0.95] (no clipping: they stay in S's span).
    coefficients = rng.normal(0, 1, (SAMPLES, len(smooth)))
    detail = coefficients @ smooth
    detail -= detail.mean(axis=1, keepdims=True)
    images = f32(0.5 + 0.45 * detail / np.abs(detail).max(axis=1, keepdims=True))
    w1, b1, w2 = f32(w1), f32(b1), f32(w2)

    # Bias of class 3: cancels the designed units' constant contribution v·SiLU(b*) and puts
    # p_3 near P_REF on average.
    hidden = F.silu(torch.tensor(images) @ torch.tensor(w1).T + torch.tensor(b1)).numpy()
    z = hidden @ w2.T
    others = np.log(np.exp(z[:, :CURVED]).sum(axis=1))
    b2 = np.zeros(CLASSES)
    b2[CURVED] = np.mean(others - z[:, CURVED] + math.log(P_REF / (1 - P_REF)))
    b2 = f32(b2)
    logits = z + b2
    # Labels: never class 3 (so the designed curvature has the designed sign); the best of classes
    # 0-2 for samples 0 and 2, the second best for 1 and 3 (misclassified).
    order = np.argsort(-logits[:, :CURVED], axis=1)
    labels = np.array([order[i, 0 if i % 2 == 0 else 1] for i in range(SAMPLES)], dtype=np.int64)
    return ClusteredSwish(w1, b1, w2, b2).eval(), images, labels, {
        "b_star": b_star, "silu_second_derivative_at_b_star": curvature, "scale": SCALE, "p_ref": P_REF,
        "designed_units": len(q), "classifier_units": CLASSIFIER_UNITS, "smooth_subspace_dimension": len(smooth),
        "ratios_top": TOP, "ratios_bottom": BOTTOM, "bulk_positive": [BULK_POS, BULK_POS_EDGE],
        "bulk_negative": [BULK_NEG, BULK_NEG_EDGE]}


def loss_of(model, label):
    y = torch.tensor([label])
    return lambda x: F.cross_entropy(model(x.view(1, *SHAPE)), y, reduction="sum")


def reference(model64, image, label):
    """Exact dense Hessian -> eigvalsh (descending); eigsh on Hessian-vector products as a check."""
    x = torch.tensor(image, dtype=torch.float64)
    loss = loss_of(model64, label)
    hessian = torch.autograd.functional.hessian(loss, x).numpy()
    assert np.abs(hessian - hessian.T).max() <= 1e-13 * np.abs(hessian).max()
    dense = np.linalg.eigvalsh((hessian + hessian.T) / 2)[::-1]

    def hvp(v):
        return torch.autograd.functional.hvp(loss, x, torch.tensor(np.ravel(v)))[1].numpy()

    operator = LinearOperator((D, D), matvec=hvp, dtype=np.float64)
    start = np.ones(D)  # fixed, so the cross-check is reproducible
    top5 = np.sort(eigsh(operator, k=5, which="LA", tol=1e-12, v0=start)[0])[::-1]
    bottom3 = np.sort(eigsh(operator, k=3, which="SA", tol=1e-12, v0=start)[0])
    return dense, top5, bottom3


def export(model, example, fname):
    torch.onnx.export(model, example, path(fname), opset_version=OPSET, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})


def main():
    model, images, labels, design = build()
    model64 = ClusteredSwish(*[p.detach().double().numpy() for p in
                               [model.body[1].weight, model.body[1].bias, model.body[3].weight, model.body[3].bias]]).double().eval()
    x32 = torch.tensor(images, dtype=torch.float32).view(SAMPLES, *SHAPE)
    x64 = torch.tensor(images, dtype=torch.float64).view(SAMPLES, *SHAPE)
    with torch.no_grad():
        logits32, logits64 = model(x32), model64(x64)
    export(model, x32[:1], f"{NAME}.onnx")
    export(model64, x64[:1], f"{NAME}-f64.onnx")
    np.save(path(f"{NAME}_images.npy"), images.astype(np.float32).reshape(SAMPLES, *SHAPE))
    np.save(path(f"{NAME}_labels.npy"), labels)

    failures, per_sample = [], []
    check = lambda ok, what: ok or failures.append(what)
    for i in range(SAMPLES):
        dense, top5, bottom3 = reference(model64, images[i], int(labels[i]))
        top, low = dense[:8], dense[::-1][:3]
        width = (top[0] - top[4]) / top[0]
        gaps = (top[:4] - top[1:5]) / top[0]
        bottom_gaps = (low[1:] - low[:-1]) / abs(low[0])
        eigsh_error = max(np.abs(top5 - top[:5]).max(), np.abs(bottom3 - low).max()) / np.abs(dense).max()
        check(width < 0.05, f"sample {i}: top-5 width {width:.3g}")
        check(((gaps > 5e-4) & (gaps < 2e-3)).any(), f"sample {i}: no top pair ~1e-3 apart: {gaps}")
        check(gaps.min() > 5e-4, f"sample {i}: top-5 eigenvalues not distinct: {gaps}")
        check(top[5] / top[4] < 0.92, f"sample {i}: no gap after rank 5: {top[5] / top[4]:.3g}")
        check(((bottom_gaps > 5e-4) & (bottom_gaps < 2e-3)).any(), f"sample {i}: no bottom pair ~1e-3 apart")
        check(dense[-4] / low[2] < 0.95, f"sample {i}: no gap after the bottom 3: {dense[-4] / low[2]:.3g}")
        check(eigsh_error < 1e-10, f"sample {i}: eigsh vs eigvalsh {eigsh_error:.3g}")
        per_sample.append({
            "sample": i, "label": int(labels[i]),
            "predicted": int(np.argmax(logits64[i].tolist())),
            "logits32": logits32[i].tolist(), "logits64": logits64[i].tolist(),
            "top8": top.tolist(), "bottom3": low.tolist(),
            "eigsh_top5": top5.tolist(), "eigsh_bottom3": bottom3.tolist(),
            "eigenvalues": dense.tolist(),
            "top5_relative_width": width, "top5_relative_gaps": gaps.tolist(),
            "rank6_over_rank5": top[5] / top[4], "bottom3_relative_gaps": bottom_gaps.tolist(),
            "eigsh_vs_eigvalsh": eigsh_error})
        print(f"sample {i} label {labels[i]} predicted {per_sample[-1]['predicted']} p3 "
              f"{float(torch.softmax(logits64[i], 0)[CURVED]):.3f}\n"
              f"  top8    {np.array2string(top, precision=6)}\n"
              f"  bottom3 {np.array2string(low, precision=6)}  (4th smallest {dense[-4]:.6f})\n"
              f"  top-5 width {width:.4f}, relative gaps {np.array2string(gaps, precision=5)}, "
              f"rank 6 / rank 5 {top[5] / top[4]:.3f}, eigsh vs eigvalsh {eigsh_error:.1e}")

    with open(path(f"{NAME}.json"), "w") as f:
        json.dump({
            "model": NAME, "onnx": f"{NAME}.onnx", "onnx_f64": f"{NAME}-f64.onnx", "opset": OPSET,
            "images_npy": f"{NAME}_images.npy", "labels_npy": f"{NAME}_labels.npy",
            "input_shape": list(SHAPE), "classes": CLASSES, "samples": SAMPLES,
            "images": images.reshape(-1).tolist(), "labels": labels.tolist(),
            "loss": "cross_entropy(logits, label), the input Hessian of one sample",
            "eigenvalues_note": "descending; top8 = ranks 1-8, bottom3 = ranks d, d-1, d-2 (ascending); "
                                "numpy.linalg.eigvalsh of torch.autograd.functional.hessian in float64; "
                                "eigsh_* = scipy eigsh (tol 1e-12) on float64 Hessian-vector products",
            "design": design, "per_sample": per_sample,
            "versions": {"torch": torch.__version__, "numpy": np.__version__,
                         "python": sys.version.split()[0]}}, f, indent=1)
        f.write("\n")
    for failure in failures:
        print("FAILED:", failure)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
