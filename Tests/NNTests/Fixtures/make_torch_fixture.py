#!/usr/bin/python3
"""Writes a PyTorch-made model and PyTorch's own answers, for NNTests' cross-check.

Run with Debian's python3-torch: /usr/bin/python3 make_torch_fixture.py
Outputs (next to this script):
  torch_model.safetensors  state_dict of an nn.Sequential in float64 (written by hand: the
                           format is 8-byte header length + JSON header + raw data)
  torch_model.json         Curvature's architecture JSON for the same network
  torch_expected.json      input x, labels, direction v, and PyTorch's logits, loss, input
                           gradient and input-HVP (reverse-over-reverse), all float64
"""
import json, struct, torch, torch.nn as nn, torch.nn.functional as F

torch.manual_seed(0)
net = nn.Sequential(
    nn.Conv2d(1, 3, 3, padding=1), nn.BatchNorm2d(3), nn.Softplus(beta=2.0), nn.MaxPool2d(2),
    nn.Conv2d(3, 4, 3, stride=2, padding=1), nn.ELU(alpha=0.5), nn.AvgPool2d(2),
    nn.Flatten(), nn.Linear(4, 6), nn.GELU(), nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3)).double()
with torch.no_grad():  # non-trivial running statistics
    net[1].running_mean.uniform_(-0.2, 0.2); net[1].running_var.uniform_(0.5, 1.5)
    net[1].weight.uniform_(0.5, 1.5); net[1].bias.uniform_(-0.3, 0.3)
net.eval()
arch = {"input": [1, 8, 8], "layers": [
    {"type": "conv2d", "in": 1, "out": 3, "kernel": 3, "padding": 1},
    {"type": "batchnorm2d", "features": 3},
    {"type": "softplus", "beta": 2.0},
    {"type": "maxpool2d", "kernel": 2},
    {"type": "conv2d", "in": 3, "out": 4, "kernel": 3, "stride": 2, "padding": 1},
    {"type": "elu", "alpha": 0.5},
    {"type": "avgpool2d", "kernel": 2},
    {"type": "flatten"},
    {"type": "linear", "in": 4, "out": 6},
    {"type": "gelu"},
    {"type": "linear", "in": 6, "out": 5},
    {"type": "tanh"},
    {"type": "linear", "in": 5, "out": 3}]}

header, blobs, offset = {}, [], 0
for name, tensor in net.state_dict().items():
    t = tensor.contiguous()
    dtype = "I64" if t.dtype == torch.int64 else "F64"
    raw = t.numpy().tobytes()
    header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
    blobs.append(raw); offset += len(raw)
text = json.dumps(header).encode()
text += b" " * ((8 - len(text) % 8) % 8)
with open("torch_model.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(text))); f.write(text); [f.write(b) for b in blobs]
with open("torch_model.json", "w") as f:
    json.dump(arch, f, indent=1)

x = torch.rand(2, 1, 8, 8, dtype=torch.float64, requires_grad=True)
y = torch.tensor([2, 0])
v = torch.randn(2, 1, 8, 8, dtype=torch.float64)
logits = net(x)
loss = F.cross_entropy(logits, y, reduction="sum")
g, = torch.autograd.grad(loss, x, create_graph=True)
hv, = torch.autograd.grad((g * v).sum(), x)
with open("torch_expected.json", "w") as f:
    json.dump({"x": x.detach().flatten().tolist(), "labels": y.tolist(), "v": v.flatten().tolist(),
               "logits": logits.detach().flatten().tolist(), "loss": loss.item(),
               "gradient": g.detach().flatten().tolist(), "hvp": hv.flatten().tolist()}, f)
print("wrote torch_model.safetensors, torch_model.json, torch_expected.json")
