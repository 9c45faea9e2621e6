#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Exports one model-zoo network with PyTorch's own ONNX exporter.

Runs under Debian's python3 (python3-torch 1.13, python3-torchvision 0.14),
not the project's virtual environment: the zoo runner calls it with a JSON
spec on standard input and an output directory:

    /usr/bin/python3 tools/sinan-zoo/export_model.py OUT_DIR < spec.json

The spec names the source (`torchvision:NAME` or `zoo:NAME`, a network
defined below), the inputs (shape, dtype, value range), the ONNX opset and
the seed. It writes OUT_DIR/model.onnx, OUT_DIR/inputs.npz (the fixed input)
and OUT_DIR/torch.npz (PyTorch's outputs for it, keyed by output name).
Nothing is downloaded: weights are drawn from the seed, batch-norm statistics
included, so no layer is an identity.
"""

import json
import math
import pathlib
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


def _randomize(model, gen):
    """Gives batch norms non-trivial affine parameters and statistics, and
    parameters a family initializes to zero (ViT's head, class token) small
    random values, so that no layer is an identity or a constant."""
    for p in model.parameters():
        if p.numel() > 1 and not p.detach().any():
            p.data.copy_(torch.randn(p.shape, generator=gen) * 0.02)
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(n, generator=gen) + 0.5)
            if m.affine:
                m.weight.data.copy_(torch.rand(n, generator=gen) + 0.5)
                m.bias.data.copy_(torch.randn(n, generator=gen) * 0.1)


# --- Networks defined here, in the style their families are written in. ---


class Mlp(nn.Module):
    def __init__(self, sizes=(784, 512, 256, 10)):
        super().__init__()
        layers = []
        for i in range(len(sizes) - 1):
            layers.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i + 2 < len(sizes):
                layers.append(nn.ReLU())
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class SelfAttention(nn.Module):
    """Multi-head attention written as BERT and GPT-2 implementations do."""

    def __init__(self, hidden, heads):
        super().__init__()
        self.heads, self.head_dim = heads, hidden // heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, hidden)

    def split(self, x):
        b, s, _ = x.shape
        return x.view(b, s, self.heads, self.head_dim).permute(0, 2, 1, 3)

    def forward(self, x, bias):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(
            self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        probs = torch.softmax(scores + bias, dim=-1)
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        return self.out(ctx.view(x.shape[0], x.shape[1], -1))


class BertLayer(nn.Module):
    def __init__(self, hidden, heads, ffn):
        super().__init__()
        self.attn = SelfAttention(hidden, heads)
        self.ln1 = nn.LayerNorm(hidden, eps=1e-12)
        self.ffn_in = nn.Linear(hidden, ffn)
        self.ffn_out = nn.Linear(ffn, hidden)
        self.ln2 = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, x, bias):
        x = self.ln1(x + self.attn(x, bias))
        return self.ln2(x + self.ffn_out(F.gelu(self.ffn_in(x))))


class BertEncoder(nn.Module):
    """A BERT-style encoder (post-norm, erf GELU, padding mask, pooler)."""

    def __init__(self, vocab=1000, hidden=256, layers=4, heads=4, ffn=1024,
                 max_len=512):
        super().__init__()
        self.word = nn.Embedding(vocab, hidden)
        self.position = nn.Embedding(max_len, hidden)
        self.token_type = nn.Embedding(2, hidden)
        self.ln = nn.LayerNorm(hidden, eps=1e-12)
        self.layers = nn.ModuleList(
            BertLayer(hidden, heads, ffn) for _ in range(layers))
        self.pooler = nn.Linear(hidden, hidden)

    def forward(self, input_ids, attention_mask):
        seq = input_ids.shape[1]
        positions = torch.arange(seq, dtype=torch.long).unsqueeze(0)
        x = self.word(input_ids) + self.position(positions) + self.token_type(
            torch.zeros_like(input_ids))
        x = self.ln(x)
        bias = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -10000.0
        for layer in self.layers:
            x = layer(x, bias)
        return x, torch.tanh(self.pooler(x[:, 0]))


class GptBlock(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        self.ln1 = nn.LayerNorm(hidden)
        self.attn = SelfAttention(hidden, heads)
        self.ln2 = nn.LayerNorm(hidden)
        self.fc = nn.Linear(hidden, 4 * hidden)
        self.proj = nn.Linear(4 * hidden, hidden)

    def forward(self, x, bias):
        x = x + self.attn(self.ln1(x), bias)
        return x + self.proj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class GptDecoder(nn.Module):
    """A GPT-2-style decoder's prefill: pre-norm, causal mask, tied head."""

    def __init__(self, vocab=2000, hidden=256, layers=4, heads=4, max_len=256):
        super().__init__()
        self.wte = nn.Embedding(vocab, hidden)
        self.wpe = nn.Embedding(max_len, hidden)
        self.blocks = nn.ModuleList(GptBlock(hidden, heads)
                                    for _ in range(layers))
        self.ln_f = nn.LayerNorm(hidden)
        causal = torch.tril(torch.ones(max_len, max_len, dtype=torch.bool))
        self.register_buffer("causal", causal.view(1, 1, max_len, max_len))

    def forward(self, input_ids):
        seq = input_ids.shape[1]
        positions = torch.arange(seq, dtype=torch.long).unsqueeze(0)
        x = self.wte(input_ids) + self.wpe(positions)
        mask = self.causal[:, :, :seq, :seq]
        bias = torch.zeros(mask.shape, dtype=x.dtype).masked_fill(
            ~mask, torch.finfo(x.dtype).min)
        for block in self.blocks:
            x = block(x, bias)
        return torch.matmul(self.ln_f(x), self.wte.weight.t())


def _conv_bn_silu(cin, cout, k=3, s=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, s, k // 2, bias=False),
                         nn.BatchNorm2d(cout), nn.SiLU())


class TinyYolo(nn.Module):
    """A YOLO-style detector: strided backbone, top-down FPN with nearest
    upsampling and concatenation, a head per scale decoded with sigmoid and
    flattened to (batch, anchors, 5 + classes)."""

    def __init__(self, classes=20, anchors=3):
        super().__init__()
        self.no = 5 + classes
        self.anchors = anchors
        self.stem = _conv_bn_silu(3, 16, 3, 2)
        self.c2 = _conv_bn_silu(16, 32, 3, 2)
        self.c3 = nn.Sequential(_conv_bn_silu(32, 64, 3, 2),
                                _conv_bn_silu(64, 64, 3))
        self.c4 = nn.Sequential(_conv_bn_silu(64, 128, 3, 2),
                                _conv_bn_silu(128, 128, 3))
        self.c5 = nn.Sequential(_conv_bn_silu(128, 256, 3, 2),
                                _conv_bn_silu(256, 128, 1))
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.p4 = _conv_bn_silu(256, 128, 3)
        self.p3 = _conv_bn_silu(192, 64, 3)
        self.heads = nn.ModuleList(
            nn.Conv2d(c, anchors * self.no, 1) for c in (64, 128, 128))

    def forward(self, x):
        c3 = self.c3(self.c2(self.stem(x)))
        c4 = self.c4(c3)
        c5 = self.c5(c4)
        p4 = self.p4(torch.cat([self.up(c5), c4], 1))
        p3 = self.p3(torch.cat([self.up(p4), c3], 1))
        outs = []
        for head, feature in zip(self.heads, (p3, p4, c5)):
            y = head(feature)
            b, _, h, w = y.shape
            y = y.view(b, self.anchors, self.no, h, w).permute(0, 1, 3, 4, 2)
            outs.append(torch.sigmoid(y).reshape(b, -1, self.no))
        return torch.cat(outs, 1)


def _vit_tiny():
    return torchvision.models.VisionTransformer(
        image_size=224, patch_size=16, num_layers=4, num_heads=3,
        hidden_dim=192, mlp_dim=768, num_classes=100)


def _lraspp():
    return torchvision.models.segmentation.lraspp_mobilenet_v3_large(
        weights=None, weights_backbone=None, num_classes=21)


class _OutOnly(nn.Module):
    """Returns the `out` entry of a segmentation model's dict."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)["out"]


ZOO = {
    "mlp": Mlp,
    "bert_encoder": BertEncoder,
    "gpt_decoder": GptDecoder,
    "tiny_yolo": TinyYolo,
    "vit_tiny": _vit_tiny,
    "lraspp_mobilenet_v3": lambda: _OutOnly(_lraspp()),
}


def build(source):
    kind, _, name = source.partition(":")
    if kind == "torchvision":
        fn = getattr(torchvision.models, name, None)
        if fn is None:
            raise SystemExit(f"export_model: torchvision has no model '{name}'")
        return fn(weights=None)
    if kind == "zoo":
        if name not in ZOO:
            raise SystemExit(f"export_model: no zoo network '{name}' "
                             f"(known: {', '.join(sorted(ZOO))})")
        return ZOO[name]()
    raise SystemExit(f"export_model: source '{source}': expected "
                     "torchvision:NAME or zoo:NAME")


_DTYPES = {"float32": (torch.float32, np.float32),
           "int64": (torch.int64, np.int64)}


def make_inputs(spec, gen):
    """The fixed input of every model input, drawn from its value range."""
    tensors = {}
    for name, inp in spec["inputs"].items():
        torch_dtype, _ = _DTYPES[inp["dtype"]]
        lo, hi = inp["range"]
        if torch_dtype.is_floating_point:
            t = torch.rand(inp["shape"], generator=gen) * (hi - lo) + lo
        else:
            t = torch.randint(int(lo), int(hi) + 1, inp["shape"],
                              generator=gen)
        tensors[name] = t
    return tensors


def main():
    out_dir = pathlib.Path(sys.argv[1])
    spec = json.load(sys.stdin)
    torch.manual_seed(spec["seed"])
    gen = torch.Generator().manual_seed(spec["seed"])
    model = build(spec["source"])
    with torch.no_grad():
        _randomize(model, gen)
    model.eval()
    inputs = make_inputs(spec, gen)
    names = list(inputs)
    args = tuple(inputs[n] for n in names)
    with torch.no_grad():
        result = model(*args)
    results = result if isinstance(result, (tuple, list)) else (result,)
    output_names = spec.get("outputs") or (
        ["output"] if len(results) == 1 else
        [f"output{i}" for i in range(len(results))])
    if len(output_names) != len(results):
        raise SystemExit(f"export_model: the model has {len(results)} outputs, "
                         f"the config names {len(output_names)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(model, args, str(out_dir / "model.onnx"),
                          input_names=names, output_names=output_names,
                          opset_version=spec["opset"], do_constant_folding=True)
    np.savez(out_dir / "inputs.npz", **{n: t.numpy() for n, t in inputs.items()})
    np.savez(out_dir / "torch.npz",
             **{n: r.numpy() for n, r in zip(output_names, results)})


if __name__ == "__main__":
    main()
