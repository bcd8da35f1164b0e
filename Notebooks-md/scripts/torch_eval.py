#!/usr/bin/python3
"""Evaluate a Curvature-saved model in PyTorch, to cross-check `curvature eval`.

    /usr/bin/python3 torch_eval.py MODEL.safetensors [--data fashion-mnist|mnist5k|DIR]
                     [--split test|train] [--pgd EPS] [--pgd-samples 1000] [--steps 20]

The safetensors file is parsed by hand (no `safetensors` package): an 8-byte little-endian
header length, a JSON header mapping tensor names to {dtype, shape, data_offsets}, then the
data. `__metadata__["architecture"]` holds Curvature's architecture JSON, from which the
equivalent `nn.Sequential` is built; the weights are loaded with `load_state_dict(strict=True)`.

Prints CSV `attack,epsilon,samples,correct,accuracy` (clean, and PGD-ℓ∞ when --pgd is given).
The clean row must match `curvature eval --attack none` exactly (same number of correct images);
the PGD row only statistically (the random starts differ).

Also the library of torch_train.py: the data loaders, the architecture builder and a
safetensors writer live here.
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SCRIPT_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.normpath(os.path.join(SCRIPT_DIR, "..", ".."))
FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"

# ---------------------------------------------------------------------------------------------
# Safetensors, by hand
# ---------------------------------------------------------------------------------------------

_DTYPES = {  # safetensors dtype -> (numpy dtype, element size)
    "F64": ("<f8", 8), "F32": ("<f4", 4), "F16": ("<f2", 2), "BF16": (None, 2),
    "I64": ("<i8", 8), "I32": ("<i4", 4), "I16": ("<i2", 2), "I8": ("i1", 1),
    "U8": ("u1", 1), "BOOL": ("?", 1),
}


def read_safetensors(path):
    """Returns ({name: torch.Tensor}, metadata dict). Checks the header against the file size."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: {len(blob)} bytes; a safetensors file starts with an 8-byte header length")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8:
        raise ValueError(f"{path}: header length {n} exceeds the {len(blob) - 8} bytes that follow")
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    data = memoryview(blob)[8 + n:]
    metadata = header.pop("__metadata__", {}) or {}
    tensors = {}
    for name, info in header.items():
        dtype, shape, (begin, end) = info["dtype"], list(info["shape"]), info["data_offsets"]
        if dtype not in _DTYPES:
            raise ValueError(f"{path}: tensor {name}: unsupported dtype {dtype}")
        np_dtype, size = _DTYPES[dtype]
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if not (0 <= begin <= end <= len(data)) or end - begin != count * size:
            raise ValueError(f"{path}: tensor {name}: data_offsets [{begin}, {end}] do not fit {dtype} {shape}")
        raw = bytes(data[begin:end])
        if dtype == "BF16":  # widen: bf16 is the top half of an f32
            halves = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            array = halves.view(np.float32)
        else:
            array = np.frombuffer(raw, dtype=np_dtype).copy()
        tensors[name] = torch.from_numpy(array.reshape(shape))
    return tensors, metadata


def write_safetensors(path, tensors, metadata=None):
    """Writes {name: tensor} (float32/float64/int64) with string metadata, header padded to 8 bytes."""
    codes = {torch.float32: ("F32", "<f4"), torch.float64: ("F64", "<f8"), torch.int64: ("I64", "<i8")}
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    for name, tensor in tensors.items():
        code, np_dtype = codes[tensor.dtype]
        raw = tensor.detach().cpu().contiguous().numpy().astype(np_dtype).tobytes()
        header[name] = {"dtype": code, "shape": list(tensor.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------
# Architecture JSON -> nn.Sequential
# ---------------------------------------------------------------------------------------------

class Residual(nn.Module):
    """Curvature's `residual` (torchvision BasicBlock naming: conv1, bn1, conv2, bn2, shortcut.0/1)."""

    def __init__(self, cin, cout, stride=1, activation=None):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))
                         if stride != 1 or cin != cout else None)
        self.act = activation or nn.ReLU()

    def forward(self, x):
        out = self.bn2(self.conv2(self.act(self.bn1(self.conv1(x)))))
        return self.act(out + (self.shortcut(x) if self.shortcut is not None else x))


