"""Writes the ONNX importer's fixtures: PyTorch-exported .onnx files and PyTorch's own answers.

Run from anywhere with a Python that has Debian's torch 1.13 plus the `onnx` and `onnxruntime`
packages (see README.md for the exact command). Every file is written next to this script.

For each model NAME:
  NAME.onnx      float32 export (eval mode, input "input", output "logits", dynamic batch)
  NAME-f64.onnx  export of model.double() with a double example input: float64 weights, and any
                 BatchNorm folding done by the exporter in float64
  NAME.json      input_shape, classes, images, labels, logits32 (float32 PyTorch), and the
                 Float64 reference: logits64, loss64, grad64 and hvp64 of
                 sum_i cross_entropy(logits_i, label_i) w.r.t. the input images, along `direction`
plus variants made with the `onnx` package (typed fields, float16 weights, external data), an
opset-17 export and a model with an unsupported operator. Each file is checked against PyTorch
with onnxruntime (float32) and onnx's reference evaluator (float64); a table is printed.
"""
import copy, io, json, math, os, sys, warnings

# Debian's torch 1.13 is built against NumPy 1.x while the venv has NumPy 2: keep torch from
# loading NumPy at all (it then never converts tensors to arrays; this script uses .tolist()).
sys.modules["numpy"] = None
import torch
warnings.filterwarnings("ignore", message="Failed to initialize NumPy")
torch.empty(1)  # torch's lazy NumPy probe runs now, while NumPy is hidden
del sys.modules["numpy"]

import torch.nn as nn, torch.nn.functional as F
import numpy as np, onnx, onnxruntime as ort
# The ResNets are written once, beside the notebooks' scripts.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "Notebooks-md", "scripts"))
from torch_resnet import BasicBlock, SmallResNet  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from modern_models import (TinyViT, TinyConvNeXt, TinyMixer, TinyWideResNet, OpsZoo17,  # noqa: E402
                           FileHardsigmoid, ManyUnsupported)
from onnx import numpy_helper, helper, TensorProto
from onnx.reference import ReferenceEvaluator
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
from onnx_reference_fixes import REFERENCE_FIXES  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
torch.set_num_threads(1)  # bit-stable float reductions from run to run
warnings.filterwarnings("ignore", category=UserWarning, module="torch.onnx")
SAMPLES = 3
TOL32, TOL64 = 1e-5, 1e-12
parity = []  # (file, checker, max relative difference, tolerance)


def path(name):
    return os.path.join(HERE, name)


def seed(n):
    torch.manual_seed(n)


