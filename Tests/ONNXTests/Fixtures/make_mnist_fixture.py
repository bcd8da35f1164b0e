#!/usr/bin/python3
"""Writes mnist_bn.onnx: a small 1×28×28 CNN with BatchNorm (exported unfolded, so fine-tuning
can update its statistics) and a flatten exported as a Shape chain, for `train --init` tests on
mnist5k. Deterministic; run with Debian's PyTorch:

    /usr/bin/python3 Tests/ONNXTests/Fixtures/make_mnist_fixture.py
"""
import os
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, stride=2, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4 * 7 * 7, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn(self.conv(x))), 2)
        return self.fc(x.view(x.size(0), -1))


if __name__ == "__main__":
    torch.manual_seed(0)
    model = Net()
    with torch.no_grad():  # statistics that differ from the defaults, so a load that ignored them shows
        model.bn.running_mean.uniform_(-0.1, 0.1)
        model.bn.running_var.uniform_(0.5, 1.5)
    model.eval()
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mnist_bn.onnx")
    torch.onnx.export(model, torch.rand(1, 1, 28, 28), path, opset_version=13, do_constant_folding=False,
                      training=torch.onnx.TrainingMode.PRESERVE, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    print("wrote", path)
