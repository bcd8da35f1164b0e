#!/usr/bin/python3
"""Writes resnet18_state_dict.json: every state_dict key, shape and dtype of the CIFAR ResNet-18
used across the robustness literature (kuangliu/pytorch-cifar's ResNet18: 3×3 stem, no max-pool,
BasicBlocks [2, 2, 2, 2], `shortcut` projections, `linear` head). Curvature's built-in `resnet18`
must name its tensors the same, so such a state_dict saved as safetensors loads unchanged. The
network is Notebooks-md/scripts/torch_resnet.py's.

    /usr/bin/python3 Tests/NNTests/Fixtures/make_resnet18_names.py
"""
import json, os, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "Notebooks-md", "scripts"))
from torch_resnet import ResNet18  # noqa: E402


if __name__ == "__main__":
    entries = [[k, list(v.shape), str(v.dtype).replace("torch.", "")] for k, v in ResNet18().state_dict().items()]
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "resnet18_state_dict.json")
    with open(path, "w") as f:
        json.dump(entries, f, indent=0)
    print(f"wrote {len(entries)} entries to {path}")
