"""Writes composites.onnx: LayerNormalization, Gelu (both forms),
GroupNormalization, InstanceNormalization and RMSNormalization, as an
exporter writes them, and inputs.npz (argv[1] is the output directory)."""

import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(0)


def const(name, shape):
    return nh.from_array(rng.standard_normal(shape).astype(np.float32), name)


inits = [const("ln_s", [16]), const("ln_b", [16]), const("gn_s", [8]),
         const("gn_b", [8]), const("in_s", [8]), const("in_b", [8]),
         const("rms_s", [16])]
nodes = [
    h.make_node("LayerNormalization", ["x", "ln_s", "ln_b"], ["ln"],
                name="ln", axis=-1, epsilon=1e-5),
    h.make_node("Gelu", ["ln"], ["gelu"], name="gelu"),
    h.make_node("Gelu", ["gelu"], ["gelu_tanh"], name="gelu_tanh",
                approximate="tanh"),
    h.make_node("RMSNormalization", ["gelu_tanh", "rms_s"], ["rms"],
                name="rms", axis=-1, epsilon=1e-6),
    h.make_node("GroupNormalization", ["img", "gn_s", "gn_b"], ["gn"],
                name="gn", num_groups=4),
    h.make_node("InstanceNormalization", ["gn", "in_s", "in_b"], ["inorm"],
                name="inorm"),
]
graph = h.make_graph(
    nodes, "composites",
    [h.make_tensor_value_info("x", T.FLOAT, [2, 5, 16]),
     h.make_tensor_value_info("img", T.FLOAT, [1, 8, 6, 6])],
    [h.make_tensor_value_info("rms", T.FLOAT, [2, 5, 16]),
     h.make_tensor_value_info("inorm", T.FLOAT, [1, 8, 6, 6])],
    inits)
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 23)])
model.ir_version = 10
onnx.checker.check_model(model)
onnx.save(model, f"{out}/composites.onnx")
np.savez(f"{out}/inputs.npz",
         x=rng.standard_normal((2, 5, 16)).astype(np.float32),
         img=rng.standard_normal((1, 8, 6, 6)).astype(np.float32))
