#!/usr/bin/python3
"""Check `curvature spectrum` on an ONNX model against PyTorch's dense input Hessian of its twin.

    /usr/bin/python3 torch_input_hessian.py DIR spectrum.csv [more.csv …] [--data DIR] [--split test]
                     [--tolerance 1e-6] [--max-samples 5]

DIR holds model.onnx and model.pt as train_resnet.py or train_modern.py writes them. The PyTorch twin is rebuilt from
model.pt in float64 (eval mode). For every sample of the spectrum CSV (`sample,label,predicted,
rank,eigenvalue,…`, as `curvature spectrum --model DIR/model.onnx` writes it) the dense 784×784
input Hessian of the cross-entropy comes from torch.autograd.functional.hessian, its eigenvalues
from numpy.linalg.eigvalsh, and each listed eigenvalue is compared at its rank. Prints, per
sample and CSV, λ₁ of both and the largest |Δλ|/|λ₁|; exits 1 if the largest over all samples exceeds
--tolerance (or a label or prediction differs). Several CSVs of the same model (say of model.onnx
and model-f64.onnx, or of two solvers) share each sample's Hessian.

--weights-from FILE.onnx rebuilds the twin with the Conv and Gemm weights stored in that file
instead: the exporter folds each BatchNorm into its Conv and rounds the result to the file's
dtype, so a float32 model.onnx is a slightly different function from the float64 PyTorch model
(about 1e-6 relative in λ); with its own weights the twin is the function Curvature evaluates.

--epsilons-from FILE.onnx rounds the ε of every LayerNorm, and of each BatchNorm the file keeps as
a node, to float32: the exporter writes ε as a float attribute even in a float64 export, which
moves λ by about 1e-12 to 1e-10 relative.
"""
import argparse
import csv
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
from torch_eval import load_data  # noqa: E402
import train_modern  # noqa: E402
import train_resnet  # noqa: E402
from train_resnet import FASHION_MNIST_DIR  # noqa: E402


def load_twin(directory, dtype=torch.float64):
    """The twin of train_resnet.py's ResNet or of train_modern.py's ViT/WideResNet (its model.pt names the arch)."""
    saved = torch.load(os.path.join(directory, "model.pt"))
    return (train_modern if "arch" in saved else train_resnet).load_twin(directory, dtype)


def _fields(buf):
    """(field number, wire type, value) of a protobuf message; enough to read ONNX initializers."""
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 2:
            n, i = _varint(buf, i)
            value, i = buf[i:i + n], i + n
        elif wire == 5:
            value, i = buf[i:i + 4], i + 4
        elif wire == 1:
            value, i = buf[i:i + 8], i + 8
        else:
            raise ValueError(f"protobuf wire type {wire} not expected in an ONNX file")
        yield field, wire, value


def _varint(buf, i):
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return result, i


def onnx_weights(path):
    """{module name: (weight, bias)} of the Conv and Gemm nodes of a PyTorch-exported ONNX file.

    Parsed by hand (ModelProto.graph = 7; GraphProto.node = 1, .initializer = 5; NodeProto.input
    = 1, .output = 2, .op_type = 4; TensorProto.dims = 1, .data_type = 2, .name = 8, .raw_data =
    9), because Debian's PyTorch has no `onnx` package beside it. The module is named by the
    exporter's node output ("/layers/layers.2/shortcut/shortcut.0/Conv_output_0").
    """
    with open(path, "rb") as f:
        model = f.read()
    graph = next(v for k, w, v in _fields(model) if k == 7)
    tensors, nodes, aliases = {}, [], {}
    for k, w, v in _fields(graph):
        if k == 5:
            dims, dtype, name, raw = [], None, None, None
            for tk, tw, tv in _fields(v):
                if tk == 1:
                    dims += [tv] if tw == 0 else [x for _, _, x in _fields_packed(tv)]
                elif tk == 2:
                    dtype = tv
                elif tk == 8:
                    name = tv.decode()
                elif tk == 9:
                    raw = tv
            np_dtype = {1: "<f4", 11: "<f8"}[dtype]  # FLOAT, DOUBLE
            tensors[name] = torch.from_numpy(np.frombuffer(raw, dtype=np_dtype).reshape(dims).astype(np.float64))
        elif k == 1:
            fields = list(_fields(v))
            op = next(x.decode() for fk, _, x in fields if fk == 4)
            if op in ("Conv", "Gemm", "Identity"):
                inputs = [x.decode() for fk, _, x in fields if fk == 1]
                output = next(x.decode() for fk, _, x in fields if fk == 2)
                if op == "Identity":
                    # The exporter stores equal initializers once (an untrained network's folded
                    # BatchNorms are all alike) and names the copies through Identity nodes.
                    aliases[output] = inputs[0]
                else:
                    nodes.append((output, inputs))
    weights = {}
    for output, inputs in nodes:
        if "/" not in output:  # the graph's output ("logits"): its Gemm keeps PyTorch's names
            module = inputs[1].rsplit(".", 1)[0]
        else:
            module = _module_of(output)
        weights[module] = tuple(tensors[aliases.get(name, name)] for name in inputs[1:3])
    return weights


def _module_of(node_path):
    """PyTorch's module name of an exporter's node path: "/layers/layers.2/shortcut/shortcut.0/Conv_output_0"
    → "layers.2.shortcut.0"."""
    parts = node_path.strip("/").split("/")[:-1]
    return ".".join(p.split(".")[-1] if i and p.startswith(parts[i - 1] + ".") else p for i, p in enumerate(parts))


