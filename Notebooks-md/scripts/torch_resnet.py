"""The PyTorch ResNets of the notebooks' scripts and the test fixtures, written once.

- `BasicBlock`: two 3×3 convolutions with BatchNorm and ReLU, and a 1×1 convolution + BatchNorm
  shortcut when the stride or the width changes (names conv1, bn1, conv2, bn2, shortcut).
- `ResNet18`: the CIFAR ResNet-18 of the robustness literature (kuangliu/pytorch-cifar): 3×3
  stem, no max-pool, BasicBlocks [2, 2, 2, 2] at widths 64/128/256/512, 4×4 average pool, a
  `linear` head. Its state_dict names are those of Curvature's built-in `resnet18`, so such a
  state_dict saved as safetensors loads with `--arch resnet18` unchanged.
- `ImageNetResNet18`: the same stages behind ImageNet's 7×7 stride-2 stem and 3×3 max-pool, with a
  global average pool and 1,000 classes (resnet18_scale/imagenet_onnx.py).
- `SmallResNet`: the same design at small widths: 3×3 stem + BN + ReLU (or SiLU, `activation`), stages of two
  BasicBlocks at `widths` (stride 2 and a projection from the second stage on), global average
  pool, Linear.

Used by your_own_model/train_resnet.py, peers/torch_hvp.py, resnet18_scale/make_model_and_data.py
and Tests/{NN,ONNX}Tests/Fixtures; they put this folder on sys.path. Every layer is created in
the order the scripts' own copies created them, so seeded weights, state_dicts and ONNX exports
are as before.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


ACTIVATIONS = {"relu": F.relu, "silu": F.silu}  # SiLU = Swish: smooth, so the boundary has exact curvatures


class BasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride=1, bn_after_add=False, activation="relu"):
        super().__init__()
        self.act = ACTIVATIONS[activation]
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:  # projection: 1×1 conv at the stride + BN
            self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
        # A BatchNorm on the residual sum, which an exporter cannot fold into a Conv (ONNX fixtures).
        self.bn_add = nn.BatchNorm2d(planes) if bn_after_add else None

    def forward(self, x):
        out = self.act(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out)) + self.shortcut(x)
        if self.bn_add is not None:
            out = self.bn_add(out)
        return self.act(out)


def basic_stage(in_planes, planes, stride):
    """Two BasicBlocks, the first at `stride` (a ResNet-18 stage)."""
    return nn.Sequential(BasicBlock(in_planes, planes, stride), BasicBlock(planes, planes, 1))


class ResNet18(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.in_planes = 64
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.layer1 = self._make(64, 1)
        self.layer2 = self._make(128, 2)
        self.layer3 = self._make(256, 2)
        self.layer4 = self._make(512, 2)
        self.linear = nn.Linear(512, classes)

    def _make(self, planes, stride):
        stage = basic_stage(self.in_planes, planes, stride)
        self.in_planes = planes
        return stage

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        return self.linear(F.avg_pool2d(out, 4).flatten(1))


class ImageNetResNet18(nn.Module):
    """ResNet-18 at ImageNet's shape: 7×7 stride-2 stem, 3×3 max-pool, the same stages, global
    average pool, `classes` outputs."""

    def __init__(self, classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.pool = nn.MaxPool2d(3, 2, 1)
        self.layers = nn.Sequential(*[basic_stage(i, o, s) for i, o, s in [(64, 64, 1), (64, 128, 2), (128, 256, 2), (256, 512, 2)]])
        self.fc = nn.Linear(512, classes)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(self.layers(x), 1), 1))


class SmallResNet(nn.Module):
    """`bn_extras`: a BatchNorm on the last stage's first residual sum and a BatchNorm1d on the
    pooled features (the ONNX fixtures' unfolded variant). `flatten_by_view`: flatten with
    `out.view(out.size(0), -1)`, which exports as a Shape→Gather→Unsqueeze→Concat→Reshape chain,
    instead of `torch.flatten`, which exports as one Flatten."""

    def __init__(self, in_channels=1, widths=(8, 16, 32), classes=10, bn_extras=False, flatten_by_view=False, activation="relu"):
        super().__init__()
        self.act = ACTIVATIONS[activation]
        self.conv1 = nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False)  # no max-pool
        self.bn1 = nn.BatchNorm2d(widths[0])
        layers, cin = [], widths[0]
        for i, w in enumerate(widths):
            layers += [BasicBlock(cin, w, 1 if i == 0 else 2, bn_after_add=bn_extras and i == len(widths) - 1, activation=activation),
                       BasicBlock(w, w, 1, activation=activation)]
            cin = w
        self.layers = nn.Sequential(*layers)
        self.bn_feat = nn.BatchNorm1d(cin) if bn_extras else None
        self.linear = nn.Linear(cin, classes)
        self.flatten_by_view = flatten_by_view

    def forward(self, x):
        out = self.layers(self.act(self.bn1(self.conv1(x))))
        out = F.adaptive_avg_pool2d(out, 1)
        out = out.view(out.size(0), -1) if self.flatten_by_view else torch.flatten(out, 1)
        if self.bn_feat is not None:
            out = self.bn_feat(out)
        return self.linear(out)
