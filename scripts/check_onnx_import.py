#!/usr/bin/env python3
"""Checks that Curvature reads an ONNX classifier as its source computes it, on a few images.

    scripts/check_onnx_import.py MODEL.onnx IMAGES.npy [LABELS.npy] [--samples 2] [--k 3]
                                 [--torch FILE.py:EXPR] [--curvature PATH]

1. Logits: `curvature eval --logits` (Float32) against onnxruntime's on the same float32 images,
   max |Δ| / max |onnxruntime| within --logit-tol (1e-4).
2. The top --k eigenvalues of each image's input Hessian of the cross-entropy at its label:
   `curvature spectrum --dtype float64` against a reference, per image max |Δλ| / max |λ| within
   --eig-tol beyond the reference's own residual bounds. The reference is Lanczos (full
   reorthogonalisation, until its residuals are within half the tolerance or --steps) on
   Hessian-vector products of
   - PyTorch float64 double backprop, with --torch FILE.py:EXPR, EXPR an expression evaluated in
     FILE's namespace that gives the nn.Module the file was exported from (weights loaded;
     default tolerance 1e-6); or else
   - finite differences of the file itself widened to float64 (onnxruntime where it has the
     float64 kernels, onnx's reference evaluator otherwise): central second differences of the
     loss, 4·d evaluations per product (default tolerance 1e-5; they resolve about 1e-7). Smooth
     networks only: across a ReLU's kink finite differences see curvature the exact Hessian does
     not have. With onnx.reference a product takes ~2 s for a 3×16×16 tiny ViT and ~9 s for a small
     wide ResNet (Conv is slow there); clustered eigenvalues need more steps.
Labels default to onnxruntime's predictions. A trailing Softmax/LogSoftmax is dropped, as Curvature
does. The last line printed is the verdict, `check_onnx_import: PASS|FAIL — …`; the exit status
is 0 on PASS, 1 on FAIL, 2 when something could not run.

Needs numpy, onnx and onnxruntime (the venv of Tests/ONNXTests/Fixtures/README.md) and a built
`curvature` (--curvature, else $CURVATURE, .build/release/curvature, .build/debug/curvature or
`curvature` on PATH).
"""
import argparse, copy, os, shutil, subprocess, sys, tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_reference_fixes import REFERENCE_FIXES  # noqa: E402

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def die(message):
    print(f"check_onnx_import: cannot run — {message}")
    sys.exit(2)


def curvature_binary(given):
    for candidate in [given, os.environ.get("CURVATURE"), os.path.join(REPOSITORY, ".build/release/curvature"),
                      os.path.join(REPOSITORY, ".build/debug/curvature"), shutil.which("curvature")]:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    die("no curvature binary; build it (swift build -c release --product curvature) or pass --curvature")


def run_curvature(binary, arguments):
    done = subprocess.run([binary] + arguments, capture_output=True, text=True)
    if done.returncode != 0:
        die(f"curvature {arguments[0]} failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}")


def logits_model(model):
    """The graph up to its logits: a trailing Softmax/LogSoftmax is skipped, as Curvature does."""
    graph = model.graph
    out = graph.output[0].name
    last = next((n for n in graph.node if out in n.output), None)
    if last is not None and last.op_type in ("Softmax", "LogSoftmax") and not any(out in n.input for n in graph.node):
        m = copy.deepcopy(model)
        m.graph.node.remove(next(n for n in m.graph.node if out in n.output))
        elem = m.graph.output[0].type.tensor_type.elem_type
        del m.graph.output[:]
        m.graph.output.append(onnx.helper.make_tensor_value_info(last.input[0], elem, None))
        return m
    return model


def widened(model):
    """The same graph computing in float64: float initializers, constants, casts and the input and
    output widened (float32 values are exact in float64, so it is the same function)."""
    m = copy.deepcopy(model)
    floats = (TensorProto.FLOAT, TensorProto.FLOAT16)

    def widen(tensor):
        if tensor.data_type in floats:
            tensor.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(tensor).astype(np.float64), tensor.name))

    for t in m.graph.initializer:
        widen(t)
    for node in m.graph.node:
        for a in node.attribute:
            if a.type == onnx.AttributeProto.TENSOR:
                widen(a.t)
            elif node.op_type == "Constant" and a.name in ("value_float", "value_floats"):
                values = np.array([a.f] if a.name == "value_float" else list(a.floats), dtype=np.float64)
                a.CopyFrom(onnx.helper.make_attribute("value", numpy_helper.from_array(
                    values.reshape(()) if a.name == "value_float" else values)))
            elif node.op_type == "Cast" and a.name == "to" and a.i in floats:
                a.i = TensorProto.DOUBLE
    for value in list(m.graph.input) + list(m.graph.output):
        if value.type.tensor_type.elem_type in floats:
            value.type.tensor_type.elem_type = TensorProto.DOUBLE
    del m.graph.value_info[:]
    return m