def layer_from_spec(s):
    t = s["type"]
    if t == "linear":
        return nn.Linear(s["in"], s["out"], bias=s.get("bias", True))
    if t == "conv2d":
        return nn.Conv2d(s["in"], s["out"], s["kernel"], stride=s.get("stride") or 1,
                         padding=s.get("padding") or 0, bias=s.get("bias", True))
    if t == "maxpool2d":
        return nn.MaxPool2d(s["kernel"], stride=s.get("stride") or s["kernel"])
    if t == "avgpool2d":
        return nn.AvgPool2d(s["kernel"], stride=s.get("stride") or s["kernel"])
    if t == "flatten":
        return nn.Flatten()
    if t == "relu":
        return nn.ReLU()
    if t == "tanh":
        return nn.Tanh()
    if t == "sigmoid":
        return nn.Sigmoid()
    if t == "softplus":
        return nn.Softplus(beta=s.get("beta", 1.0), threshold=s.get("threshold", 20.0))
    if t == "elu":
        return nn.ELU(alpha=s.get("alpha", 1.0))
    if t == "gelu":
        return nn.GELU(approximate=s.get("approximate", "none"))
    if t in ("batchnorm1d", "batchnorm2d"):
        cls = nn.BatchNorm1d if t == "batchnorm1d" else nn.BatchNorm2d
        return cls(s["features"], eps=s.get("eps", 1e-5), momentum=s.get("momentum", 0.1))
    if t == "dropout":
        return nn.Dropout(p=s.get("p", 0.5))
    if t == "residual":
        act = (nn.Softplus(beta=s.get("beta", 1.0), threshold=s.get("threshold", 20.0))
               if s.get("activation") == "softplus" else nn.ReLU())
        return Residual(s["in"], s["out"], stride=s.get("stride") or 1, activation=act)
    raise ValueError(f"unknown layer type {t!r}")


def build_sequential(architecture):
    return nn.Sequential(*[layer_from_spec(s) for s in architecture["layers"]])


def _conv(i, o):
    return {"type": "conv2d", "in": i, "out": o, "kernel": 5, "stride": 1, "padding": 2, "bias": True}


def _linear(i, o):
    return {"type": "linear", "in": i, "out": o, "bias": True}


_POOL = {"type": "maxpool2d", "kernel": 2, "stride": 2}
# Curvature's built-in architectures (Sources/NN/BuiltinArchitectures.swift), same JSON.
BUILTIN = {
    "cnn-small": {"input": [1, 28, 28], "layers": [
        _conv(1, 16), {"type": "relu"}, _POOL, _conv(16, 32), {"type": "relu"}, _POOL,
        {"type": "flatten"}, _linear(1568, 100), {"type": "relu"}, _linear(100, 10)]},
    "cnn": {"input": [1, 28, 28], "layers": [
        _conv(1, 32), {"type": "relu"}, _POOL, _conv(32, 64), {"type": "relu"}, _POOL,
        {"type": "flatten"}, _linear(3136, 1024), {"type": "relu"}, _linear(1024, 10)]},
    "mlp": {"input": [1, 28, 28], "layers": [
        {"type": "flatten"}, _linear(784, 512), {"type": "softplus", "beta": 1, "threshold": 20},
        _linear(512, 512), {"type": "softplus", "beta": 1, "threshold": 20}, _linear(512, 10)]},
}


def builtin_architecture(name):
    if name.endswith("-softplus") and name[:-len("-softplus")] in BUILTIN:
        base = json.loads(json.dumps(BUILTIN[name[:-len("-softplus")]]))
        base["layers"] = [{"type": "softplus", "beta": 10, "threshold": 20} if l["type"] == "relu" else l
                          for l in base["layers"]]
        return base
    if name in BUILTIN:
        return json.loads(json.dumps(BUILTIN[name]))
    raise ValueError(f"unknown architecture {name!r}; built-ins: {', '.join(BUILTIN)} (+ -softplus)")


def load_model(path, arch=None, dtype=torch.float32):
    """An nn.Sequential with the weights of a safetensors file (strict), and its architecture."""
    tensors, metadata = read_safetensors(path)
    if arch is not None:
        architecture = (builtin_architecture(arch) if not os.path.exists(arch)
                        else json.load(open(arch)))
    elif "architecture" in metadata:
        architecture = json.loads(metadata["architecture"])
    else:
        raise ValueError(f"{path}: no architecture in __metadata__; pass --arch FILE.json or a built-in name")
    model = build_sequential(architecture)
    state = {k: (v.to(dtype) if v.is_floating_point() else v) for k, v in tensors.items()}
    model.load_state_dict(state, strict=True)
    return model.to(dtype).eval(), architecture


# ---------------------------------------------------------------------------------------------
# Data: pixel/255 in float32, exactly as Curvature's loaders
# ---------------------------------------------------------------------------------------------

def _open(path):
    return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")


def _find(directory, name):
    for candidate in (os.path.join(directory, name), os.path.join(directory, name + ".gz")):
        if os.path.exists(candidate):
            return candidate
    raise FileNotFoundError(f"no {name}[.gz] in {directory}")


def read_idx(path):
    with _open(path) as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    rank = raw[3]
    dims = struct.unpack(">" + "I" * rank, raw[4:4 + 4 * rank])
    body = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank)
    if body.size != int(np.prod(dims)):
        raise ValueError(f"{path}: dimensions {dims} need {int(np.prod(dims))} bytes, file holds {body.size}")
    return body.reshape(dims)


def locate_mnist5k():
    tried = []
    for directory in filter(None, [os.environ.get("CURVATURE_DATA"), "Data", os.path.join(REPO_ROOT, "Data")]):
        path = os.path.join(directory, "mnist_5k.csv.gz")
        tried.append(path)
        if os.path.exists(path):
            return path
    raise FileNotFoundError("mnist_5k.csv.gz not found; tried " + ", ".join(tried))


