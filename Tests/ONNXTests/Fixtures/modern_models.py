"""The transformer-era models of the ONNX fixtures (make_onnx_fixtures.py): a tiny ViT with written-out
and built-in attention, a ConvNeXt-style block, an MLP-Mixer block, a pre-activation wide ResNet with
Swish, and a zoo of the operators they and their neighbours export. All tiny: 3×16×16 inputs, widths 8–16."""
import torch, torch.nn as nn, torch.nn.functional as F


class Attention(nn.Module):
    """Multi-head self-attention written out, the batch kept first throughout."""
    def __init__(self, dim, heads):
        super().__init__()
        self.heads, self.scale = heads, (dim // heads) ** -0.5
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)

    def forward(self, x):
        b, t, d = x.shape
        qkv = self.qkv(x).reshape(b, t, 3, self.heads, d // self.heads).permute(0, 2, 3, 1, 4)
        q, k, v = qkv.unbind(1)                                  # Split + Squeeze
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, t, d))


class ViTBlock(nn.Module):
    def __init__(self, dim, heads, builtin):
        super().__init__()
        self.builtin = builtin
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True) if builtin else Attention(dim, heads)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def forward(self, x):
        h = self.norm1(x)
        x = x + (self.attn(h, h, h, need_weights=False)[0] if self.builtin else self.attn(h))
        return x + self.mlp(self.norm2(x))