def session(model):
    options = ort.SessionOptions()
    options.log_severity_level = 4
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


class Float64Function:
    """Logits of the float64 graph for a batch: onnxruntime if it runs the graph, else onnx.reference."""

    def __init__(self, model, name):
        self.name = name
        try:
            self.ort = session(model)
            self.ort.run(None, {name: np.zeros([1] + input_shape(model), dtype=np.float64)})
            self.how = "onnxruntime float64"
        except Exception:
            from onnx.reference import ReferenceEvaluator
            self.ort, self.reference = None, ReferenceEvaluator(model, new_ops=REFERENCE_FIXES)
            self.how = "onnx.reference float64"

    def __call__(self, x):
        if self.ort is not None:
            return self.ort.run(None, {self.name: x})[0]
        return self.reference.run(None, {self.name: x})[0]


def input_shape(model):
    return [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim[1:]]


def cross_entropy(logits, label):
    z = logits - logits.max(axis=-1, keepdims=True)
    return np.log(np.exp(z).sum(axis=-1)) - z[..., label]


def finite_difference_hvp(function, x, label, chunk=4096, step=1e-4):
    """H·v of ℓ(x) = cross_entropy(f(x), label) by central differences in float64:
    (H·v)ⱼ ≈ [ℓ(x+hv+heⱼ) − ℓ(x+hv−heⱼ) − ℓ(x−hv+heⱼ) + ℓ(x−hv−heⱼ)] / 4h², 4d evaluations per
    product (v of unit length); h = 1e-4 balances rounding (≈ 10⁻¹⁶/h²) and truncation (≈ h²)."""
    d = x.size
    eye = np.eye(d).reshape((d,) + x.shape) * step

    def loss(points):
        return np.concatenate([cross_entropy(function(points[i:i + chunk]), label) for i in range(0, len(points), chunk)])

    def hvp(v):
        norm = np.linalg.norm(v)
        up, down = x + step * v.reshape(x.shape) / norm, x - step * v.reshape(x.shape) / norm
        values = loss(np.concatenate([up + eye, up - eye, down + eye, down - eye])).reshape(4, d)
        return (values[0] - values[1] - values[2] + values[3]) / (4 * step ** 2) * norm
    return hvp


def lanczos_top(hvp, d, k, max_steps, tolerance, seed):
    """The k largest Ritz values of Lanczos with full reorthogonalisation, and their residual
    bounds β·|last component of the Ritz vector|: an eigenvalue lies within each bound of its
    value. Runs until every bound is at most `tolerance` × the largest |value| (or max_steps)."""
    rng = np.random.default_rng(seed)
    q = rng.standard_normal(d)
    basis = [q / np.linalg.norm(q)]
    alphas, betas = [], []
    for j in range(min(max_steps, d)):
        w = hvp(basis[j])
        alphas.append(float(basis[j] @ w))
        for b in basis:  # twice is enough (Kahan–Parlett)
            w -= (b @ w) * b
        for b in basis:
            w -= (b @ w) * b
        beta = float(np.linalg.norm(w))
        m = len(alphas)
        t = np.diag(alphas) + np.diag(betas[:m - 1], 1) + np.diag(betas[:m - 1], -1)
        values, vectors = np.linalg.eigh(t)
        top = np.argsort(values)[::-1][:k]
        residuals = [beta * abs(vectors[-1, i]) for i in top]
        scale = max(abs(values).max(), 1e-300)
        if (m >= k and max(residuals) <= tolerance * scale) or beta < 1e-12 * scale or m == min(max_steps, d):
            return [float(values[i]) for i in top], residuals, m
        betas.append(beta)
        basis.append(w / beta)


