# SPDX-License-Identifier: Apache-2.0
"""Random ONNX graphs for differential testing, seeded and reproducible.

`generate(seed)` builds a valid opset-17 graph of 1-30 nodes drawn from ops
Sinan imports: elementwise unary and binary ops (with numpy broadcasting),
Clip, activations as exporters write them (GELU's five ops, SiLU,
HardSigmoid, HardSwish, Softplus, PRelu, Elu, Selu), MatMul, Gemm and
Einsum, Conv (groups, depthwise, stride, dilation, padding), ConvTranspose,
Resize (nearest and linear, each coordinate convention), BatchNormalization,
pooling, Softmax/LogSoftmax, Layer/Instance/Lp normalization, reductions,
multi-head self-attention as PyTorch exports it, layout ops (Transpose,
Reshape, Flatten, Concat, Slice, Split, Tile, DepthToSpace, SpaceToDepth)
and shape ops (Pad, Unsqueeze, Squeeze, Expand, Gather, Where), CumSum,
Sum/Mean and Pow. Shapes favour 1-sized and odd dimensions
and the SNPU's tile boundaries (15/16/17, 31/32/33, 63/64/65). Values stay
in ranges where every op is defined: Log, Sqrt and Reciprocal read
abs(x) + 0.5, Exp reads tanh(x) * 3, a divisor is abs(x) + 0.5. The same
seed gives the same graph and inputs on every machine (numpy's PCG64).
"""

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
# Sizes a dimension is drawn from: small, odd and around tile boundaries.
DIMS = [1, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65]
SPATIAL = [1, 2, 3, 5, 7, 8, 9, 12, 14, 15, 16, 17, 28, 31, 33]
MAX_ELEMENTS = 1 << 16


class Graph:
    """A graph under construction: values with static shapes."""

    def __init__(self, rng, prefix=""):
        self.rng = rng
        self.prefix = prefix
        self.nodes, self.inputs, self.inits = [], [], []
        self.shapes = {}  # value name -> shape (tuple)
        self.used = set()
        self.consts = set()
        self.feeds = {}  # input name -> array
        self.counter = 0

    def name(self, stem):
        self.counter += 1
        return f"{self.prefix}{stem}{self.counter}"

    def add_input(self, shape):
        name = self.name("in")
        self.inputs.append(helper.make_tensor_value_info(
            name, TensorProto.FLOAT, list(shape)))
        self.feeds[name] = self.rng.standard_normal(shape).astype(np.float32)
        self.shapes[name] = tuple(shape)
        return name

    def add_const(self, array, dtype=np.float32):
        name = self.name("c")
        self.inits.append(numpy_helper.from_array(np.asarray(array, dtype),
                                                  name))
        self.shapes[name] = tuple(np.asarray(array).shape)
        self.consts.add(name)
        return name

    def node(self, op, inputs, shape, **attrs):
        out = self.name(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out],
                                           name=self.name("n_" + op), **attrs))
        self.used.update(inputs)
        self.shapes[out] = tuple(shape)
        return out

    def node_multi(self, op, inputs, shapes, **attrs):
        """A node with one output per shape of `shapes` (Split)."""
        outs = [self.name(op.lower()) for _ in shapes]
        self.nodes.append(helper.make_node(op, inputs, outs,
                                           name=self.name("n_" + op), **attrs))
        self.used.update(inputs)
        for out, shape in zip(outs, shapes):
            self.shapes[out] = tuple(shape)
        return outs

    def ints(self, values):
        """An int64 constant (axes, shapes, pads, repeats)."""
        return self.add_const(np.array(values, np.int64), np.int64)

    def float_values(self):
        """Values computed or fed (not constants)."""
        return [v for v in self.shapes if v not in self.consts]


def _size(shape):
    return int(np.prod(shape)) if shape else 1


def _random_shape(rng, rank=None):
    rank = rank if rank is not None else int(rng.integers(1, 5))
    for _ in range(20):
        shape = tuple(int(rng.choice(DIMS)) for _ in range(rank))
        if _size(shape) <= MAX_ELEMENTS:
            return shape
    return tuple([1] * rank)