class TinyViT(nn.Module):
    def __init__(self, kinds=("hand", "builtin"), dim=16, heads=2, patch=4, image=16, classes=10):
        super().__init__()
        self.patch = nn.Conv2d(3, dim, patch, stride=patch)
        self.cls = nn.Parameter(torch.randn(1, 1, dim) * 0.5)
        self.pos = nn.Parameter(torch.randn(1, (image // patch) ** 2 + 1, dim) * 0.5)
        self.blocks = nn.Sequential(*[ViTBlock(dim, heads, k == "builtin") for k in kinds])
        self.norm, self.head = nn.LayerNorm(dim), nn.Linear(dim, classes)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1) + self.pos
        return self.head(self.norm(self.blocks(x))[:, 0])


class ChannelsFirstLayerNorm(nn.Module):
    """ConvNeXt's LayerNorm over the channels of an NCHW tensor, written out."""
    def __init__(self, channels, eps=1e-6):
        super().__init__()
        self.weight, self.bias, self.eps = nn.Parameter(torch.ones(channels)), nn.Parameter(torch.zeros(channels)), eps

    def forward(self, x):
        u = x.mean(1, keepdim=True)
        s = (x - u).pow(2).mean(1, keepdim=True)
        x = (x - u) / torch.sqrt(s + self.eps)
        return self.weight[:, None, None] * x + self.bias[:, None, None]


class ConvNeXtBlock(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pw1, self.act, self.pw2 = nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim)
        self.gamma = nn.Parameter(torch.full((dim,), 0.5))

    def forward(self, x):
        h = self.dwconv(x).permute(0, 2, 3, 1)                  # N, H, W, C
        h = self.gamma * self.pw2(self.act(self.pw1(self.norm(h))))
        return x + h.permute(0, 3, 1, 2)


class TinyConvNeXt(nn.Module):
    def __init__(self, dim=16, classes=10):
        super().__init__()
        self.stem, self.stem_norm = nn.Conv2d(3, dim, 2, stride=2), ChannelsFirstLayerNorm(dim)
        self.block = ConvNeXtBlock(dim)
        self.norm, self.head = nn.LayerNorm(dim, eps=1e-6), nn.Linear(dim, classes)

    def forward(self, x):
        x = self.block(self.stem_norm(self.stem(x)))
        return self.head(self.norm(x.mean([-2, -1])))


class MixerBlock(nn.Module):
    def __init__(self, tokens, dim):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.token_mlp = nn.Sequential(nn.Linear(tokens, 2 * tokens), nn.GELU(), nn.Linear(2 * tokens, tokens))
        self.channel_mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def forward(self, x):
        x = x + self.token_mlp(self.norm1(x).transpose(1, 2)).transpose(1, 2)
        return x + self.channel_mlp(self.norm2(x))


class TinyMixer(nn.Module):
    def __init__(self, dim=16, patch=4, image=16, classes=10):
        super().__init__()
        self.patch = nn.Conv2d(3, dim, patch, stride=patch)
        self.block = MixerBlock((image // patch) ** 2, dim)
        self.norm, self.head = nn.LayerNorm(dim), nn.Linear(dim, classes)

    def forward(self, x):
        x = self.block(self.patch(x).flatten(2).transpose(1, 2))
        return self.head(self.norm(x).mean(1))


class Swish(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(x)


class PreActBlock(nn.Module):
    """Pre-activation wide block: BN → Swish → conv → BN → Swish → conv, plus a shortcut."""
    def __init__(self, cin, cout, stride, act1, act2):
        super().__init__()
        self.bn1, self.act1, self.conv1 = nn.BatchNorm2d(cin), act1, nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2, self.act2, self.conv2 = nn.BatchNorm2d(cout), act2, nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.shortcut = nn.Conv2d(cin, cout, 1, stride, bias=False) if stride != 1 or cin != cout else None

    def forward(self, x):
        o = self.act1(self.bn1(x))
        y = self.conv2(self.act2(self.bn2(self.conv1(o))))
        return y + (self.shortcut(o) if self.shortcut is not None else x)


class TinyWideResNet(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.block1 = PreActBlock(8, 16, 1, Swish(), nn.SiLU())
        self.block2 = PreActBlock(16, 16, 2, nn.SiLU(), Swish())
        self.bn, self.act, self.fc = nn.BatchNorm2d(16), nn.SiLU(), nn.Linear(16, classes)

    def forward(self, x):
        x = self.act(self.bn(self.block2(self.block1(self.stem(x)))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class OpsZoo17(nn.Module):
    """Operators on computed tensors at opset 17, each in the form PyTorch 1.13 writes it."""
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, stride=2, padding=1)      # N, 6, 8, 8
        self.hsig, self.hswish, self.mish, self.silu = nn.Hardsigmoid(), nn.Hardswish(), nn.Mish(), nn.SiLU()
        self.norm = nn.LayerNorm([8, 8])
        self.register_buffer("mask", torch.rand(8, 8) > 0.7)
        self.bias = nn.Parameter(torch.randn(1, 1, 8))
        self.fc = nn.Linear(45, 5)

    def forward(self, x):
        h = self.conv(x)
        a, b = torch.split(h, [2, 4], dim=1)                    # Split
        a = self.hswish(a) + self.hsig(a)                       # HardSwish, HardSigmoid
        b = self.mish(b) * self.silu(b)                         # Mish (Softplus, Tanh, Mul), SiLU
        g = self.norm(a)                                        # LayerNormalization over two axes
        s = g.masked_fill(self.mask, -1e4).softmax(dim=-1)      # Where (constant mask), Softmax
        att = s @ a.transpose(-1, -2)                           # MatMul of two computed tensors
        p = F.log_softmax(b, dim=1)                             # LogSoftmax on the channel axis
        feats = [att.amax(dim=-1).flatten(1),                   # ReduceMax: 16
                 p.sum(dim=(2, 3)),                             # ReduceSum: 4
                 b[:, 2, 1:7:2, ::3].flatten(1),                 # Gather, Slice with steps: 9
                 (b[:, :, 0, :] + self.bias.expand(1, 4, 8)).mean(-1),  # Expand, ReduceMean: 4
                 (h[:, :1] * h[:, 1:2]).mean(-1).flatten(1),    # 8
                 (self.bias.repeat(x.shape[0], 4, 1) * h[:, 1:5, 0, :]).mean(-1)]  # Tile over the batch: 4
        return self.fc(torch.cat(feats, dim=1))


class FileHardsigmoid(nn.Module):
    """nn.Hardsigmoid as the exported HardSigmoid computes it: alpha is a float32 attribute,
    float32(1/6), not 1/6. Used for the float64 reference only."""
    def __init__(self, alpha):
        super().__init__()
        self.alpha = alpha

    def forward(self, x):
        return torch.clamp(x * self.alpha + 0.5, 0, 1)


class ManyUnsupported(nn.Module):
    """Sin twice, Cos and Einsum: all reported at once, grouped by operator."""
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.fc = nn.Linear(2 * 6 * 6, 3)

    def forward(self, x):
        h = torch.sin(self.conv(x))
        h = torch.cos(h) + torch.sin(2 * h)
        h = torch.einsum("nchw,nchw->nchw", h, h)
        return self.fc(torch.flatten(h, 1))
