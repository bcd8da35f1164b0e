#!/usr/bin/python3
"""Train a tiny ViT or a Swish WideResNet on Fashion-MNIST in PyTorch and export it to ONNX.

    /usr/bin/python3 train_modern.py train --arch vit|wrn --out DIR [--train-samples 10000] [--epochs 2]
    /usr/bin/python3 train_modern.py logits DIR CURVATURE.npy [--samples 300] [--tolerance 1e-4]
    /usr/bin/python3 train_modern.py agree A.csv B.csv

`train` writes DIR/model.onnx (opset 17, so the ViT's LayerNorm is one LayerNormalization node;
input "input", output "logits", dynamic batch), DIR/model-f64.onnx (exported from model.double())
and DIR/model.pt (state_dict, arch and config: torch_input_hessian.py rebuilds the twin from it).
`logits` compares the logits `curvature eval --logits` wrote for the first test images with the
float32 PyTorch model's, prints the largest absolute difference and exits 1 above --tolerance.
`agree` compares two `curvature spectrum` CSVs of the same images (say of the float32 and the
float64 export): median λ₁ of each, unconverged rows, and the largest |Δλ|/|λ₁| over samples and ranks.

The models (1×28×28 inputs):
- vit: 7×7 patch-embedding conv (16 patches), class token, learned position embedding, two
  pre-norm blocks of hand-written 4-head attention (matmuls and Softmax, not nn.MultiheadAttention,
  which Curvature runs one sample at a time) and a GELU MLP, LayerNorm, linear head on the class token.
- wrn: RobustBench's pre-activation Swish WideResNet in miniature, WRN-10-2: the input normalised
  inside the model, a 3×3 stem, three groups of one pre-activation block (BN, SiLU, conv; widths
  32/64/128, stride 1/2/2), BN, SiLU, global average pool, linear.
"""
import argparse
import copy
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
# The ONNX parity fixtures' modules: the same attention and pre-activation block Curvature is tested on.
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "Tests", "ONNXTests", "Fixtures"))
from modern_models import PreActBlock, TinyViT  # noqa: E402
from torch_eval import load_data, predict  # noqa: E402
from train_resnet import FASHION_MNIST_DIR, fit  # noqa: E402


class ViT(TinyViT):
    def __init__(self, dim=32, heads=4, depth=2, patch=7, image=28, channels=1, classes=10):
        super().__init__(("hand",) * depth, dim, heads, patch, image, classes)
        # The fixture's ViT takes 3 channels and large random tokens (to exercise the importer);
        # here one channel and the usual ViT start: a zero class token, small position embeddings.
        self.patch = nn.Conv2d(channels, dim, patch, stride=patch)
        nn.init.zeros_(self.cls)
        nn.init.normal_(self.pos, std=0.02)


