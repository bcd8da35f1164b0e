#!/usr/bin/python3
"""Do the two peers' resnet18 workloads compute the same input-HVP?

    /usr/bin/python3 check_resnet18.py [--batch 4]     (JAX from $JAX_VENV, default ~/.cache/curvature-jax)

Builds torch_hvp.resnet18() (random BN statistics, eval mode), takes torch_hvp's seeded inputs
and direction, and computes the input-HVP of the summed cross-entropy with torch_hvp.hvp in
float32 and float64. The same weights (state_dict names), inputs and direction go to
jax_hvp.resnet18 / jax_hvp.hvp_fn (jitted, float32) in a second process: the JAX venv's NumPy 2
cannot load torch 1.13, so the two sides meet in .npy files. Passes when
max|HVP_jax − HVP_torch| / max|HVP_torch| < 1e-4 in float32; also prints both against float64.
"""
import os, subprocess, sys, tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
TOLERANCE = 1e-4


def jax_side(directory):
    """Runs in the JAX venv: reads weights, x, y, v; writes hvp_jax.npy."""
    import jax, jax.numpy as jnp
    import jax_hvp
    with np.load(os.path.join(directory, "weights.npz")) as f:
        p = {k: jnp.asarray(f[k]) for k in f.files}
    x, y, v = (jnp.asarray(np.load(os.path.join(directory, f"{n}.npy"))) for n in "xyv")
    h = jax.jit(jax_hvp.hvp_fn(jax_hvp.resnet18, p, y))(x, v)
    np.save(os.path.join(directory, "hvp_jax.npy"), np.asarray(h, dtype=np.float32))
    print(f"check_resnet18: jax {jax.__version__}, {h.dtype}", file=sys.stderr)


def rel(a, b):
    return float(np.abs(a - b).max() / np.abs(b).max())


def main():
    import argparse
    import torch
    import torch_hvp
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batch", type=int, default=4)
    a = ap.parse_args()
    venv = os.environ.get("JAX_VENV") or os.path.expanduser("~/.cache/curvature-jax")
    python = os.path.join(venv, "bin", "python")
    if not os.access(python, os.X_OK):
        sys.exit(f"check_resnet18: no python in JAX_VENV={venv}; set JAX_VENV to a venv with jax")

    net = torch_hvp.resnet18()
    x, y, v = torch_hvp.inputs("resnet18", a.batch)
    # At initialisation the logits are nearly equal (std ~0.06): the softmax is uniform and the HVP
    # tiny. Scale the head so the logits' std is 3 and the check weighs a non-trivial curvature.
    with torch.no_grad():
        net.linear.weight *= 3 / net(x).std()
    h32 = torch_hvp.hvp(net, x, y, v).numpy()
    h64 = torch_hvp.hvp(net.double(), x.double(), y, v.double()).numpy()
    net.float()
    with tempfile.TemporaryDirectory() as d:
        # Only what the JAX model reads: no num_batches_tracked.
        state = {k: t.numpy() for k, t in net.state_dict().items() if not k.endswith("num_batches_tracked")}
        np.savez(os.path.join(d, "weights.npz"), **state)
        for name, t in zip("xyv", (x, y, v)):
            np.save(os.path.join(d, f"{name}.npy"), t.numpy())
        subprocess.run([python, os.path.abspath(__file__), "--jax-side", d], check=True,
                       env=dict(os.environ, JAX_PLATFORMS="cpu", TF_CPP_MIN_LOG_LEVEL="2"))
        hj = np.load(os.path.join(d, "hvp_jax.npy"))
    if hj.shape != h32.shape:
        sys.exit(f"check_resnet18: shapes differ: jax {hj.shape}, torch {h32.shape}")
    r = rel(hj, h32)
    print(f"resnet18 input-HVP, B={a.batch}, max|HVP| {np.abs(h64).max():.4g}, torch {torch.__version__}")
    print(f"  HVP ≠ 0: ‖HVP‖/‖v‖ = {np.linalg.norm(h64) / np.linalg.norm(v.numpy()):.3g}")
    print(f"  jax f32 vs torch f32: max rel diff {r:.2e}  (max|a-b| / max|b|; tolerance {TOLERANCE:g})")
    print(f"  jax f32 vs torch f64: {rel(hj, h64):.2e}")
    print(f"  torch f32 vs torch f64: {rel(h32, h64):.2e}")
    if not r < TOLERANCE:
        sys.exit(f"check_resnet18: FAIL: {r:.2e} ≥ {TOLERANCE:g}")
    print("check_resnet18: OK")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--jax-side":
        jax_side(sys.argv[2])
    else:
        main()
