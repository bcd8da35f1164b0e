#!/usr/bin/python3
"""Train a small CIFAR-style ResNet on Fashion-MNIST in PyTorch and export it to ONNX for Curvature.

    /usr/bin/python3 train_resnet.py --mode normal|pgd --out DIR [--data DIR] [--train-samples 10000]
                     [--epochs 3] [--seed 0] [--threads 1]
    /usr/bin/python3 train_resnet.py --export-only --input-shape 3,32,32 --out DIR   # untrained twin

Writes DIR/model.onnx (opset 13, input "input", output "logits", dynamic batch), DIR/model-f64.onnx
(the same exported from model.double()) and DIR/model.pt
(the state_dict and the constructor's arguments, which torch_input_hessian.py needs to rebuild the
PyTorch twin). Prints the clean test accuracy and the wall time.

The network: 3×3 stem conv + BN + ReLU (no max-pool), three stages of two BasicBlocks at widths
8/16/32 (stride 2 and a 1×1 projection shortcut at the start of stages 2 and 3), global average
pool, Linear. Data: Fashion-MNIST IDX files (gzip or not), pixel/255 in [0, 1] like Curvature.
"""
import argparse
import copy
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# torch_eval.py and torch_resnet.py (one folder up) are the scripts' shared library: IDX reading,
# PGD and the network.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from torch_eval import load_data, pgd_linf, predict  # noqa: E402
from torch_resnet import SmallResNet as ResNet  # noqa: E402

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"


def load_twin(directory, dtype=torch.float64):
    """The PyTorch model saved next to DIR/model.onnx, in eval mode (BN uses running statistics)."""
    saved = torch.load(os.path.join(directory, "model.pt"))
    model = ResNet(**saved["config"])
    model.load_state_dict(saved["state_dict"], strict=True)
    return model.to(dtype).eval(), saved


def export(model, config, input_shape, directory, info):
    os.makedirs(directory, exist_ok=True)
    model.eval()
    torch.save({"config": config, "input_shape": list(input_shape), **info,
                "state_dict": model.state_dict()}, os.path.join(directory, "model.pt"))
    # The exporter folds each BatchNorm into the Conv before it (eval mode): Curvature sees Conv+Relu.
    # model.onnx is the file a user exports (float32 weights). model-f64.onnx is the same network
    # exported from model.double(), BN folded in float64: with it a float64 comparison with PyTorch
    # tests the importer alone, not the rounding of the folded weights to float32.
    for name, net, dtype in (("model.onnx", model, torch.float32),
                             ("model-f64.onnx", copy.deepcopy(model).double(), torch.float64)):
        example = torch.zeros(1, *input_shape, dtype=dtype)
        torch.onnx.export(net.eval(), example, os.path.join(directory, name), opset_version=13,
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})


def fit(model, optimiser, images, labels, epochs, batch_size, order, adversary=None, scheduler=None):
    """Minibatch training in train mode, batches drawn by the generator `order`; adversary(x, y)
    replaces each batch (adversarial training), scheduler steps once a batch. Prints each epoch's
    loss, accuracy and time; returns the seconds taken."""
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        epoch_start, total, correct, seen = time.perf_counter(), 0.0, 0, 0
        for batch in torch.randperm(len(labels), generator=order).split(batch_size):
            x, y = images[batch], labels[batch]
            if adversary is not None:
                x = adversary(x, y)
            model.train()
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            if scheduler is not None:
                scheduler.step()
            total += loss.item() * len(y)
            correct += int((logits.argmax(1) == y).sum())
            seen += len(y)
        print(f"epoch {epoch}: loss {total / seen:.4f}, train accuracy {correct / seen:.4f}, "
              f"{time.perf_counter() - epoch_start:.1f} s", flush=True)
    return time.perf_counter() - start


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mode", choices=["normal", "pgd"], default="normal")
    p.add_argument("--out", required=True, help="folder for model.onnx and model.pt")
    p.add_argument("--data", default=FASHION_MNIST_DIR, help="folder with the Fashion-MNIST IDX files (.gz or not)")
    p.add_argument("--train-samples", type=int, default=10000, help="a seeded random subset of the training set")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--epsilon", type=float, default=0.1, help="PGD ℓ∞ radius")
    p.add_argument("--pgd-steps", type=int, default=7, help="PGD steps of 2.5ε/steps")
    p.add_argument("--seed", type=int, default=0)
    # One thread: for a network this small PyTorch's intra-op threads cost more than they save
    # (several times slower per batch with 2 on the project's shared 2-core machine).
    p.add_argument("--activation", choices=["relu", "silu"], default="relu",
                   help="silu (Swish) makes the network smooth: its boundary has exact principal curvatures")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--export-only", action="store_true", help="export the untrained (seeded) network, no data read")
    p.add_argument("--input-shape", default="1,28,28", help="C,H,W of the exported input")
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    shape = tuple(int(s) for s in a.input_shape.split(","))
    config = {"in_channels": shape[0], "widths": (8, 16, 32), "classes": 10, "activation": a.activation}
    model = ResNet(**config)
    if a.export_only:
        export(model, config, shape, a.out, {"mode": "untrained", "seed": a.seed})
        print(f"exported the untrained {a.input_shape} network to {a.out}/model.onnx "
              f"({sum(q.numel() for q in model.parameters())} parameters)")
        return
    if shape != (1, 28, 28):
        sys.exit("train_resnet.py: training reads Fashion-MNIST (1,28,28); other shapes only with --export-only")

    images, labels = load_data(a.data, "train")
    pick = torch.randperm(len(labels), generator=torch.Generator().manual_seed(a.seed))[: a.train_samples]
    images, labels = images[pick], labels[pick]
    test_images, test_labels = load_data(a.data, "test")
    optimiser = torch.optim.Adam(model.parameters(), lr=a.lr)
    order = torch.Generator().manual_seed(a.seed + 1)
    attack = torch.Generator().manual_seed(a.seed + 2)

    def adversary(x, y):
        # Attack with the BN running statistics (eval mode) so the 7 attack passes do not move
        # them; fit trains on the adversarial batch in train mode.
        model.eval()
        return pgd_linf(model, x, y, a.epsilon, a.pgd_steps, generator=attack)

    train_seconds = fit(model, optimiser, images, labels, a.epochs, a.batch_size, order,
                        adversary=adversary if a.mode == "pgd" else None)
    model.eval()
    hits = int((predict(model, test_images).argmax(1) == test_labels).sum())
    print(f"mode {a.mode}: clean test accuracy {hits / len(test_labels):.4f} ({hits}/{len(test_labels)}), "
          f"training {train_seconds:.0f} s on {a.threads} threads")
    export(model, config, shape, a.out, {"mode": a.mode, "seed": a.seed, "epochs": a.epochs,
                                         "train_samples": a.train_samples, "test_accuracy": hits / len(test_labels)})
    print(f"wrote {a.out}/model.onnx, model-f64.onnx and model.pt")


if __name__ == "__main__":
    main()