def _broadcast_partner(rng, shape):
    """A shape that broadcasts with `shape` to `shape`: a suffix, with some
    dimensions set to 1."""
    rank = int(rng.integers(0, len(shape) + 1))
    suffix = list(shape[len(shape) - rank:])
    for i in range(rank):
        if rng.random() < 0.3:
            suffix[i] = 1
    return tuple(suffix)


# --- ops: each returns the new value's name, or None when it cannot apply.

UNARY = ["Relu", "Neg", "Abs", "Tanh", "Sigmoid", "Erf", "Elu", "Selu",
         "Softsign", "HardSwish", "Sin", "Cos", "Atan", "Asinh"]
# Steps: any rounding before them (the SNPU's bf16 products) moves a value
# across an integer, so they read graph inputs only.
STEPS = ["Floor", "Ceil"]
SAFE_UNARY = ["Log", "Sqrt", "Reciprocal"]  # Read abs(x) + 0.5.


def _positive(g, x):
    a = g.node("Abs", [x], g.shapes[x])
    return g.node("Add", [a, g.add_const(np.float32(0.5))], g.shapes[x])


def op_unary(g, x):
    rng = g.rng
    r = rng.random()
    if r < 0.55:
        ops = UNARY + (STEPS if x in g.feeds else [])
        return g.node(str(rng.choice(ops)), [x], g.shapes[x])
    if r < 0.75:
        return g.node(str(rng.choice(SAFE_UNARY)), [_positive(g, x)],
                      g.shapes[x])
    if r < 0.85:
        t = g.node("Tanh", [x], g.shapes[x])
        t3 = g.node("Mul", [t, g.add_const(np.float32(3.0))], g.shapes[x])
        return g.node("Exp", [t3], g.shapes[x])
    if r < 0.93:
        return g.node("LeakyRelu", [x], g.shapes[x],
                      alpha=float(rng.choice([0.01, 0.1, 0.2])))
    lo = float(rng.choice([-1.0, 0.0, -0.5]))
    hi = float(rng.choice([0.5, 1.0, 6.0]))
    return g.node("Clip", [x, g.add_const(np.float32(lo)),
                           g.add_const(np.float32(hi))], g.shapes[x])


def op_binary(g, x):
    rng = g.rng
    shape = g.shapes[x]
    op = str(rng.choice(["Add", "Sub", "Mul", "Div", "Max", "Min"]))
    partner = _broadcast_partner(rng, shape)
    # Another value of a compatible shape when there is one, else a new
    # input or a constant.
    same = [v for v in g.float_values() if g.shapes[v] == partner and v != x]
    if same and rng.random() < 0.5:
        y = str(rng.choice(same))
    elif rng.random() < 0.5:
        y = g.add_input(partner)
    else:
        y = g.add_const(rng.standard_normal(partner).astype(np.float32))
    if op == "Div":
        y = _positive(g, y)
    ins = [x, y] if rng.random() < 0.7 else [y, x]
    if op == "Div":
        ins = [x, y]
    return g.node(op, ins, shape)


