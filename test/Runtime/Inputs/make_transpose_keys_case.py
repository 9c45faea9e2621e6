"""Transposes (0, 1, 3, 2) of attention keys as Swin-T exports them
(snpu-transpose-keys.test): out/m.onnx, out/in.npz, out/expected.npz."""
import sys, numpy as np, onnx, onnxruntime as ort
from onnx import helper as h, TensorProto as T
out = sys.argv[1]
# Swin-T's keys at three stages, a batch count that leaves a partial block,
# and one whose results are not whole granules (one core).
c = {"a": [64, 3, 49, 32], "b": [4, 12, 49, 32], "c": [1, 7, 49, 32], "d": [2, 5, 9, 20]}
n = [h.make_node("Transpose", ["x" + k], ["y" + k], perm=[0, 1, 3, 2], name="t" + k) for k in c]
g = h.make_graph(n, "g", [h.make_tensor_value_info("x" + k, T.FLOAT, s) for k, s in c.items()],
                 [h.make_tensor_value_info("y" + k, T.FLOAT, None) for k in c])
m = h.make_model(g, opset_imports=[h.make_opsetid("", 17)])
m.ir_version = 8
onnx.save(m, f"{out}/m.onnx")
r = np.random.default_rng(0)
f = {"x" + k: r.standard_normal(s).astype(np.float32) for k, s in c.items()}
np.savez(f"{out}/in.npz", **f)
np.savez(f"{out}/expected.npz", **dict(zip(["y" + k for k in c], ort.InferenceSession(f"{out}/m.onnx").run(None, f))))
