"""An ImageNet-shaped ResNet-18 as ONNX (7×7 stride-2 stem, 3×3 max-pool, BasicBlocks [2, 2, 2, 2]
at widths 64–512, global average pool, 1,000 classes; random weights, BN statistics from two
training-mode passes) and four random 3×224×224 images, for timing `eval`, `spectrum` and `bench
hvp` at ImageNet size (issue #29, item 5).

    ~/.venvs/curvature-onnx/bin/python Notebooks-md/scripts/resnet18_scale/imagenet_onnx.py OUT

writes OUT/resnet18_imagenet.onnx (47 MB), OUT/imagenet_images.npy (float32, (4, 3, 224, 224)) and
OUT/imagenet_labels.npy. Needs Debian's torch 1.13 with numpy 2 and onnx beside it (the venv of
Tests/ONNXTests/Fixtures/README.md); torch loads with NumPy hidden, as the fixture script does.
"""
import os, sys, warnings

sys.modules["numpy"] = None
import torch  # noqa: E402
warnings.filterwarnings("ignore")
torch.empty(1)
del sys.modules["numpy"]
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from torch_resnet import ImageNetResNet18  # noqa: E402


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    model = ImageNetResNet18().train()
    with torch.no_grad():
        for _ in range(2):
            model(torch.rand(4, 3, 224, 224))
    model.eval()
    torch.onnx.export(model, torch.rand(1, 3, 224, 224), os.path.join(out, "resnet18_imagenet.onnx"), opset_version=13,
                      input_names=["input"], output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    rng = np.random.default_rng(0)
    np.save(os.path.join(out, "imagenet_images.npy"), rng.random((4, 3, 224, 224), dtype=np.float32))
    np.save(os.path.join(out, "imagenet_labels.npy"), np.array([3, 500, 999, 42], dtype=np.int64))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "out/resnet18-imagenet")