def torch_hvp_factory(spec):
    """HVPs of PyTorch float64 double backprop for the module that FILE.py:EXPR names."""
    path, _, expression = spec.partition(":")
    if not expression:
        die("--torch takes FILE.py:EXPR")
    # Debian's torch 1.13 is built against NumPy 1.x: hide NumPy while it loads (values cross as lists).
    import warnings
    warnings.filterwarnings("ignore", message="Failed to initialize NumPy")
    saved = sys.modules.pop("numpy")
    sys.modules["numpy"] = None
    import torch
    torch.empty(1)
    sys.modules["numpy"] = saved
    namespace = {"__file__": path, "__name__": "check_onnx_import_module"}
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    with open(path) as f:
        exec(compile(f.read(), path, "exec"), namespace)
    module = eval(expression, namespace).double().eval()

    def factory(x, label):
        point = torch.tensor(x.tolist(), dtype=torch.float64).unsqueeze(0).requires_grad_(True)
        loss = torch.nn.functional.cross_entropy(module(point), torch.tensor([label]), reduction="sum")
        gradient, = torch.autograd.grad(loss, point, create_graph=True)

        def hvp(v):
            direction = torch.tensor(v.reshape(x.shape).tolist(), dtype=torch.float64).unsqueeze(0)
            product, = torch.autograd.grad((gradient * direction).sum(), point, retain_graph=True)
            return np.array(product.reshape(-1).tolist())
        return hvp
    return factory


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("images")
    parser.add_argument("labels", nargs="?")
    parser.add_argument("--samples", type=int, default=2, help="images checked, from the first (default 2)")
    parser.add_argument("--k", type=int, default=3, help="top eigenvalues compared per image (default 3)")
    parser.add_argument("--steps", type=int, default=100, help="most Lanczos steps of the reference (default 100; it stops when converged)")
    parser.add_argument("--torch", help="FILE.py:EXPR giving the PyTorch module the file was exported from")
    parser.add_argument("--logit-tol", type=float, default=1e-4)
    parser.add_argument("--eig-tol", type=float, help="default 1e-6 with --torch, 1e-5 with finite differences")
    parser.add_argument("--curvature", help="the curvature binary")
    args = parser.parse_args()
    binary = curvature_binary(args.curvature)

    model = logits_model(onnx.load(args.model))
    name = model.graph.input[0].name
    shape = input_shape(model)
    images = np.load(args.images)
    if images.dtype == np.uint8:
        images = images.astype(np.float64) / 255
    if list(images.shape[1:]) != shape:
        die(f"{args.images} holds images {list(images.shape[1:])}; the model takes {shape} (give (N, C, H, W) floats in [0, 1])")
    images = images[:args.samples].astype(np.float32)
    n = len(images)
    reference32 = session(model).run(None, {name: images})[0] if model.graph.input[0].type.tensor_type.elem_type == TensorProto.FLOAT \
        else Float64Function(model, name)(images.astype(np.float64))
    labels = np.load(args.labels)[:n].astype(np.int64) if args.labels else reference32.argmax(axis=1)

    with tempfile.TemporaryDirectory() as folder:
        images_path, labels_path = os.path.join(folder, "images.npy"), os.path.join(folder, "labels.npy")
        np.save(images_path, images)
        np.save(labels_path, labels)
        data = ["--data", images_path, "--labels", labels_path]
        logits_path = os.path.join(folder, "logits.npy")
        run_curvature(binary, ["eval", "--model", args.model] + data + ["--logits", logits_path, "--out", os.path.join(folder, "e.csv")])
        logits = np.load(logits_path)
        spectrum_path = os.path.join(folder, "s.csv")
        run_curvature(binary, ["spectrum", "--model", args.model] + data + ["--dtype", "float64", "--k", str(args.k), "--out", spectrum_path])
        rows = [line.split(",") for line in open(spectrum_path).read().splitlines()[1:]]
    ours = {}
    for row in rows:
        ours.setdefault(int(row[0]), {})[int(row[3])] = float(row[4])

    logit_error = float(np.abs(logits - reference32).max() / max(np.abs(reference32).max(), 1e-300))
    if args.torch:
        factory, how, tolerance = torch_hvp_factory(args.torch), "PyTorch float64", args.eig_tol or 1e-6
    else:
        function = Float64Function(widened(model), name)
        factory = lambda x, label: finite_difference_hvp(function, x.astype(np.float64), int(label))
        how, tolerance = f"finite differences of {function.how}", args.eig_tol or 1e-5
    eigen_error = 0.0
    for i in range(n):
        theirs, residuals, steps = lanczos_top(factory(images[i].astype(np.float64), int(labels[i])), images[i].size, args.k,
                                               args.steps, tolerance / 2, seed=i)
        mine = [ours[i][rank] for rank in range(1, args.k + 1)]
        scale = max(max(abs(v) for v in theirs), 1e-300)
        # What the reference has not resolved (its residual bounds) is not counted as a difference.
        error = max(max(abs(a - b) - r, 0) for a, b, r in zip(mine, theirs, residuals)) / scale
        print(f"image {i}: label {labels[i]}, top {args.k} eigenvalues curvature {['%.6g' % v for v in mine]}, "
              f"{how} {['%.6g' % v for v in theirs]} (± {max(residuals) / scale:.0e} relative after {steps} Lanczos steps), "
              f"relative difference beyond that {error:.2e}")
        eigen_error = max(eigen_error, error)
    passed = logit_error <= args.logit_tol and eigen_error <= tolerance
    print(f"check_onnx_import: {'PASS' if passed else 'FAIL'} — logits within {logit_error:.1e} of onnxruntime "
          f"(tolerance {args.logit_tol:.0e}); top-{args.k} input-Hessian eigenvalues within {eigen_error:.1e} of {how} "
          f"(tolerance {tolerance:.0e}) on {n} image{'s' if n != 1 else ''}")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
