#!/usr/bin/python3
"""Writes resnet18_state_dict.json: every state_dict key, shape and dtype of the CIFAR ResNet-18
used across the robustness literature (kuangliu/pytorch-cifar's ResNet18: 3×3 stem, no max-pool,
BasicBlocks [2, 2, 2, 2], `shortcut` projections, `linear` head). Curvature's built-in `resnet18`
must name its tensors the same, so such a state_dict saved as safetensors loads unchanged. The module
(with its forward pass) also serves Notebooks-md/scripts/resnet18_scale/make_model_and_data.py.

    /usr/bin/python3 Tests/NNTests/Fixtures/make_resnet18_names.py
"""
import json, os
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class ResNet18(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.in_planes = 64
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.layer1 = self._make(64, 1)
        self.layer2 = self._make(128, 2)
        self.layer3 = self._make(256, 2)
        self.layer4 = self._make(512, 2)
        self.linear = nn.Linear(512, num_classes)

    def _make(self, planes, stride):
        blocks = []
        for s in [stride, 1]:
            blocks.append(BasicBlock(self.in_planes, planes, s))
            self.in_planes = planes
        return nn.Sequential(*blocks)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        return self.linear(F.avg_pool2d(out, 4).flatten(1))


if __name__ == "__main__":
    entries = [[k, list(v.shape), str(v.dtype).replace("torch.", "")] for k, v in ResNet18().state_dict().items()]
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "resnet18_state_dict.json")
    with open(path, "w") as f:
        json.dump(entries, f, indent=0)
    print(f"wrote {len(entries)} entries to {path}")