def load_data(name, split):
    """(images float32 N×1×28×28 in [0, 1], labels int64 N) of a split."""
    if name == "mnist5k":
        with gzip.open(locate_mnist5k(), "rt") as f:
            rows = np.loadtxt(f, delimiter=",", dtype=np.int64)
        index = np.arange(len(rows))
        rows = rows[(index % 5 == 4) if split == "test" else (index % 5 != 4)]
        pixels, labels = rows[:, :784].astype(np.uint8), rows[:, 784]
        pixels = pixels.reshape(-1, 28, 28)
    else:
        directory = FASHION_MNIST_DIR if name == "fashion-mnist" else name
        prefix = "t10k" if split == "test" else "train"
        pixels = read_idx(_find(directory, f"{prefix}-images-idx3-ubyte"))
        labels = read_idx(_find(directory, f"{prefix}-labels-idx1-ubyte")).astype(np.int64)
    images = pixels.astype(np.float32)[:, None, :, :] / np.float32(255)
    return torch.from_numpy(np.ascontiguousarray(images)), torch.from_numpy(np.ascontiguousarray(labels))


# ---------------------------------------------------------------------------------------------
# Evaluation and PGD
# ---------------------------------------------------------------------------------------------

def predict(model, images, batch_size=500):
    out = []
    with torch.no_grad():
        for i in range(0, len(images), batch_size):
            out.append(model(images[i:i + batch_size]))
    return torch.cat(out)


def project(x, center, epsilon):
    """Onto the ℓ∞ ball around center, then into [0, 1] (as Curvature's PGDAttack.project)."""
    return torch.min(torch.max(x, center - epsilon), center + epsilon).clamp(0, 1)


def input_gradient(model, x, y, create_graph=False):
    x = x.detach().requires_grad_(True)
    loss = F.cross_entropy(model(x), y, reduction="sum")
    return torch.autograd.grad(loss, x, create_graph=create_graph)[0]


def pgd_linf(model, x, y, epsilon, steps, alpha=None, random_start=True, generator=None):
    """Madry PGD in the ℓ∞ ball: random start U(−ε, ε), `steps` signed steps of α (default 2.5ε/steps)."""
    alpha = 2.5 * epsilon / max(steps, 1) if alpha is None else alpha
    adv = x.clone()
    if random_start and epsilon > 0:
        noise = torch.rand(x.shape, generator=generator, dtype=x.dtype) * (2 * epsilon) - epsilon
        adv = project(x + noise, x, epsilon)
    for _ in range(steps):
        adv = project(adv + alpha * input_gradient(model, adv, y).sign(), x, epsilon).detach()
    return adv


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model", help="a .safetensors file written by Curvature (or by torch_train.py --out)")
    p.add_argument("--arch", help="architecture JSON file or built-in name, when the file has no metadata")
    p.add_argument("--data", default="fashion-mnist", help="fashion-mnist, mnist5k, or a directory of IDX files")
    p.add_argument("--split", default="test", choices=["test", "train"])
    p.add_argument("--samples", type=int, help="evaluate only the first N images of the split")
    p.add_argument("--pgd", type=float, metavar="EPS", help="also PGD-ℓ∞ accuracy at this ε")
    p.add_argument("--steps", type=int, default=20, help="PGD steps (α = 2.5ε/steps)")
    p.add_argument("--pgd-samples", type=int, default=1000, help="PGD on the first N images")
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=500)
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    dtype = torch.float64 if a.dtype == "float64" else torch.float32
    model, _ = load_model(a.model, a.arch, dtype)
    images, labels = load_data(a.data, a.split)
    if a.samples:
        images, labels = images[:a.samples], labels[:a.samples]
    images = images.to(dtype)

    logits = predict(model, images, a.batch_size)
    correct = int((logits.argmax(1) == labels).sum())  # argmax: first maximum, as Curvature
    top2 = logits.topk(2, dim=1).values
    near_ties = int(((top2[:, 0] - top2[:, 1]) < 1e-4).sum())
    print("attack,epsilon,samples,correct,accuracy")
    print(f"none,0,{len(labels)},{correct},{correct / len(labels):.4f}", flush=True)
    print(f"# {a.model}: {sum(p.numel() for p in model.parameters())} parameters, {a.dtype}; "
          f"{near_ties} image(s) with top-2 logit margin < 1e-4", file=sys.stderr)

    if a.pgd is not None:
        n = min(a.pgd_samples, len(labels))
        generator = torch.Generator().manual_seed(a.seed)
        start, hits = time.perf_counter(), 0
        for i in range(0, n, a.batch_size):
            x, y = images[i:min(i + a.batch_size, n)], labels[i:min(i + a.batch_size, n)]
            adv = pgd_linf(model, x, y, a.pgd, a.steps, generator=generator)
            hits += int((predict(model, adv).argmax(1) == y).sum())
        print(f"pgd-linf,{a.pgd},{n},{hits},{hits / n:.4f}")
        print(f"# PGD-{a.steps} took {time.perf_counter() - start:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    try:
        main()
    except (ValueError, OSError, RuntimeError, KeyError, json.JSONDecodeError) as error:
        sys.exit(f"torch_eval.py: {type(error).__name__}: {error}")