def onnx_batchnorms(path):
    """Module names of the BatchNormalization nodes left in a file (those the exporter did not fold)."""
    with open(path, "rb") as f:
        graph = next(v for k, w, v in _fields(f.read()) if k == 7)
    names = []
    for k, w, v in _fields(graph):
        if k == 1:
            fields = list(_fields(v))
            if next(x.decode() for fk, _, x in fields if fk == 4) == "BatchNormalization":
                names.append(_module_of(next(x.decode() for fk, _, x in fields if fk == 3)))  # NodeProto.name = 3
    return names


def with_file_epsilons(model, path):
    """ε of each LayerNorm and of each BatchNorm left in the file rounded to float32, as the exporter
    writes it (an attribute of type float, even in a float64 export): 1e-5 → 9.99999975e-06."""
    kept = set(onnx_batchnorms(path))
    for name, module in model.named_modules():
        if isinstance(module, nn.LayerNorm) or (isinstance(module, nn.BatchNorm2d) and name in kept):
            module.eps = float(np.float32(module.eps))
    return model


def _fields_packed(buf):
    i = 0
    while i < len(buf):
        value, i = _varint(buf, i)
        yield 0, 0, value


def with_weights(model, weights):
    """The twin with each Conv (BN folded away) and the Linear set to the file's weights."""
    for name, (weight, bias) in weights.items():
        module = model.get_submodule(name)
        with torch.no_grad():
            module.weight.copy_(weight)
            if isinstance(module, nn.Conv2d):
                module.bias = nn.Parameter(bias.clone())
            else:
                module.bias.copy_(bias)
    for name, module in list(model.named_modules()):
        if isinstance(module, nn.BatchNorm2d):
            parent, _, child = name.rpartition(".")
            setattr(model.get_submodule(parent) if parent else model, child, nn.Identity())
    return model


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model_dir", help="folder with model.pt (and the model.onnx Curvature read)")
    p.add_argument("spectra", nargs="+", help="CSVs written by curvature spectrum for DIR/model.onnx or DIR/model-f64.onnx")
    p.add_argument("--data", default=FASHION_MNIST_DIR)
    p.add_argument("--split", default="test", choices=["test", "train"])
    p.add_argument("--tolerance", type=float, default=1e-6, help="largest allowed |Δλ|/|λ₁|")
    p.add_argument("--max-samples", type=int, default=5)
    p.add_argument("--weights-from", metavar="FILE.onnx", help="take the Conv/Gemm weights from this export (BN folded)")
    p.add_argument("--epsilons-from", metavar="FILE.onnx",
                   help="LayerNorm's and unfolded BatchNorm's ε as this file stores them: float32 (1e-5 → 9.99999975e-06)")
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    model, _ = load_twin(a.model_dir, torch.float64)
    if a.weights_from:
        weights = onnx_weights(a.weights_from)
        convs = [n for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
        if sorted(weights) != sorted(convs):
            sys.exit(f"torch_input_hessian.py: {a.weights_from} names {sorted(weights)}, the twin has {sorted(convs)}")
        model = with_weights(model, weights).eval()
    if a.epsilons_from:
        model = with_file_epsilons(model, a.epsilons_from)
    images, labels = load_data(a.data, a.split)
    rows = {}  # csv -> sample -> rows
    for path in a.spectra:
        with open(path) as f:
            for r in csv.DictReader(f):
                rows.setdefault(path, {}).setdefault(int(r["sample"]), []).append(r)
    samples = sorted({s for per in rows.values() for s in per})[: a.max_samples]
    worst, compared, mismatched = {path: 0.0 for path in a.spectra}, 0, 0
    print("csv,sample,label,predicted,lambda1_curvature,lambda1_torch,max_rel_diff")
    for sample in samples:
        # Float32 pixels widened to float64: the same inputs Curvature's --dtype float64 sees.
        x = images[sample : sample + 1].to(torch.float64)
        y = labels[sample : sample + 1]
        with torch.no_grad():
            predicted = int(model(x).argmax(1))
        loss = lambda v: F.cross_entropy(model(v.reshape(x.shape)), y, reduction="sum")
        h = torch.autograd.functional.hessian(loss, x.reshape(-1), vectorize=True).numpy()
        values = np.linalg.eigvalsh((h + h.T) / 2)[::-1]  # descending: rank 1 first
        top = abs(values[0]) if values[0] != 0 else 1.0
        for path in a.spectra:
            ours = rows.get(path, {}).get(sample)
            if not ours:
                continue
            if int(ours[0]["label"]) != int(y) or int(ours[0]["predicted"]) != predicted:
                mismatched += 1
            here = max(abs(float(r["eigenvalue"]) - values[int(r["rank"]) - 1]) / top for r in ours)
            worst[path] = max(worst[path], here)
            compared += len(ours)
            print(f"{os.path.basename(path)},{sample},{int(y)},{predicted},{float(ours[0]['eigenvalue']):.10g},"
                  f"{values[0]:.10g},{here:.2e}", flush=True)
    for path in a.spectra:
        print(f"# {os.path.basename(path)}: max |λ_curvature − λ_torch| / |λ₁| = {worst[path]:.3e} over {len(samples)} samples")
    print(f"# compared {compared} eigenvalues; tolerance {a.tolerance:g}; label/prediction mismatches: {mismatched}")
    sys.exit(0 if max(worst.values()) <= a.tolerance and mismatched == 0 else 1)


if __name__ == "__main__":
    main()