def images_for(shape, n=SAMPLES):
    # Multiples of 1/256 in [0, 1] and a direction on a 1/1024 grid: exactly representable in
    # Float32, so the float32 and float64 checks start from identical inputs.
    # Smooth random structure plus noise: i.i.d. pixel noise alone averages out in a global
    # pool, leaving a ResNet's logits almost independent of the image.
    c, h, w = shape
    coarse = torch.rand(n, c, max(h // 4, 1), max(w // 4, 1), dtype=torch.float64)
    x = F.interpolate(coarse, size=(h, w), mode="bilinear", align_corners=False)
    x = (x + 0.15 * torch.randn(n, c, h, w, dtype=torch.float64)).clamp(0, 1)
    x = torch.round(x * 256) / 256
    v = torch.round(torch.randn(n, *shape, dtype=torch.float64) * 1024) / 1024
    return x, v


def set_bn_stats(model):
    # Non-trivial running statistics and affine parameters so that folding BN actually matters.
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            with torch.no_grad():
                m.running_mean.uniform_(-0.3, 0.3)
                m.running_var.uniform_(0.4, 1.6)
                m.weight.uniform_(0.6, 1.4)
                m.bias.uniform_(-0.3, 0.3)


def warm_bn(model, shape):
    # A few training-mode passes on random data, then random affine params on top.
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.rand(8, *shape) * 1.5)
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            with torch.no_grad():
                m.weight.uniform_(0.6, 1.4)
                m.bias.uniform_(-0.3, 0.3)
    model.eval()


def export(model, example, fname, opset, **kw):
    f = io.BytesIO()
    torch.onnx.export(model, example, f, opset_version=opset, input_names=["input"],
                      output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, **kw)
    proto = onnx.load_from_string(f.getvalue())
    onnx.checker.check_model(proto)
    onnx.save(proto, path(fname))
    return proto


def op_counts(proto):
    counts = {}
    for n in proto.graph.node:
        counts[n.op_type] = counts.get(n.op_type, 0) + 1
    return dict(sorted(counts.items()))


def f32(value):
    return torch.tensor(value, dtype=torch.float32).item()


def logits_of(model, x):
    return model.logits(x) if hasattr(model, "logits") else model(x)


def randomise_norms(model):
    # LayerNorm's default affine parameters (1, 0) would let a wrong scale or shift pass unseen.
    for m in model.modules():
        if isinstance(m, nn.LayerNorm) or type(m).__name__ == "ChannelsFirstLayerNorm":
            with torch.no_grad():
                m.weight.uniform_(0.6, 1.4)
                m.bias.uniform_(-0.3, 0.3)


def with_file_attributes(m64):
    """A copy of the float64 model computing as the exported file does where ONNX float attributes
    are float32: LayerNormalization's epsilon (opset 17) and HardSigmoid's alpha float32(1/6)."""
    m = copy.deepcopy(m64)
    for name, child in list(m.named_modules()):
        if isinstance(child, nn.LayerNorm):
            child.eps = f32(child.eps)
        for attr, sub in list(child.named_children()):
            if isinstance(sub, nn.Hardsigmoid):
                setattr(child, attr, FileHardsigmoid(f32(1 / 6)))
    return m


def reference(model, x, y, v, float32_attributes=False):
    """float32 logits, and float64 logits/loss/grad/HVP by double backprop in PyTorch."""
    with torch.no_grad():
        logits32 = logits_of(model, x.float())
        full32 = model(x.float())
    m64 = copy.deepcopy(model).double()
    for m in m64.modules():
        # ONNX float attributes are float32 (LeakyRelu alpha = float32(0.1), BatchNormalization
        # epsilon = float32(1e-5)), so the float64 reference uses those values; the float32
        # model is unaffected (same values there)
        if isinstance(m, nn.LeakyReLU):
            m.negative_slope = f32(m.negative_slope)
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.eps = f32(m.eps)
    exported64, m64 = m64, (with_file_attributes(m64) if float32_attributes else m64)
    x64 = x.clone().requires_grad_(True)
    logits64 = logits_of(m64, x64)
    loss = F.cross_entropy(logits64, y, reduction="sum")
    g, = torch.autograd.grad(loss, x64, create_graph=True)
    hv, = torch.autograd.grad((g * v).sum(), x64)
    with torch.no_grad():
        full64 = m64(x)
    return dict(logits32=logits32, full32=full32, logits64=logits64.detach(), full64=full64,
                loss64=loss.item(), grad64=g.detach(), hvp64=hv, m64=exported64)


def rel(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def with_output(proto, tensor_name):
    # A copy that also returns an inner tensor (the logits before a trailing (Log)Softmax).
    p = copy.deepcopy(proto)
    elem = p.graph.output[0].type.tensor_type.elem_type
    p.graph.output.append(helper.make_tensor_value_info(tensor_name, elem, None))
    return p


def run_ort(proto_or_path, x, outputs=None):
    src = proto_or_path if isinstance(proto_or_path, str) else proto_or_path.SerializeToString()
    opts = ort.SessionOptions()
    opts.log_severity_level = 4  # float64 attempts may fail; the failure is reported in the table
    s = ort.InferenceSession(src, opts, providers=["CPUExecutionProvider"])
    return s.run(outputs, {"input": x})


def check32(fname, proto, x, want, pre_name=None, want_pre=None):
    xs = np.array(x.float().tolist(), dtype=np.float32)
    if pre_name:
        out, pre = run_ort(with_output(proto, pre_name), xs)
        parity.append((fname + " (pre-" + pre_name_op(proto, pre_name) + ")", "onnxruntime",
                       rel(pre, want_pre.tolist()), TOL32))
    else:
        out, = run_ort(proto if proto is not None else path(fname), xs)
    parity.append((fname, "onnxruntime", rel(out, want.tolist()), TOL32))


def pre_name_op(proto, name):
    return next(n.op_type for n in proto.graph.node if name in n.input)




def check64(fname, proto, x, want, pre_name=None, want_pre=None):
    xs = np.array(x.tolist(), dtype=np.float64)
    p = with_output(proto, pre_name) if pre_name else proto
    outs = ReferenceEvaluator(p, new_ops=REFERENCE_FIXES).run(None, {"input": xs})
    parity.append((fname, "onnx.reference", rel(outs[0], want.tolist()), TOL64))
    if pre_name:
        parity.append((fname + " (pre-" + pre_name_op(proto, pre_name) + ")", "onnx.reference",
                       rel(outs[1], want_pre.tolist()), TOL64))
    try:  # onnxruntime's CPU kernels lack float64 for some ops (e.g. Conv); use it where it can
        out = run_ort(p, xs)[0]
        parity.append((fname, "onnxruntime", rel(out, want.tolist()), TOL64))
    except Exception as e:
        parity.append((fname, "onnxruntime: n/a (" + type(e).__name__ + ")", None, TOL64))


def flat(t):
    return t.detach().reshape(-1).tolist()


def write_json(fname, obj):
    with open(path(fname), "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")


def calibrate(model, x):
    # Random small nets give near-uniform logits (loss ~ log(classes), tiny input curvature);
    # scale the last Linear by a power of two (exact) so the logits spread with std ~ 2.
    last = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
    with torch.no_grad():
        std = float(logits_of(model, x.float()).std(dim=1).mean())
        factor = 2.0 ** round(math.log2(2.0 / std))
        last.weight.mul_(factor)
        last.bias.mul_(factor)


def fixture(name, model, input_shape, classes, data_seed, opset=13, export_kw=None,
            logits_before=None, extra=None, f64=True, float32_attributes=False):
    """Exports NAME.onnx (+ NAME-f64.onnx), writes NAME.json, checks parity; returns parts."""
    export_kw = export_kw or {}
    model.eval()
    seed(data_seed)
    x, v = images_for(input_shape)
    y = torch.randint(0, classes, (SAMPLES,))
    calibrate(model, x)
    r = reference(model, x, y, v, float32_attributes)
    proto = export(model, x[:1].float(), name + ".onnx", opset, **export_kw)
    pre = None
    if logits_before:
        pre = next(n.input[0] for n in proto.graph.node if n.op_type == logits_before)
    check32(name + ".onnx", proto, x, r["full32"], pre, r["logits32"] if pre else None)
    meta = {"model": name, "onnx": name + ".onnx", "opset": opset,
            "input_shape": list(input_shape), "classes": classes, "samples": SAMPLES,
            "layout": "NCHW, flat row-major over (sample, channel, row, column)",
            "images": flat(x), "labels": y.tolist(), "logits32": flat(r["logits32"])}
    if logits_before:
        meta["logits_before"] = logits_before
        meta["output_after_" + logits_before + "32"] = flat(r["full32"])
    if f64:
        proto64 = export(r["m64"], x[:1].clone(), name + "-f64.onnx", opset, **export_kw)
        pre64 = None
        if logits_before:
            pre64 = next(n.input[0] for n in proto64.graph.node if n.op_type == logits_before)
        check64(name + "-f64.onnx", proto64, x, r["full64"], pre64,
                r["logits64"] if pre64 else None)
        meta.update({"onnx_f64": name + "-f64.onnx",
                     "loss": "sum over samples of cross_entropy(logits, labels); derivatives "
                             "w.r.t. the input images, PyTorch float64 double backprop",
                     "direction": flat(v), "logits64": flat(r["logits64"]),
                     "loss64": r["loss64"], "grad64": flat(r["grad64"]),
                     "hvp64": flat(r["hvp64"]), "ops_f64": op_counts(proto64)})
    meta["ops"] = op_counts(proto)
    meta.update(extra or {})
    write_json(name + ".json", meta)
    return proto, x, y, v, r, meta


# ---------------------------------------------------------------- models

def ResNetCIFAR(widths=(4, 8, 16), classes=10, bn_extras=False):
    """The CIFAR ResNet of torch_resnet.py on 3×32×32 inputs; `out.view(out.size(0), -1)` exports
    as the Shape→Gather→Unsqueeze→Concat→Reshape chain the importer folds."""
    return SmallResNet(in_channels=3, widths=widths, classes=classes, bn_extras=bn_extras, flatten_by_view=True)


class NormalizedSoftplus(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.tensor([0.49, 0.48, 0.45]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.25, 0.24, 0.26]).view(1, 3, 1, 1))
        self.conv = nn.Conv2d(3, 6, 3, padding=1)
        with torch.no_grad():  # keep beta*x below PyTorch's softplus threshold (20), see main()
            self.conv.weight.mul_(0.4)
        self.act = nn.Softplus(beta=10)  # exports as Mul -> Softplus -> Div
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(6 * 8 * 8, 10)

    def pre_act(self, x):
        return self.conv((x - self.mean) / self.std)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.act(self.pre_act(x))), 1))


