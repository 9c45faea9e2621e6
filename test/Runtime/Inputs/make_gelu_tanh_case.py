"""GELU in its tanh form, as exporters write it, for the SNPU's one-op
`vun gelu_tanh`: a Linear layer's product and bias row followed by GPT-2's
form (Pow(x, 3), * 0.044715, + x, * sqrt(2 / pi), Tanh, + 1, * x, * 0.5),
and an elementwise chain (x + a bias row) followed by the form
graph-decompose writes for Gelu(approximate="tanh") (x * x * x, and
(0.5 x) * (1 + tanh)). Writes gelu_tanh.onnx, inputs.npz and onnxruntime's
expected.npz to the directory given."""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
r = np.random.default_rng(7)
K, N = 96, 256


def const(name, value):
    return nh.from_array(np.array(value, np.float32), name)


inits = [
    nh.from_array((r.standard_normal((K, N)) / np.sqrt(K)).astype(np.float32),
                  "w"),
    nh.from_array(r.standard_normal(N).astype(np.float32), "b"),
    nh.from_array(r.standard_normal(N).astype(np.float32), "c"),
    const("three", 3.0), const("kappa", 0.044715),
    const("beta", np.sqrt(2.0 / np.pi)), const("one", 1.0),
    const("half", 0.5),
]
nodes = [
    h.make_node("MatMul", ["x", "w"], ["m"], name="fc"),
    h.make_node("Add", ["m", "b"], ["s"], name="fc_bias"),
    h.make_node("Pow", ["s", "three"], ["p3"], name="g1_pow"),
    h.make_node("Mul", ["p3", "kappa"], ["p4"], name="g1_kappa"),
    h.make_node("Add", ["s", "p4"], ["p5"], name="g1_sum"),
    h.make_node("Mul", ["p5", "beta"], ["p6"], name="g1_beta"),
    h.make_node("Tanh", ["p6"], ["p7"], name="g1_tanh"),
    h.make_node("Add", ["p7", "one"], ["p8"], name="g1_one"),
    h.make_node("Mul", ["s", "p8"], ["p9"], name="g1_x"),
    h.make_node("Mul", ["p9", "half"], ["y1"], name="g1_half"),
    h.make_node("Add", ["z", "c"], ["t"], name="chain_bias"),
    h.make_node("Mul", ["t", "t"], ["q1"], name="g2_square"),
    h.make_node("Mul", ["t", "q1"], ["q2"], name="g2_cube"),
    h.make_node("Mul", ["kappa", "q2"], ["q3"], name="g2_kappa"),
    h.make_node("Add", ["t", "q3"], ["q4"], name="g2_sum"),
    h.make_node("Mul", ["beta", "q4"], ["q5"], name="g2_beta"),
    h.make_node("Tanh", ["q5"], ["q6"], name="g2_tanh"),
    h.make_node("Add", ["one", "q6"], ["q7"], name="g2_one"),
    h.make_node("Mul", ["half", "t"], ["q8"], name="g2_half"),
    h.make_node("Mul", ["q8", "q7"], ["y2"], name="g2_x"),
]
graph = h.make_graph(
    nodes, "gelu_tanh",
    [h.make_tensor_value_info("x", T.FLOAT, [128, K]),
     h.make_tensor_value_info("z", T.FLOAT, [64, N])],
    [h.make_tensor_value_info("y1", T.FLOAT, [128, N]),
     h.make_tensor_value_info("y2", T.FLOAT, [64, N])], inits)
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
model.ir_version = 8
onnx.save(model, f"{out}/gelu_tanh.onnx")
feeds = {"x": r.standard_normal((128, K)).astype(np.float32),
         "z": (2 * r.standard_normal((64, N))).astype(np.float32)}
np.savez(f"{out}/inputs.npz", **feeds)
expected = ort.InferenceSession(f"{out}/gelu_tanh.onnx").run(None, feeds)
np.savez(f"{out}/expected.npz", y1=expected[0], y2=expected[1])