def op_matmul(g, x):
    rng = g.rng
    shape = g.shapes[x]
    if len(shape) < 2:
        return None
    k = shape[-1]
    n = int(rng.choice(DIMS))
    if _size(shape[:-1]) * n > MAX_ELEMENTS or k * n > MAX_ELEMENTS:
        return None
    if len(shape) == 2 and rng.random() < 0.4:
        # Gemm, maybe with transB, a bias row and alpha/beta.
        trans_b = int(rng.random() < 0.5)
        w = rng.standard_normal((n, k) if trans_b else (k, n)) * 0.3
        ins = [x, g.add_const(w.astype(np.float32))]
        attrs = {"transB": trans_b}
        if rng.random() < 0.7:
            ins.append(g.add_const(rng.standard_normal(n).astype(np.float32)))
            attrs["beta"] = float(rng.choice([1.0, 0.5]))
        attrs["alpha"] = float(rng.choice([1.0, 1.0, 0.25]))
        return g.node("Gemm", ins, (shape[0], n), **attrs)
    batch = shape[:-2]
    if rng.random() < 0.3 and batch:
        wshape = tuple(batch[len(batch) - int(rng.integers(1, len(batch) + 1)):]) + (k, n)
    else:
        wshape = (k, n)
    if _size(wshape) > MAX_ELEMENTS:
        wshape = (k, n)
    if rng.random() < 0.3:
        w = g.add_input(wshape)  # Activations times activations.
    else:
        w = g.add_const((rng.standard_normal(wshape) * 0.3).astype(np.float32))
    return g.node("MatMul", [x, w], shape[:-1] + (n,))


def _nchw(g, x):
    """`x` as NCHW: rank-4 values as they are, others skipped."""
    return x if len(g.shapes[x]) == 4 else None


def _conv_like(g, op, x, weight_shape, fan_in, bias_chance, shape, **attrs):
    """A Conv or ConvTranspose of `x`: weights of `weight_shape` scaled by
    1/sqrt(fan_in), a bias of shape[1] with probability `bias_chance`."""
    rng = g.rng
    weights = rng.standard_normal(weight_shape) / np.sqrt(fan_in)
    ins = [x, g.add_const(weights.astype(np.float32))]
    if rng.random() < bias_chance:
        ins.append(g.add_const(rng.standard_normal(shape[1]).astype(
            np.float32)))
    return g.node(op, ins, shape, **attrs)