class OpsZoo(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv_s2 = nn.Conv2d(3, 6, 3, stride=2, padding=1)           # 16 -> 8
        self.conv_dil = nn.Conv2d(6, 6, 3, padding=2, dilation=2)       # dilation 2
        self.conv_dw = nn.Conv2d(6, 6, 3, padding=1, groups=6)          # depthwise
        self.lrelu, self.elu, self.gelu = nn.LeakyReLU(0.1), nn.ELU(), nn.GELU()
        self.drop = nn.Dropout(0.3)
        self.W = nn.Parameter(torch.randn(36, 8) / 6)                   # explicit x @ W
        self.fc = nn.Linear(8 + 8 * 5 * 5, 5)                           # Gemm
        self.head = nn.LogSoftmax(dim=1)

    def logits(self, x):
        x = x * 2.0 - 1.0                                   # Mul, Sub with constants
        a = self.lrelu(self.conv_s2(x))
        b = self.elu(self.conv_dil(a))
        c = self.gelu(self.conv_dw(a))                      # exact GELU: Div, Erf, Add, Mul
        d = torch.sigmoid(b) * torch.tanh(c)                # Mul between tensors
        e = (b - c) / torch.sqrt(d * d + 1.0)               # Sub, Div between tensors; Sqrt > 0
        g = F.hardtanh(e) + F.relu6(-d * 8.0)               # Clip, Neg, Add
        h = torch.cat([g, d.pow(3) / 3.0], dim=1)           # Pow (constant exponent), Concat
        h = F.pad(h, (1, 0, 0, 1), value=0.5)               # Pad constant: 8x8 -> 9x9
        p = torch.cat([F.max_pool2d(h, 3, 2, padding=1),
                       F.avg_pool2d(h, 3, 2, padding=1, count_include_pad=True),
                       F.avg_pool2d(h, 3, 2, padding=1, count_include_pad=False)], dim=1)
        t = (p.permute(0, 2, 3, 1) @ self.W).permute(0, 3, 1, 2)  # Transpose, MatMul: N,8,5,5
        pooled = F.adaptive_avg_pool2d(t, 1).squeeze(3).squeeze(2)  # GlobalAveragePool, Squeeze
        rest = torch.flatten(t, 1).unsqueeze(1)             # Flatten, Unsqueeze
        z = torch.cat([pooled, self.drop(rest.squeeze(1))], dim=1)
        return self.fc(z)

    def forward(self, x):
        return self.head(self.logits(x))


class SoftmaxHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.Tanh(), nn.Linear(16, 4))
        self.head = nn.Softmax(dim=1)

    def logits(self, x):
        return self.body(x)

    def forward(self, x):
        return self.head(self.logits(x))


