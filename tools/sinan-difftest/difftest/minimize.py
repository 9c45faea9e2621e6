# SPDX-License-Identifier: Apache-2.0
"""Delta debugging over a failing graph's nodes.

A reduced graph keeps a subset of the nodes: a value whose producer was
dropped becomes a graph input of the same shape (fed random data), and the
outputs are the kept nodes' values no kept node reads. `ddmin` (Zeller's
algorithm) finds a subset, minimal by removal of any one chunk, on which the
failure still shows.
"""

import numpy as np
import onnx
from onnx import TensorProto, helper

from .generator import OPSET


def subgraph(g, keep, seed=0):
    """(model, feeds) of graph `g` (a generator.Graph) with only the nodes
    at indices `keep`, or None when nothing is left to compute or the
    nodes do not make a valid graph alone."""
    rng = np.random.default_rng(seed)
    nodes = [g.nodes[i] for i in sorted(keep)]
    if not nodes:
        return None
    produced = {o for n in nodes for o in n.output}
    read = {i for n in nodes for i in n.input if i}
    inits = [t for t in g.inits if t.name in read]
    init_names = {t.name for t in inits}
    inputs, feeds = [], {}
    for name in sorted(read - produced - init_names):
        inputs.append(helper.make_tensor_value_info(
            name, TensorProto.FLOAT, list(g.shapes[name])))
        feeds[name] = g.feeds[name] if name in g.feeds else \
            rng.standard_normal(g.shapes[name]).astype(np.float32)
    outputs = [o for n in nodes for o in n.output if o not in read]
    graph = helper.make_graph(
        nodes, "difftest-min", inputs,
        [helper.make_tensor_value_info(o, TensorProto.FLOAT,
                                       list(g.shapes[o])) for o in outputs],
        inits)
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    try:
        onnx.checker.check_model(model, full_check=True)
    except (onnx.checker.ValidationError,
            onnx.shape_inference.InferenceError):
        # Not a valid graph without the dropped nodes: a Where's boolean
        # mask fed as a float input, say (long tier, seed 1796382382).
        return None
    return model, feeds


def ddmin(items, fails):
    """A 1-minimal sublist of `items` for which `fails(sublist)` holds
    (`fails(items)` must)."""
    n = 2
    while len(items) >= 2:
        chunk = max(1, len(items) // n)
        subsets = [items[i:i + chunk] for i in range(0, len(items), chunk)]
        reduced = False
        for subset in subsets:
            complement = [x for x in items if x not in subset]
            if complement and fails(complement):
                items, n, reduced = complement, max(n - 1, 2), True
                break
        if not reduced:
            if n >= len(items):
                break
            n = min(len(items), 2 * n)
    return items


def _with_input_shape(model, feeds, name, axis, size):
    """(model, feeds) with input `name` cut to `size` along `axis` (its first
    `size` slices), the other shapes inferred again; None when ONNX's shape
    inference refuses it. (ONNX does not check everything, e.g. a
    convolution's channels against its weights: `fails` must run it.)"""
    candidate = onnx.ModelProto()
    candidate.CopyFrom(model)
    graph = candidate.graph
    for value in graph.input:
        if value.name == name:
            value.type.tensor_type.shape.dim[axis].dim_value = size
    del graph.value_info[:]
    outputs = [o.name for o in graph.output]
    del graph.output[:]
    graph.output.extend(helper.make_tensor_value_info(o, TensorProto.FLOAT,
                                                      None) for o in outputs)
    try:
        inferred = onnx.shape_inference.infer_shapes(candidate,
                                                     strict_mode=True)
        shapes = {v.name: v.type.tensor_type for v in
                  list(inferred.graph.value_info) + list(inferred.graph.output)}
        del graph.output[:]
        for o in outputs:
            tensor = shapes.get(o)
            if tensor is None or not tensor.HasField("shape") or any(
                    not d.HasField("dim_value") or d.dim_value < 1
                    for d in tensor.shape.dim):
                return None
            graph.output.append(helper.make_tensor_value_info(
                o, TensorProto.FLOAT, [d.dim_value for d in tensor.shape.dim]))
        onnx.checker.check_model(candidate, full_check=True)
    except Exception:  # noqa: BLE001 - onnx refuses the shape: not valid.
        return None
    cut = dict(feeds)
    cut[name] = np.take(feeds[name], np.arange(size), axis=axis)
    return candidate, cut


def shrink_dimensions(model, feeds, fails):
    """Greedily makes each input dimension as small as it can be (1, else
    halves) while the graph stays valid and `fails(model, feeds)` holds;
    `fails` must be False for a graph onnxruntime refuses."""
    changed = True
    while changed:
        changed = False
        for value in list(model.graph.input):
            dims = value.type.tensor_type.shape.dim
            for axis in range(len(dims)):
                size = dims[axis].dim_value
                for smaller in sorted({1, size // 2} - {0, size}):
                    if smaller >= size:
                        continue
                    built = _with_input_shape(model, feeds, value.name, axis,
                                              smaller)
                    if built is not None and fails(*built):
                        model, feeds = built
                        changed = True
                        break
    return model, feeds