class WideResNet(nn.Module):
    """DMWideResNet (RobustBench) shape: normalisation inside, pre-activation blocks, Swish."""
    def __init__(self, depth=10, widen=2, channels=1, classes=10, mean=(0.2860,), std=(0.3530,)):
        super().__init__()
        n = (depth - 4) // 6
        widths = [16, 16 * widen, 32 * widen, 64 * widen]
        self.register_buffer("mean", torch.tensor(mean).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std).view(1, -1, 1, 1))
        self.stem = nn.Conv2d(channels, widths[0], 3, padding=1, bias=False)
        blocks = []
        for g in range(3):
            for i in range(n):
                cin = widths[g] if i == 0 else widths[g + 1]
                blocks.append(PreActBlock(cin, widths[g + 1], (1, 2, 2)[g] if i == 0 else 1, nn.SiLU(), nn.SiLU()))
        self.blocks = nn.Sequential(*blocks)
        self.bn, self.act, self.fc = nn.BatchNorm2d(widths[3]), nn.SiLU(), nn.Linear(widths[3], classes)

    def forward(self, x):
        x = self.act(self.bn(self.blocks(self.stem((x - self.mean) / self.std))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def build(arch, config):
    return {"vit": ViT, "wrn": WideResNet}[arch](**config)


def load_twin(directory, dtype=torch.float64):
    saved = torch.load(os.path.join(directory, "model.pt"))
    model = build(saved["arch"], saved["config"])
    model.load_state_dict(saved["state_dict"], strict=True)
    return model.to(dtype).eval(), saved


def export(model, arch, config, directory, info):
    os.makedirs(directory, exist_ok=True)
    model.eval()
    torch.save({"arch": arch, "config": config, "input_shape": [1, 28, 28], **info,
                "state_dict": model.state_dict()}, os.path.join(directory, "model.pt"))
    # model-f64.onnx: float64 weights, so a float64 comparison with PyTorch tests the importer alone.
    for name, net, dtype in (("model.onnx", model, torch.float32),
                             ("model-f64.onnx", copy.deepcopy(model).double(), torch.float64)):
        torch.onnx.export(net.eval(), torch.zeros(1, 1, 28, 28, dtype=dtype), os.path.join(directory, name),
                          opset_version=17, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})


def train(a):
    torch.manual_seed(a.seed)
    config = {}
    model = build(a.arch, config)
    images, labels = load_data(a.data, "train")
    pick = torch.randperm(len(labels), generator=torch.Generator().manual_seed(a.seed))[: a.train_samples]
    images, labels = images[pick], labels[pick]
    test_images, test_labels = load_data(a.data, "test")
    optimiser = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.01)
    batches = (len(labels) + a.batch_size - 1) // a.batch_size
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, a.lr, total_steps=a.epochs * batches)
    order = torch.Generator().manual_seed(a.seed + 1)
    train_seconds = fit(model, optimiser, images, labels, a.epochs, a.batch_size, order, scheduler=schedule)
    model.eval()
    hits = int((predict(model, test_images).argmax(1) == test_labels).sum())
    params = sum(q.numel() for q in model.parameters())
    print(f"{a.arch}: {params} parameters, clean test accuracy {hits / len(test_labels):.4f} "
          f"({hits}/{len(test_labels)}), training {train_seconds:.0f} s on {a.threads} thread(s)")
    export(model, a.arch, config, a.out, {"seed": a.seed, "epochs": a.epochs, "train_samples": a.train_samples,
                                          "test_accuracy": hits / len(test_labels)})
    print(f"wrote {a.out}/model.onnx, model-f64.onnx and model.pt")


def logits(a):
    model, _ = load_twin(a.model_dir, torch.float32)
    ours = np.load(a.curvature)[: a.samples]
    images, _ = load_data(a.data, "test")
    theirs = predict(model, images[: len(ours)]).numpy()
    diff = np.abs(ours.astype(np.float64) - theirs.astype(np.float64))
    same = int((ours.argmax(1) == theirs.argmax(1)).sum())
    print(f"{a.curvature}: {len(ours)} images, max |logit_curvature − logit_torch| = {diff.max():.3g} "
          f"(largest |logit| {np.abs(theirs).max():.3g}); same top class on {same}/{len(ours)}")
    sys.exit(0 if diff.max() <= a.tolerance else 1)


def agree(a):
    import csv
    runs = []
    for path in (a.first, a.second):
        with open(path) as f:
            rows = list(csv.DictReader(f))
        runs.append({(int(r["sample"]), int(r["rank"])): float(r["eigenvalue"]) for r in rows})
        top = sorted(float(r["eigenvalue"]) for r in rows if r["rank"] == "1")
        bad = sum(r.get("converged", "true") != "true" for r in rows)
        print(f"{path}: {len(top)} samples, median λ₁ {np.median(top):.6g}, unconverged rows {bad}")
    first, second = runs
    shared = sorted(set(first) & set(second))
    worst = max(abs(first[key] - second[key]) / abs(second[(key[0], 1)]) for key in shared)
    print(f"max |Δλ|/|λ₁| over {len(shared)} shared (sample, rank) pairs: {worst:.3g}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train")
    t.add_argument("--arch", choices=["vit", "wrn"], required=True)
    t.add_argument("--out", required=True)
    t.add_argument("--train-samples", type=int, default=10000, help="a seeded random subset of the training set")
    t.add_argument("--epochs", type=int, default=2)
    t.add_argument("--batch-size", type=int, default=128)
    t.add_argument("--lr", type=float, default=3e-3, help="peak of the one-cycle schedule")
    t.add_argument("--seed", type=int, default=0)
    l = sub.add_parser("logits")
    l.add_argument("model_dir")
    l.add_argument("curvature", help="the .npy of `curvature eval --logits` on the first test images")
    l.add_argument("--samples", type=int, default=300, help="compare the first N rows (test images)")
    l.add_argument("--tolerance", type=float, default=1e-4)
    g = sub.add_parser("agree")
    g.add_argument("first")
    g.add_argument("second")
    for q in (t, l, g):
        q.add_argument("--data", default=FASHION_MNIST_DIR)
        # One thread: for networks this small PyTorch's intra-op threads cost more than they save.
        q.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    {"train": train, "logits": logits, "agree": agree}[a.command](a)


if __name__ == "__main__":
    main()
