#!/usr/bin/python3
"""CIFAR-shaped inputs for Curvature's ResNet-18 scale runs, with PyTorch's own numbers beside them.

Writes into OUT (default out/resnet18-scale):
  resnet18.safetensors  the state_dict of PyTorch's CIFAR ResNet-18 (the module in
                        Notebooks-md/scripts/torch_resnet.py), seeded, BatchNorm statistics
                        and affine parameters randomised so that they matter, in PyTorch's own
                        names — Curvature reads it with `--arch resnet18`, unchanged
  {train,test}_images.npy, {train,test}_labels.npy
                        N random 32×32 RGB images (uint8, NHWC as CIFAR-10's Python pickles
                        unpack) and, as labels, PyTorch's own predictions, so `curvature eval`
                        must report accuracy 1 if the two networks agree
  reference.json        PyTorch float64 logits of the first images, and with --hessian the full
                        spectrum of image 0's input Hessian of the cross-entropy (3,072 eigenvalues):
                        a ReLU network's exact input Hessian is Jᵀ(diag p − ppᵀ)J (every second
                        derivative of its logits is 0), so it is built from PyTorch's own input
                        Jacobian J (10 backward passes, torch.autograd.functional.jacobian) and
                        diagonalised with numpy.linalg.eigvalsh — double backprop over 3,072
                        directions took over 50 minutes here and was stopped

CIFAR-10 itself is not on these machines; the images are noise, so the timings hold for any
3×32×32 data and the numbers say nothing about CIFAR-10 models.

    /usr/bin/python3 Notebooks-md/scripts/resnet18_scale/make_model_and_data.py [OUT] [--count 100] [--hessian]
"""
import argparse, json, os, struct, sys, time
import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from torch_resnet import ResNet18  # noqa: E402


def write_safetensors(path, state):
    """The safetensors layout: 8-byte little-endian header length, JSON header, raw data."""
    header, blobs, offset = {}, [], 0
    for name, tensor in state.items():
        if tensor.dtype == torch.int64:
            dtype, data = "I64", tensor.numpy().astype("<i8").tobytes()
        else:
            dtype, data = "F32", tensor.detach().float().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": dtype, "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out", nargs="?", default="out/resnet18-scale")
    p.add_argument("--count", type=int, default=100)
    p.add_argument("--hessian", action="store_true", help="also the dense float64 input Hessian of image 0 and its 3,072 eigenvalues")
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    os.makedirs(a.out, exist_ok=True)
    torch.manual_seed(0)
    model = ResNet18()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.2, 0.2)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
                module.num_batches_tracked.fill_(100)
    model.eval()
    generator = np.random.default_rng(0)
    images = generator.integers(0, 256, size=(a.count, 32, 32, 3), dtype=np.uint8)
    # Curvature keeps pixels as Float32 (pixel/255 rounded), whatever the arithmetic: so does the reference.
    x = torch.from_numpy((images.transpose(0, 3, 1, 2) / np.float32(255)).astype(np.float32)).double()
    # A random ResNet puts every noise image in one class with p ≈ 1, where the loss Hessian
    # vanishes; centre and scale its head so the logits spread (std 2) and the classes vary.
    with torch.no_grad():
        z = model(x.float())
        model.linear.bias -= z.mean(0)
        z = model(x.float())
        scale = 2 / z.std().item()
        model.linear.weight *= scale
        model.linear.bias *= scale
    write_safetensors(os.path.join(a.out, "resnet18.safetensors"), model.state_dict())
    model64 = model.double()
    with torch.no_grad():
        logits = model64(x)
    labels = logits.argmax(1).numpy().astype(np.int64)
    for split in ("train", "test"):
        np.save(os.path.join(a.out, f"{split}_images.npy"), images)
        np.save(os.path.join(a.out, f"{split}_labels.npy"), labels)
    reference = {"logits64": logits[:4].tolist(), "labels": labels.tolist()}
    if a.hessian:
        start = time.time()
        x0 = x[:1].reshape(-1)
        jacobian = torch.autograd.functional.jacobian(lambda v: model64(v.view(1, 3, 32, 32))[0], x0)
        with torch.no_grad():
            p = torch.softmax(model64(x0.view(1, 3, 32, 32))[0], 0)
            hessian = jacobian.T @ (torch.diag(p) - torch.outer(p, p)) @ jacobian
        eigenvalues = np.linalg.eigvalsh(hessian.numpy())[::-1]
        reference["eigenvalues64_image0"] = eigenvalues.tolist()
        reference["hessian_seconds"] = time.time() - start
        print(f"dense Hessian of image 0 from PyTorch's Jacobian: {time.time() - start:.1f} s; λ1 = {eigenvalues[0]:.10g}", file=sys.stderr)
    with open(os.path.join(a.out, "reference.json"), "w") as f:
        json.dump(reference, f)
    print(f"wrote {a.out}: resnet18.safetensors, {a.count} images, labels = PyTorch's predictions "
          f"({len(set(labels.tolist()))} classes seen)", file=sys.stderr)


if __name__ == "__main__":
    main()
