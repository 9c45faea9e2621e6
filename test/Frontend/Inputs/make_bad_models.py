# SPDX-License-Identifier: Apache-2.0
"""Writes small malformed or unusual models for onnx-errors.test and
onnx-external-data.test: a cycle, an unsorted graph, attributes out of
range, mixed element types, 3-D convolutions, training-mode dropouts, and a model whose weights live in an external
file (with its inputs and onnxruntime's outputs)."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper

out = sys.argv[1]


def save(name, nodes, inputs, outputs, opset=17, initializer=()):
    graph = h.make_graph(nodes, name, inputs, outputs,
                         initializer=list(initializer))
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", opset)])
    model.ir_version = 10
    onnx.save(model, f"{out}/{name}.onnx")
    return model


x4 = [h.make_tensor_value_info("x", T.FLOAT, [2, 4])]
y4 = [h.make_tensor_value_info("y", T.FLOAT, [2, 4])]
save("cycle", [h.make_node("Add", ["x", "c"], ["b"], name="add_b"),
               h.make_node("Relu", ["b"], ["c"], name="relu_c"),
               h.make_node("Identity", ["c"], ["y"], name="out")], x4, y4)
save("unsorted", [h.make_node("Relu", ["r"], ["y"], name="second"),
                  h.make_node("Neg", ["x"], ["r"], name="first")], x4, y4)
save("softmax_axis", [h.make_node("Softmax", ["x"], ["y"], name="sm",
                                  axis=5)], x4, y4)
save("topk_k", [h.make_node("TopK", ["x", "k"], ["y", "i"], name="topk")],
     x4, [h.make_tensor_value_info("y", T.FLOAT, None),
          h.make_tensor_value_info("i", T.INT64, None)],
     initializer=[numpy_helper.from_array(np.array([9], np.int64), "k")])
save("cast_mode", [h.make_node("Cast", ["x"], ["y"], name="cast",
                               to=T.FLOAT8E8M0, round_mode="zero")],
     x4, [h.make_tensor_value_info("y", T.FLOAT8E8M0, [2, 4])], opset=24)
save("mixed_types", [h.make_node("Add", ["x", "n"], ["y"], name="add_mixed")],
     x4 + [h.make_tensor_value_info("n", T.INT64, [2, 4])], y4)

# Two 3-D convolutions (a video network's): listed up front, every node.
save("conv3d",
     [h.make_node("Conv", ["x", "w1"], ["a"], name="conv3d_a"),
      h.make_node("Conv", ["a", "w2"], ["y"], name="conv3d_b")],
     [h.make_tensor_value_info("x", T.FLOAT, [1, 2, 4, 4, 4])],
     [h.make_tensor_value_info("y", T.FLOAT, [1, 2, 4, 4, 4])],
     initializer=[numpy_helper.from_array(np.ones((2, 2, 1, 1, 1), np.float32),
                                          name)
                  for name in ("w1", "w2")])

# Dropout with training_mode = true: with ratio 0 (as PyTorch exports
# torchvision's Swin) it drops nothing; with ratio 0.5 it is random.
def dropout(name, ratio):
    consts = [numpy_helper.from_array(np.array(ratio, np.float32), "ratio"),
              numpy_helper.from_array(np.array(True), "training")]
    save(name, [h.make_node("Dropout", ["x", "ratio", "training"],
                            ["y", "mask"], name="drop")],
         x4, y4 + [h.make_tensor_value_info("mask", T.BOOL, [2, 4])],
         initializer=consts)


dropout("dropout_zero_ratio", 0.0)
dropout("dropout_training", 0.5)

# Weights in an external file, as large exported models store them.
rng = np.random.default_rng(5)
w = rng.standard_normal((4, 3)).astype(np.float32)
b = rng.standard_normal((3,)).astype(np.float32)
model = save("external",
             [h.make_node("MatMul", ["x", "w"], ["m"], name="mm"),
              h.make_node("Add", ["m", "b"], ["y"], name="bias")],
             x4, [h.make_tensor_value_info("y", T.FLOAT, [2, 3])],
             initializer=[numpy_helper.from_array(w, "w"),
                          numpy_helper.from_array(b, "b")])
os.makedirs(f"{out}/ext", exist_ok=True)
onnx.save(model, f"{out}/ext/model.onnx", save_as_external_data=True,
          all_tensors_to_one_file=True, location="weights.bin",
          size_threshold=0)
xv = rng.standard_normal((2, 4)).astype(np.float32)
np.savez(f"{out}/ext/inputs.npz", x=xv)
np.savez(f"{out}/ext/expected.npz", y=xv @ w + b)