class Unsupported(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.fc = nn.Linear(2 * 6 * 6, 3)

    def forward(self, x):
        return self.fc(torch.flatten(torch.sin(self.conv(x)), 1))  # Sin: not supported


# ---------------------------------------------------------------- onnx-package variants

def to_typed(tensor):
    # raw_data -> the typed repeated field (float_data / double_data / int64_data)
    arr = numpy_helper.to_array(tensor)
    field = {TensorProto.FLOAT: "float_data", TensorProto.DOUBLE: "double_data",
             TensorProto.INT64: "int64_data"}[tensor.data_type]
    tensor.ClearField("raw_data")
    getattr(tensor, field).extend(arr.reshape(-1).tolist())


def make_typed(proto):
    p = copy.deepcopy(proto)
    for t in p.graph.initializer:
        to_typed(t)
    for n in p.graph.node:  # Constant nodes too, so no tensor in the file uses raw_data
        for a in n.attribute:
            if a.type == onnx.AttributeProto.TENSOR and a.t.HasField("raw_data"):
                to_typed(a.t)
    return p


def make_f16(proto):
    # Float initializers stored as float16, each followed by Cast(to=FLOAT): storage-only float16,
    # computation (and the graph's input/output) stays float32.
    p = copy.deepcopy(proto)
    casts = []
    for t in p.graph.initializer:
        if t.data_type != TensorProto.FLOAT:
            continue
        arr = numpy_helper.to_array(t).astype(np.float16)
        name = t.name
        t.CopyFrom(numpy_helper.from_array(arr, name + "_f16"))
        casts.append(helper.make_node("Cast", [name + "_f16"], [name], name="Cast_" + name.replace(
            "::", "_"), to=TensorProto.FLOAT))
    nodes = casts + list(p.graph.node)
    del p.graph.node[:]
    p.graph.node.extend(nodes)
    onnx.checker.check_model(p)
    return p


def f16_rounded_torch(model, proto):
    """A PyTorch copy of the BN-folded network whose weights are the file's float16 values."""
    folded = copy.deepcopy(model)
    # fold each conv's following BN in PyTorch so the parameter set matches the exporter's
    for blk in [folded] + [m for m in folded.modules() if isinstance(m, BasicBlock)]:
        pairs = [("conv1", "bn1"), ("conv2", "bn2")] if isinstance(blk, BasicBlock) else [
            ("conv1", "bn1")]
        for c, b in pairs:
            setattr(blk, c, torch.nn.utils.fusion.fuse_conv_bn_eval(getattr(blk, c), getattr(blk, b)))
            setattr(blk, b, nn.Identity())
        if isinstance(blk, BasicBlock) and len(blk.shortcut) == 2:
            blk.shortcut = nn.Sequential(torch.nn.utils.fusion.fuse_conv_bn_eval(
                blk.shortcut[0], blk.shortcut[1]))
    params = dict(folded.named_parameters())
    used = set()
    for t in proto.graph.initializer:
        if t.data_type != TensorProto.FLOAT16:
            continue
        w16 = numpy_helper.to_array(t).astype(np.float32)
        # match by shape and value (the exporter's folding differs only by rounding)
        hits = [k for k, p in params.items() if tuple(p.shape) == w16.shape and k not in used
                and rel(p.detach().tolist(), w16.tolist()) < 2e-3]
        assert len(hits) == 1, (t.name, hits)
        used.add(hits[0])
        with torch.no_grad():
            params[hits[0]].copy_(torch.tensor(w16.tolist(), dtype=torch.float32))
    assert used == set(params), set(params) - used
    return folded.eval()


# ---------------------------------------------------------------- transformer-era models

def modern_fixtures():
    """Issue 29's fixtures: attention, LayerNorm (decomposed at opset 13, LayerNormalization at 17),
    ConvNeXt, MLP-Mixer, a Swish wide ResNet, an opset-17 operator zoo, and many unsupported ops."""
    def vit(kinds):
        seed(21)
        m = TinyViT(kinds=kinds)
        randomise_norms(m)
        return m
    # Written-out attention and nn.MultiheadAttention (which moves the batch to axis 1): opsets 13 and 17.
    fixture("vit_tiny", vit(("hand", "builtin")), (3, 16, 16), 10, data_seed=31, opset=13)
    fixture("vit_tiny17", vit(("hand", "builtin")), (3, 16, 16), 10, data_seed=31, opset=17,
            float32_attributes=True)
    # Written-out attention only: the batch stays on axis 0 throughout.
    fixture("vit_batched", vit(("hand", "hand")), (3, 16, 16), 10, data_seed=32, opset=17,
            float32_attributes=True)
    seed(22)
    convnext = TinyConvNeXt()
    randomise_norms(convnext)
    fixture("convnext_block", convnext, (3, 16, 16), 10, data_seed=33, opset=17, float32_attributes=True)
    seed(23)
    mixer = TinyMixer()
    randomise_norms(mixer)
    fixture("mixer_block", mixer, (3, 16, 16), 10, data_seed=34, opset=13)
    seed(24)
    wrn = TinyWideResNet()
    warm_bn(wrn, (3, 16, 16))
    set_bn_stats(wrn)  # distinct statistics per layer: identical ones would be one shared initializer
    fixture("wrn_swish", wrn, (3, 16, 16), 10, data_seed=35, opset=13)
    seed(25)
    zoo = OpsZoo17()
    randomise_norms(zoo)
    fixture("ops_zoo17", zoo, (3, 16, 16), 5, data_seed=36, opset=17, float32_attributes=True)

    seed(26)
    many = ManyUnsupported().eval()
    seed(37)
    mx, _ = images_for((1, 6, 6))
    mproto = export(many, mx[:1].float(), "unsupported_many.onnx", 13)
    with torch.no_grad():
        mlog = many(mx.float())
    check32("unsupported_many.onnx", mproto, mx, mlog)
    write_json("unsupported_many.json", {
        "model": "unsupported_many", "onnx": "unsupported_many.onnx", "opset": 13,
        "input_shape": [1, 6, 6], "classes": 3, "samples": SAMPLES,
        "unsupported": {op: [n.name for n in mproto.graph.node if n.op_type == op]
                        for op in ["Sin", "Cos", "Einsum"]},
        "images": flat(mx), "logits32": flat(mlog), "ops": op_counts(mproto)})


# ---------------------------------------------------------------- main

def main():
    # a. resnet_cifar: default export, the exporter folds BN into Conv
    seed(1)
    resnet = ResNetCIFAR()
    warm_bn(resnet, (3, 32, 32))
    base, rx, ry, _, r, meta = fixture("resnet_cifar", resnet, (3, 32, 32), 10, data_seed=11)
    assert "BatchNormalization" not in meta["ops"] and "Reshape" in meta["ops"]
    rlog = r["full32"]

    # b. resnet_unfolded: PRESERVE keeps BatchNormalization nodes (no eval-mode Conv+BN fusion);
    #    extra BNs on a residual sum and on the pooled features
    seed(2)
    unfolded = ResNetCIFAR(widths=(4, 8), bn_extras=True)
    warm_bn(unfolded, (3, 16, 16))
    set_bn_stats(unfolded.bn_feat)
    n_bn = sum(isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) for m in unfolded.modules())
    _, _, _, _, _, meta = fixture(
        "resnet_unfolded", unfolded, (3, 16, 16), 10, data_seed=12,
        export_kw={"training": torch.onnx.TrainingMode.PRESERVE},
        extra={"batchnorm_nodes": n_bn,
               "float64_note": "the float64 reference uses BatchNorm eps = float32(1e-5), the "
                               "epsilon attribute the file holds"})
    assert meta["ops"].get("BatchNormalization") == n_bn == meta["ops_f64"]["BatchNormalization"]

    # c. normalized_softplus
    seed(3)
    ns = NormalizedSoftplus()
    seed(13)
    xs, _ = images_for((3, 16, 16))
    with torch.no_grad():  # PyTorch's softplus turns linear above beta*x = 20; ONNX's never does
        top = float((ns.pre_act(xs.float()) * 10).max())
    assert top < 15, top
    _, _, _, _, _, meta = fixture("normalized_softplus", ns, (3, 16, 16), 10, data_seed=13,
                                  extra={"softplus_beta": 10, "max_beta_times_preactivation": top})

    # d. ops_zoo (opset 13), logits taken before LogSoftmax
    seed(4)
    zoo = OpsZoo()
    _, _, _, _, _, zmeta = fixture("ops_zoo", zoo, (3, 16, 16), 5, data_seed=14, opset=13,
                                   logits_before="LogSoftmax", extra={
        "float64_note": "the float64 reference uses LeakyRelu slope float32(0.1) = "
                        "0.10000000149011612, the alpha attribute the file holds",
        "not_in_graph": "Dropout: removed by the exporter in eval mode"})

    # e. softmax_head (opset 11), logits taken before Softmax
    seed(5)
    fixture("softmax_head", SoftmaxHead(), (1, 8, 8), 4, data_seed=15, opset=11,
            logits_before="Softmax")

    # f. unsupported: Sin
    seed(6)
    uns = Unsupported().eval()
    seed(16)
    ux, _ = images_for((1, 6, 6))
    uproto = export(uns, ux[:1].float(), "unsupported.onnx", 13)
    sin = next(n for n in uproto.graph.node if n.op_type == "Sin")
    with torch.no_grad():
        ulog = uns(ux.float())
    check32("unsupported.onnx", uproto, ux, ulog)
    write_json("unsupported.json", {
        "model": "unsupported", "onnx": "unsupported.onnx", "opset": 13, "input_shape": [1, 6, 6],
        "classes": 3, "samples": SAMPLES, "unsupported_op": "Sin", "node": sin.name,
        "images": flat(ux), "logits32": flat(ulog), "ops": op_counts(uproto)})

    # g. variants of the float32 resnet_cifar
    typed = make_typed(base)
    onnx.checker.check_model(typed)
    assert not any(t.HasField("raw_data") for t in typed.graph.initializer)
    onnx.save(typed, path("resnet_cifar-typed.onnx"))
    check32("resnet_cifar-typed.onnx", typed, rx, rlog)

    f16 = make_f16(base)
    onnx.save(f16, path("resnet_cifar-f16.onnx"))
    r16 = f16_rounded_torch(resnet, f16)
    with torch.no_grad():
        log16 = r16(rx.float())
    check32("resnet_cifar-f16.onnx", f16, rx, log16)
    write_json("resnet_cifar-f16.json", {
        "model": "resnet_cifar", "onnx": "resnet_cifar-f16.onnx", "opset": 13,
        "input_shape": [3, 32, 32], "classes": 10, "samples": SAMPLES,
        "note": "float16 initializers, each Cast to float32; logits32 from PyTorch with the "
                "BN-folded weights rounded to float16 and back, computed in float32",
        "images": flat(rx), "labels": ry.tolist(), "logits32": flat(log16),
        "logits32_unrounded": flat(rlog), "ops": op_counts(f16)})

    # external data: written, checked with onnxruntime, then the weight file is deleted so the
    # committed fixture proves the importer refuses it before trying to read the weights
    ext = copy.deepcopy(base)
    loc = "external_data.weights"
    onnx.save_model(ext, path("external_data.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location=loc, size_threshold=0)
    parity.append(("external_data.onnx (weights present)", "onnxruntime",
                   rel(run_ort(path("external_data.onnx"),
                               np.array(rx.float().tolist(), dtype=np.float32))[0],
                       rlog.tolist()), TOL32))
    ext_loaded = onnx.load(path("external_data.onnx"), load_external_data=False)
    ext_names = [t.name for t in ext_loaded.graph.initializer
                 if t.data_location == TensorProto.EXTERNAL]
    os.remove(path(loc))
    write_json("external_data.json", {
        "model": "resnet_cifar", "onnx": "external_data.onnx", "expect": "refuse",
        "external_location": loc, "external_file_present": False,
        "external_initializers": ext_names, "ops": op_counts(ext_loaded)})

    # opset 17: PyTorch 1.13's highest (torch.onnx._constants.ONNX_MAX_OPSET); no opset 18
    max_opset = torch.onnx._constants.ONNX_MAX_OPSET
    assert max_opset == 17, max_opset
    seed(3)
    ns17 = NormalizedSoftplus()
    proto17, *_ = fixture("opset17", ns17, (3, 16, 16), 10, data_seed=13, opset=17, f64=False,
                          extra={"note": "the normalized_softplus network exported at opset 17, "
                                         "the highest PyTorch 1.13 supports"})

    modern_fixtures()

    # report
    print(f"{'file':44s} {'checker':28s} {'max rel diff':>12s}  ok")
    bad = 0
    for f, how, d, tol in parity:
        ok = d is None or d <= tol
        bad += not ok
        print(f"{f:44s} {how:28s} {'-' if d is None else f'{d:.2e}':>12s}  {'yes' if ok else 'NO'}")
    print("\nop types per file:")
    for fn in sorted(os.listdir(HERE)):
        if fn.endswith(".onnx"):
            p = onnx.load(path(fn), load_external_data=False)
            dts = sorted({TensorProto.DataType.Name(t.data_type) for t in p.graph.initializer})
            print(f"{fn}: opset {p.opset_import[0].version}, {os.path.getsize(path(fn))} B, "
                  f"initializers {'/'.join(dts)}: {op_counts(p)}")
    total = sum(os.path.getsize(path(f)) for f in os.listdir(HERE))
    print(f"\ntotal {total} bytes; torch {torch.__version__}, onnx {onnx.__version__}, "
          f"onnxruntime {ort.__version__}, numpy {np.__version__}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
