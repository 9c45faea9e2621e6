# SPDX-License-Identifier: Apache-2.0
"""What the convolution case generators beside this file share: random
f32 parameters, and writing a model of named inputs and outputs with
standard-normal inputs, onnxruntime's outputs and placement-overrides files
that pin named nodes to an SNPU algorithm."""
import json

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh


def param(rng, name, *shape, scale=0.05):
    """An f32 initializer of `shape`, normal with deviation `scale`."""
    values = rng.standard_normal(shape) * scale
    return nh.from_array(values.astype(np.float32), name)


def write_case(out, name, nodes, inits, shapes, outs, rng, overrides=None,
               algorithm="snpu:winograd"):
    """Writes OUT/NAME.onnx (f32 inputs `shapes`, outputs `outs`), its
    inputs (OUT/inputs.npz, standard normal), onnxruntime's outputs
    (OUT/<output>.npy) and, per file name in `overrides`, a
    placement-overrides file pinning those nodes to `algorithm`."""
    graph = h.make_graph(
        nodes, name,
        [h.make_tensor_value_info(n, T.FLOAT, s) for n, s in shapes.items()],
        [h.make_tensor_value_info(n, T.FLOAT, s) for n, s in outs.items()],
        initializer=inits)
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, f"{out}/{name}.onnx")
    inputs = {n: rng.standard_normal(s).astype(np.float32)
              for n, s in shapes.items()}
    np.savez(f"{out}/inputs.npz", **inputs)
    results = ort.InferenceSession(f"{out}/{name}.onnx").run(None, inputs)
    for output, value in zip(outs, results):
        np.save(f"{out}/{output}.npy", value)
    for file, pinned in (overrides or {}).items():
        with open(f"{out}/{file}", "w") as f:
            json.dump({node: algorithm for node in pinned}, f)
