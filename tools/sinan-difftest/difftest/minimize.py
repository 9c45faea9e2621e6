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
    at indices `keep`, or None when nothing is left to compute."""
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
    onnx.checker.check_model(model, full_check=True)
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
