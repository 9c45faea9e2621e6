# SPDX-License-Identifier: Apache-2.0
"""Writes Conv -> BatchNormalization -> Relu -> Conv(bias) ->
BatchNormalization with random statistics, an input and onnxruntime's
output, to check that folding BatchNorm into the convolutions keeps the
numerics."""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
rng = np.random.default_rng(7)


def init(name, array):
    return numpy_helper.from_array(array.astype(np.float32), name)


def bn_params(prefix, c):
    return [init(f"{prefix}_scale", rng.uniform(0.5, 2.0, c)),
            init(f"{prefix}_bias", rng.standard_normal(c)),
            init(f"{prefix}_mean", rng.standard_normal(c)),
            init(f"{prefix}_var", rng.uniform(0.2, 3.0, c))]


def bn(prefix, x, y):
    return helper.make_node(
        "BatchNormalization",
        [x] + [f"{prefix}_{k}" for k in ("scale", "bias", "mean", "var")], [y],
        name=prefix, epsilon=1e-3)


graph = helper.make_graph(
    [helper.make_node("Conv", ["x", "w0"], ["c0"], name="conv0",
                      pads=[1, 1, 1, 1]),
     bn("bn0", "c0", "n0"),
     helper.make_node("Relu", ["n0"], ["r0"], name="relu0"),
     helper.make_node("Conv", ["r0", "w1", "b1"], ["c1"], name="conv1",
                      group=2),
     bn("bn1", "c1", "y")],
    "conv_bn",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 8, 8])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 6, 8, 8])],
    initializer=[init("w0", rng.standard_normal((8, 3, 3, 3)) * 0.3),
                 init("w1", rng.standard_normal((6, 4, 1, 1)) * 0.3),
                 init("b1", rng.standard_normal(6))]
    + bn_params("bn0", 8) + bn_params("bn1", 6))
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
onnx.checker.check_model(model, full_check=True)
onnx.save(model, f"{out}/conv_bn.onnx")
x = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
y = ort.InferenceSession(model.SerializeToString(),
                         providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
np.savez(f"{out}/conv_bn_inputs.npz", x=x)
np.savez(f"{out}/conv_bn_expected.npz", y=y)
