# SPDX-License-Identifier: Apache-2.0
"""The CPU path's layout and conversion kernels, in one model with one
output per case, and onnxruntime's outputs: comparisons of f32 and int64,
logical ops on bools, Where of f32 and int64, an int64 transpose, reshapes of an input and
into an output, concat (channels of NCHW, the
first axis, a negative axis, int64), slice (steps, a crop of every
dimension), constant pad, gather (an embedding with runtime int64 ids,
negative constant indices along an inner axis, int32 indices, bool data),
cast (f32 to int64 and int32 with truncation and saturation, int64 to f32,
f32 to bool and back), resize (nearest and bilinear) and LRN.
Usage: make_cpu_layout_case.py OUT_DIR"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(5)
nodes, inits, inputs, outputs = [], [], {}, []


def const(name, array):
    inits.append(nh.from_array(np.asarray(array), name))
    return name


def inp(name, shape, dtype=T.FLOAT):
    inputs[name] = (shape, dtype)
    return name


def node(op, ins, out_name, **attrs):
    nodes.append(h.make_node(op, ins, [out_name], name=out_name, **attrs))
    return out_name


def result(name):
    outputs.append(name)


x = inp("x", [1, 6, 9, 10])
y = inp("y", [1, 3, 9, 10])
result(node("Concat", [x, y, x], "concat_channels", axis=1))
result(node("Concat", [x, x], "concat_batch", axis=0))
result(node("Concat", [x, node("Relu", [x], "rx")], "concat_last", axis=-1))
ids = inp("ids", [2, 7], T.INT64)
result(node("Concat", [ids, ids], "concat_i64", axis=1))

result(node("Slice", [x, const("s_starts", np.array([1, 2, 1], np.int64)),
                      const("s_ends", np.array([6, 9, 10], np.int64)),
                      const("s_axes", np.array([1, 2, 3], np.int64)),
                      const("s_steps", np.array([2, 3, 4], np.int64))],
            "slice_steps"))
result(node("Slice", [x, const("c_starts", np.array([0, 1, 2, 3], np.int64)),
                      const("c_ends", np.array([1, -1, 8, 100], np.int64))],
            "slice_crop"))
result(node("Pad", [x, const("pads", np.array([0, 1, 2, 0, 0, 2, 1, 3],
                                              np.int64)),
                    const("pad_value", np.array(-1.5, np.float32))], "pad"))

table = const("table", rng.standard_normal([50, 16]).astype(np.float32))
result(node("Gather", [table, ids], "embedding", axis=0))
result(node("Gather", [x, const("neg_idx", np.array([[-1, 0], [3, -4]],
                                                    np.int64))],
            "gather_inner", axis=2))
result(node("Gather", [x, const("i32_idx", np.array([5, 0, 5], np.int32))],
            "gather_i32", axis=1))
flags = node("Greater", [x, const("zero", np.array(0.0, np.float32))],
             "flags")
result(node("Cast", [node("Gather", [flags, const("b_idx", np.array(
    [2, 1], np.int64))], "gather_bool", axis=3)], "gather_bool_f",
            to=T.FLOAT))

# Comparisons, logic and Where (masks as attention builds them).
near = node("Less", [node("Abs", [x], "ax"), const("one", np.array(
    1.0, np.float32))], "near")
result(node("Cast", [node("Not", [node("And", [flags, near], "both")],
                          "neither")], "logic_f", to=T.FLOAT))
result(node("Where", [near, x, const("fill", np.array(-1e9, np.float32))],
            "where_f32"))
positive = node("GreaterOrEqual", [ids, const("zero_i", np.array(
    0, np.int64))], "positive")
result(node("Where", [node("Or", [positive, node("Equal", [ids, const(
    "minus_five", np.array(-5, np.int64))], "is_m5")], "keep"), ids,
    const("zero_i64", np.array([0], np.int64))], "where_i64"))
result(node("Transpose", [ids], "transpose_i64", perm=[1, 0]))

big = inp("big", [4, 8])
result(node("Cast", [big], "to_i64", to=T.INT64))
result(node("Cast", [big], "to_i32", to=T.INT32))
result(node("Cast", [ids], "ids_f", to=T.FLOAT))
result(node("Cast", [node("Cast", [big], "to_bool", to=T.BOOL)],
            "bool_f", to=T.FLOAT))

r = inp("r", [1, 2, 5, 7])
scales = const("scales", np.array([1, 1, 2, 1.5], np.float32))
result(node("Resize", [r, "", scales], "resize_nearest", mode="nearest"))
result(node("Resize", [r, "", scales], "resize_linear", mode="linear"))
result(node("Resize", [r, "", "", const("ac_sizes", np.array(
    [1, 2, 9, 13], np.int64))], "resize_linear_ac",
            mode="linear", coordinate_transformation_mode="align_corners"))
result(node("Resize", [r, "", "", const("sizes", np.array([1, 2, 3, 4],
                                                          np.int64))],
            "resize_down", mode="linear",
            coordinate_transformation_mode="pytorch_half_pixel"))
result(node("LRN", [x], "lrn", size=3, alpha=1e-3, beta=0.75, bias=1.0))
result(node("LRN", [x], "lrn_wide", size=5, alpha=2e-2, beta=0.5, bias=2.0))
# Reshapes of a model input and into a model output: the caller owns those
# bytes, so these copy (a reshape of an intermediate is a view).
result(node("Reshape", [ids, const("flat", np.array([14], np.int64))],
            "ids_flat"))
result(node("Reshape", [node("Neg", [x], "nx"),
                        const("rows", np.array([6, 90], np.int64))],
            "neg_rows"))

graph = h.make_graph(
    nodes, "cpu_layout",
    [h.make_tensor_value_info(n, t, s) for n, (s, t) in inputs.items()],
    [h.make_tensor_value_info(n, T.UNDEFINED, None) for n in outputs], inits)
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8
model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
onnx.checker.check_model(model)
onnx.save(model, f"{out}/cpu_layout.onnx")
feeds = {}
for n, (s, t) in inputs.items():
    if t == T.INT64:
        feeds[n] = rng.integers(-50, 50, s).astype(np.int64)
    else:
        feeds[n] = rng.standard_normal(s).astype(np.float32)
# Fractions, both signs, out of int32's range, NaN and zeros.
feeds["big"] = np.concatenate([
    rng.uniform(-100, 100, [2, 8]),
    np.array([[3e9, -3e9, 9.5e18, -9.5e18, np.nan, 0.0, -0.0, 2.5],
              [-2.5, 0.75, -0.75, 1e-30, 2147483520.0, -2147483648.0, 7, 8]]),
]).astype(np.float32)
np.savez(f"{out}/cpu_layout_inputs.npz", **feeds)
# Embedding ids one past the table's end.
np.savez(f"{out}/cpu_layout_bad_ids.npz",
         **dict(feeds, ids=np.full([2, 7], 50, np.int64)))
session = ort.InferenceSession(f"{out}/cpu_layout.onnx",
                               providers=["CPUExecutionProvider"])
expected = dict(zip(outputs, session.run(None, feeds)))
# ONNX leaves casts out of the integer's range undefined (onnxruntime
# gives the x86 instruction's answer); Sinan saturates, NaN to 0.
for name, dtype in (("to_i64", np.int64), ("to_i32", np.int32)):
    info = np.iinfo(dtype)
    value = np.nan_to_num(np.trunc(feeds["big"].astype(np.float64)), nan=0.0)
    with np.errstate(invalid="ignore"):
        expected[name] = np.where(
            value >= info.max, info.max,
            np.where(value <= info.min, info.min,
                     np.clip(value, info.min, info.max).astype(dtype)))
np.savez(f"{out}/cpu_layout_expected.npz", **expected)
print(" ".join(outputs))