def op_conv(g, x):
    rng = g.rng
    x = _nchw(g, x)
    if x is None:
        return None
    n, c, h, w = g.shapes[x]
    kind = rng.random()
    if kind < 0.3:
        group = c  # Depthwise, maybe with a channel multiplier.
        f = c * int(rng.choice([1, 1, 1, 2]))
    elif kind < 0.45 and c > 1:
        divisors = [d for d in range(2, c + 1) if c % d == 0]
        group = int(rng.choice(divisors))
        f = group * int(rng.choice([1, 2, 3, 8]))
    else:
        group = 1
        f = int(rng.choice([1, 3, 8, 16, 17, 32, 33]))
    k = int(rng.choice([1, 1, 3, 3, 3, 5, 7]))
    stride = int(rng.choice([1, 1, 1, 2, 2, 3]))
    dilation = int(rng.choice([1, 1, 1, 2]))
    pads = [int(rng.integers(0, k)) for _ in range(4)] if rng.random() < 0.3 \
        else [k // 2 * dilation] * 4
    reach = dilation * (k - 1) + 1
    oh = (h + pads[0] + pads[2] - reach) // stride + 1
    ow = (w + pads[1] + pads[3] - reach) // stride + 1
    if oh < 1 or ow < 1 or n * f * oh * ow > MAX_ELEMENTS:
        return None
    return _conv_like(g, "Conv", x, (f, c // group, k, k),
                      (c // group) * k * k, 0.7, (n, f, oh, ow), group=group,
                      pads=pads, strides=[stride, stride],
                      dilations=[dilation, dilation], kernel_shape=[k, k])


def op_pool(g, x):
    rng = g.rng
    x = _nchw(g, x)
    if x is None:
        return None
    n, c, h, w = g.shapes[x]
    r = rng.random()
    if r < 0.25:
        return g.node("GlobalAveragePool", [x], (n, c, 1, 1))
    k = int(rng.choice([2, 3]))
    stride = int(rng.choice([1, 2]))
    pad = int(rng.integers(0, k // 2 + 1))
    oh = (h + 2 * pad - k) // stride + 1
    ow = (w + 2 * pad - k) // stride + 1
    if oh < 1 or ow < 1:
        return None
    op = "MaxPool" if r < 0.6 else "AveragePool"
    attrs = dict(kernel_shape=[k, k], strides=[stride, stride],
                 pads=[pad] * 4)
    if op == "AveragePool":
        attrs["count_include_pad"] = int(rng.random() < 0.5)
    return g.node(op, [x], (n, c, oh, ow), **attrs)


def op_normalize(g, x):
    rng = g.rng
    shape = g.shapes[x]
    axis = int(rng.integers(-len(shape), len(shape)))
    r = rng.random()
    if r < 0.35:
        return g.node("Softmax", [x], shape, axis=axis)
    if r < 0.45:
        return g.node("LogSoftmax", [x], shape, axis=axis)
    if r < 0.55:
        # Over each (image, channel) of a rank >= 3 value.
        if len(shape) < 3 or _size(shape[2:]) < 2:
            return None
        c = shape[1]
        return g.node("InstanceNormalization",
                      [x, g.add_const((1 + 0.1 * rng.standard_normal(c))
                                      .astype(np.float32)),
                       g.add_const((0.1 * rng.standard_normal(c))
                                   .astype(np.float32))],
                      shape, epsilon=1e-5)
    if r < 0.62:
        return g.node("LpNormalization", [x], shape, axis=axis,
                      p=int(rng.choice([1, 2])))
    # LayerNormalization over the trailing axes from `axis` (more than one
    # element: onnxruntime refuses one).
    norm = shape[axis % len(shape):]
    if _size(norm) < 2:
        return None
    scale = g.add_const((1 + 0.1 * rng.standard_normal(norm)).astype(
        np.float32))
    bias = g.add_const((0.1 * rng.standard_normal(norm)).astype(np.float32))
    return g.node("LayerNormalization", [x, scale, bias], shape, axis=axis,
                  epsilon=1e-5)


def op_reduce(g, x):
    rng = g.rng
    shape = g.shapes[x]
    rank = len(shape)
    count = int(rng.integers(1, rank + 1))
    axes = sorted(int(a) for a in rng.choice(rank, count, replace=False))
    keep = int(rng.random() < 0.5)
    out = tuple(1 if i in axes else d for i, d in enumerate(shape)) if keep \
        else tuple(d for i, d in enumerate(shape) if i not in axes)
    op = str(rng.choice(["ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin",
                         "ReduceSumSquare", "ReduceLogSumExp",
                         "ReduceProd"]))
    if op == "ReduceProd" and _size([shape[a] for a in axes]) > 6:
        op = "ReduceMean"  # A product of many normals under- or overflows.
    if op == "ReduceSum":  # Axes are an input from opset 13.
        return g.node(op, [x, g.add_const(np.array(axes, np.int64),
                                          np.int64)], out, keepdims=keep)
    return g.node(op, [x], out, axes=axes, keepdims=keep)


def op_layout(g, x):
    rng = g.rng
    shape = g.shapes[x]
    rank = len(shape)
    r = rng.random()
    if r < 0.3 and rank >= 2:
        perm = [int(p) for p in rng.permutation(rank)]
        return g.node("Transpose", [x], tuple(shape[p] for p in perm),
                      perm=perm)
    if r < 0.5:
        # Reshape to a random factorization (with -1 somewhere).
        total = _size(shape)
        dims, rest = [], total
        for _ in range(int(rng.integers(0, 3))):
            divisors = [d for d in (1, 2, 3, 4, 5, 7, 8, 16) if rest % d == 0]
            d = int(rng.choice(divisors))
            dims.append(d)
            rest //= d
        dims.append(rest)
        target = list(dims)
        if rng.random() < 0.5:
            target[int(rng.integers(0, len(target)))] = -1
        return g.node("Reshape", [x, g.add_const(np.array(target, np.int64),
                                                 np.int64)], tuple(dims))
    if r < 0.6 and rank >= 2:
        axis = int(rng.integers(0, rank + 1))
        out = (_size(shape[:axis]), _size(shape[axis:]))
        return g.node("Flatten", [x], out, axis=axis)
    if r < 0.8:
        axis = int(rng.integers(0, rank))
        partner = list(shape)
        partner[axis] = int(rng.choice([1, 2, 3, 5, 16]))
        if _size(partner) + _size(shape) > MAX_ELEMENTS:
            return None
        other = g.add_input(tuple(partner))
        ins = [x, other] if rng.random() < 0.5 else [other, x]
        out = list(shape)
        out[axis] += partner[axis]
        return g.node("Concat", ins, tuple(out), axis=axis)
    axis = int(rng.integers(0, rank))
    d = shape[axis]
    start = int(rng.integers(0, d))
    end = int(rng.integers(start + 1, d + 1))
    step = int(rng.choice([1, 1, 2])) if end - start > 1 else 1
    out = list(shape)
    out[axis] = len(range(start, end, step))
    return g.node("Slice", [x, g.add_const(np.array([start], np.int64),
                                           np.int64),
                            g.add_const(np.array([end], np.int64), np.int64),
                            g.add_const(np.array([axis], np.int64), np.int64),
                            g.add_const(np.array([step], np.int64),
                                        np.int64)], tuple(out))


def op_activation(g, x):
    """Activations as exporters write them: GELU (erf form, the five ops
    PyTorch emits), SiLU (x * sigmoid(x)), HardSigmoid, Softplus, PRelu."""
    rng = g.rng
    shape = g.shapes[x]
    r = rng.random()
    if r < 0.3:
        d = g.node("Div", [x, g.add_const(np.float32(1.4142135))], shape)
        e = g.node("Erf", [d], shape)
        one = g.node("Add", [e, g.add_const(np.float32(1.0))], shape)
        m = g.node("Mul", [x, one], shape)
        return g.node("Mul", [m, g.add_const(np.float32(0.5))], shape)
    if r < 0.55:
        return g.node("Mul", [x, g.node("Sigmoid", [x], shape)], shape)
    if r < 0.7:
        return g.node("HardSigmoid", [x], shape, alpha=0.2, beta=0.5)
    if r < 0.85:
        t = g.node("Tanh", [x], shape)  # Keeps exp's argument small.
        return g.node("Softplus", [t], shape)
    slope_shape = (shape[1], 1, 1) if len(shape) == 4 else shape[-1:]
    slope = (0.25 * rng.standard_normal(slope_shape)).astype(np.float32)
    return g.node("PRelu", [x, g.add_const(slope)], shape)


def op_batchnorm(g, x):
    x = _nchw(g, x)
    if x is None:
        return None
    rng = g.rng
    c = g.shapes[x][1]
    params = [1 + 0.1 * rng.standard_normal(c), 0.1 * rng.standard_normal(c),
              0.1 * rng.standard_normal(c), 0.5 + rng.random(c)]
    return g.node("BatchNormalization",
                  [x] + [g.add_const(p.astype(np.float32)) for p in params],
                  g.shapes[x], epsilon=1e-5)


def op_shape(g, x):
    """Pad, Unsqueeze/Squeeze, Expand, Gather, Where."""
    rng = g.rng
    shape = g.shapes[x]
    rank = len(shape)
    r = rng.random()
    if r < 0.25 and rank >= 1:
        pads = [int(rng.integers(0, 3)) for _ in range(2 * rank)]
        out = tuple(d + pads[i] + pads[i + rank] for i, d in enumerate(shape))
        if _size(out) > MAX_ELEMENTS:
            return None
        return g.node("Pad", [x, g.add_const(np.array(pads, np.int64),
                                             np.int64),
                              g.add_const(np.float32(rng.choice([0.0, 1.5])))],
                      out)
    if r < 0.45 and rank < 4:
        axis = int(rng.integers(0, rank + 1))
        out = shape[:axis] + (1,) + shape[axis:]
        u = g.node("Unsqueeze", [x, g.add_const(np.array([axis], np.int64),
                                                 np.int64)], out)
        if rng.random() < 0.5:
            return u
        return g.node("Squeeze", [u, g.add_const(np.array([axis], np.int64),
                                                 np.int64)], shape)
    if r < 0.6 and 1 in shape:
        out = tuple(int(rng.choice([2, 3, 5])) if d == 1 else d for d in shape)
        if _size(out) > MAX_ELEMENTS:
            return None
        return g.node("Expand", [x, g.add_const(np.array(out, np.int64),
                                                np.int64)], out)
    if r < 0.8 and rank >= 1:
        axis = int(rng.integers(0, rank))
        count = int(rng.integers(1, 6))
        indices = rng.integers(-shape[axis], shape[axis], count)
        out = shape[:axis] + (count,) + shape[axis + 1:]
        return g.node("Gather", [x, g.add_const(indices.astype(np.int64),
                                                np.int64)], out, axis=axis)
    other = g.add_const(rng.standard_normal(shape).astype(np.float32))
    mask = g.node("Greater", [x, g.add_const(np.float32(0.0))], shape)
    g.consts.add(mask)  # Boolean: no float op may read it.
    return g.node("Where", [mask, x, other], shape)


def op_conv_transpose(g, x):
    """ConvTranspose as decoders and segmentation heads use it: stride 1-3,
    output padding, groups (depthwise included), asymmetric padding."""
    rng = g.rng
    x = _nchw(g, x)
    if x is None:
        return None
    n, c, h, w = g.shapes[x]
    group = c if rng.random() < 0.2 else 1
    f = group * int(rng.choice([1, 2])) if group > 1 else \
        int(rng.choice([1, 3, 8, 16, 17]))
    k = int(rng.choice([1, 2, 3, 4]))
    stride = int(rng.choice([1, 2, 2, 3]))
    dilation = int(rng.choice([1, 1, 1, 2]))
    pads = [int(rng.integers(0, k)) for _ in range(4)]
    out_pad = [int(rng.integers(0, stride)) for _ in range(2)]
    reach = dilation * (k - 1) + 1
    oh = (h - 1) * stride - pads[0] - pads[2] + reach + out_pad[0]
    ow = (w - 1) * stride - pads[1] - pads[3] + reach + out_pad[1]
    if oh < 1 or ow < 1 or n * f * oh * ow > MAX_ELEMENTS:
        return None
    return _conv_like(g, "ConvTranspose", x, (c, f // group, k, k),
                      (c // group) * k * k, 0.6, (n, f, oh, ow), group=group,
                      pads=pads, strides=[stride, stride],
                      dilations=[dilation, dilation], kernel_shape=[k, k],
                      output_padding=out_pad)


def op_resize(g, x):
    """Resize of the spatial dimensions by 2 or 1/2, nearest or linear, with
    the coordinate conventions exporters emit."""
    rng = g.rng
    x = _nchw(g, x)
    if x is None:
        return None
    n, c, h, w = g.shapes[x]
    scale = float(rng.choice([2.0, 2.0, 0.5]))
    oh, ow = int(np.floor(h * scale)), int(np.floor(w * scale))
    if oh < 1 or ow < 1 or n * c * oh * ow > MAX_ELEMENTS:
        return None
    attrs = {}
    if rng.random() < 0.5:
        attrs["mode"] = "nearest"
        attrs["coordinate_transformation_mode"] = str(rng.choice(
            ["asymmetric", "half_pixel"]))
        attrs["nearest_mode"] = str(rng.choice(
            ["floor", "round_prefer_floor", "round_prefer_ceil"]))
    else:
        attrs["mode"] = "linear"
        attrs["coordinate_transformation_mode"] = str(rng.choice(
            ["half_pixel", "pytorch_half_pixel", "align_corners",
             "asymmetric"]))
        if attrs["coordinate_transformation_mode"] == "align_corners" and \
                (h * scale != oh or w * scale != ow):
            # Where in * scale is fractional, ONNX's reference implementation
            # (and Sinan, and the node tests it generated) divide by the
            # unrounded length, onnxruntime and PyTorch by the output's:
            # the spec is ambiguous there (seed 1796379124).
            attrs["coordinate_transformation_mode"] = "half_pixel"
    scales = g.add_const(np.array([1, 1, scale, scale], np.float32))
    return g.node("Resize", [x, "", scales], (n, c, oh, ow), **attrs)


def op_attention(g, x):
    """Multi-head self-attention as PyTorch exports it from a [batch, seq,
    hidden] value: projections, heads split by Reshape and Transpose,
    Q K^T scaled, an optional causal mask, Softmax, times V, heads merged
    and projected."""
    rng = g.rng
    shape = g.shapes[x]
    if len(shape) != 3:
        return None
    b, s, d = shape
    heads = [hh for hh in (1, 2, 4) if d % hh == 0 and d // hh >= 2]
    if not heads:
        return None
    h = int(rng.choice(heads))
    dh = d // h
    if b * h * s * s > MAX_ELEMENTS or d * d > MAX_ELEMENTS:
        return None

    def project(value):
        w = (rng.standard_normal((d, d)) / np.sqrt(d)).astype(np.float32)
        return g.node("MatMul", [value, g.add_const(w)], (b, s, d))

    def heads_of(value, perm):
        r = g.node("Reshape", [value, g.ints([b, s, h, dh])], (b, s, h, dh))
        dims = (b, s, h, dh)
        return g.node("Transpose", [r], tuple(dims[p] for p in perm),
                      perm=perm)

    q = heads_of(project(x), [0, 2, 1, 3])
    k = heads_of(project(x), [0, 2, 3, 1])
    v = heads_of(project(x), [0, 2, 1, 3])
    scores = g.node("MatMul", [q, k], (b, h, s, s))
    scores = g.node("Mul", [scores, g.add_const(np.float32(1 / np.sqrt(dh)))],
                    (b, h, s, s))
    if rng.random() < 0.4:
        mask = np.triu(np.full((s, s), -1e4, np.float32), 1)
        scores = g.node("Add", [scores, g.add_const(mask)], (b, h, s, s))
    probs = g.node("Softmax", [scores], (b, h, s, s), axis=-1)
    o = g.node("MatMul", [probs, v], (b, h, s, dh))
    o = g.node("Transpose", [o], (b, s, h, dh), perm=[0, 2, 1, 3])
    o = g.node("Reshape", [o, g.ints([b, s, d])], (b, s, d))
    return project(o)


def op_misc(g, x):
    """Split, Tile, DepthToSpace/SpaceToDepth, CumSum, variadic Sum/Mean,
    Pow on a positive base, Einsum."""
    rng = g.rng
    shape = g.shapes[x]
    rank = len(shape)
    r = rng.random()
    if r < 0.2:
        axis = int(rng.integers(0, rank))
        if shape[axis] < 2:
            return None
        cut = int(rng.integers(1, shape[axis]))
        sizes = [cut, shape[axis] - cut]
        shapes = [shape[:axis] + (n,) + shape[axis + 1:] for n in sizes]
        return g.node_multi("Split", [x, g.ints(sizes)], shapes, axis=axis)[
            int(rng.integers(0, 2))]
    if r < 0.3:
        repeats = [int(rng.choice([1, 1, 2, 3])) for _ in shape]
        out = tuple(d * m for d, m in zip(shape, repeats))
        if _size(out) > MAX_ELEMENTS:
            return None
        return g.node("Tile", [x, g.ints(repeats)], out)
    if r < 0.4:
        if rank != 4:
            return None
        n, c, h, w = shape
        if c % 4 == 0 and rng.random() < 0.5:
            return g.node("DepthToSpace", [x], (n, c // 4, h * 2, w * 2),
                          blocksize=2, mode=str(rng.choice(["DCR", "CRD"])))
        if h % 2 or w % 2:
            return None
        return g.node("SpaceToDepth", [x], (n, c * 4, h // 2, w // 2),
                      blocksize=2)
    if r < 0.5:
        axis = int(rng.integers(-rank, rank))
        return g.node("CumSum", [x, g.add_const(np.array(axis, np.int64),
                                                np.int64)], shape,
                      exclusive=int(rng.random() < 0.3),
                      reverse=int(rng.random() < 0.3))
    if r < 0.65:
        others = [g.add_const(rng.standard_normal(_broadcast_partner(
            rng, shape)).astype(np.float32)) for _ in range(
                int(rng.integers(1, 3)))]
        return g.node(str(rng.choice(["Sum", "Mean"])), [x] + others, shape)
    if r < 0.8:
        exponent = np.float32(rng.choice([2.0, 3.0, 0.5, -1.0, 1.5]))
        return g.node("Pow", [_positive(g, x), g.add_const(exponent)], shape)
    if rank == 2:
        k = int(rng.choice(DIMS))
        w = (rng.standard_normal((k, shape[1])) * 0.3).astype(np.float32)
        return g.node("Einsum", [x, g.add_const(w)], (shape[0], k),
                      equation="ij,kj->ik")
    if rank == 3:
        k = int(rng.choice(DIMS))
        w = (rng.standard_normal((shape[2], k)) * 0.3).astype(np.float32)
        if shape[0] * shape[1] * k > MAX_ELEMENTS:
            return None
        return g.node("Einsum", [x, g.add_const(w)], shape[:2] + (k,),
                      equation="bij,jk->bik")
    return None


OPS = [(op_unary, 4), (op_binary, 4), (op_matmul, 2), (op_conv, 3),
       (op_pool, 1), (op_normalize, 1), (op_reduce, 1), (op_layout, 2),
       (op_activation, 2), (op_batchnorm, 1), (op_shape, 2),
       (op_conv_transpose, 1), (op_resize, 1), (op_attention, 0.5),
       (op_misc, 2)]


def generate(seed, prefix="", max_nodes=30):
    """A random graph (model, feeds) from `seed`: names start with
    `prefix`, so several graphs can share one model."""
    rng = np.random.default_rng(seed)
    g = Graph(rng, prefix)
    # Image-like or general first input.
    if rng.random() < 0.5:
        c = int(rng.choice([1, 3, 4, 8, 16, 17, 24, 32]))
        h = int(rng.choice(SPATIAL))
        w = int(rng.choice(SPATIAL))
        g.add_input((1, c, h, w))
    else:
        g.add_input(_random_shape(rng))
    target = int(rng.integers(1, max_nodes + 1))
    weights = np.array([w for _, w in OPS], float)
    attempts = 0
    while len(g.nodes) < target and attempts < 10 * max_nodes:
        attempts += 1
        # Prefer recent values, so graphs grow deep as well as wide.
        values = g.float_values()
        x = values[-1 - int(min(rng.exponential(2.0), len(values) - 1))]
        op = OPS[int(rng.choice(len(OPS), p=weights / weights.sum()))][0]
        if not g.shapes[x] and op not in (op_unary, op_binary):
            continue  # A scalar: elementwise ops only.
        op(g, x)
    produced = [o for n in g.nodes for o in n.output]
    outputs = [v for v in produced if v not in g.used]
    if not outputs:
        # No node yet: a single Identity keeps the graph valid.
        outputs = [g.node("Identity", [g.inputs[0].name],
                          g.shapes[g.inputs[0].name])]
    return g, outputs


def to_model(graphs):
    """One model holding every (graph, outputs) of `graphs` side by side."""
    nodes, inputs, inits, outs, feeds = [], [], [], [], {}
    for g, outputs in graphs:
        nodes += g.nodes
        inputs += g.inputs
        inits += g.inits
        outs += [helper.make_tensor_value_info(o, TensorProto.FLOAT,
                                               list(g.shapes[o]))
                 for o in outputs]
        feeds.update(g.feeds)
    graph = helper.make_graph(nodes, "difftest", inputs, outs, inits)
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8  # What the pinned onnxruntime reads.
    # Strict shape inference: the generator's shapes must be ONNX's.
    onnx.checker.check_model(model, full_check=True)
    return model, feeds
