"""Swin-T's cyclic shift (torch.roll exported as Slice and Concat) of an
NHWC image, and a small one (snpu-moves-cores.test): out/m.onnx,
out/in.npz, out/expected.npz."""
import sys
import numpy as np, onnx, onnxruntime as ort
from onnx import helper as h, TensorProto as T, numpy_helper as nh
inits=[nh.from_array(np.array(v, dtype=np.int64), n) for n, v in
       [("s0", [3]), ("e0", [56]), ("a1", [1]), ("a2", [2]), ("s1", [0]), ("e1", [3]), ("s2", [2]), ("e2", [7])]]
n=[h.make_node("Slice", ["x", "s0", "e0", "a1"], ["ya"], name="shift_rows"),
   h.make_node("Slice", ["x", "s1", "e1", "a1"], ["yb"], name="wrap_rows"),
   h.make_node("Concat", ["ya", "yb"], ["y"], axis=1, name="roll_rows"),
   h.make_node("Slice", ["y", "s0", "e0", "a2"], ["yc"], name="shift_cols"),
   h.make_node("Slice", ["y", "s1", "e1", "a2"], ["yd"], name="wrap_cols"),
   h.make_node("Concat", ["yc", "yd"], ["z"], axis=2, name="roll_cols"),
   # Rows that are not whole granules: one core.
   h.make_node("Slice", ["u", "s2", "e2", "a2"], ["ua"], name="u_tail"),
   h.make_node("Slice", ["u", "s1", "s2", "a2"], ["ub"], name="u_head"),
   h.make_node("Concat", ["ua", "ub"], ["w"], axis=2, name="u_roll")]
g=h.make_graph(n, "g", [h.make_tensor_value_info("x", T.FLOAT, [1, 56, 56, 96]), h.make_tensor_value_info("u", T.FLOAT, [1, 5, 7, 3])],
               [h.make_tensor_value_info(k, T.FLOAT, None) for k in ["ya", "z", "w"]], inits)
m=h.make_model(g, opset_imports=[h.make_opsetid("", 17)]); m.ir_version=8
out = sys.argv[1]
onnx.save(m, f"{out}/m.onnx")
r=np.random.default_rng(0)
f={"x": r.standard_normal((1,56,56,96)).astype(np.float32), "u": r.standard_normal((1,5,7,3)).astype(np.float32)}
np.savez(f"{out}/in.npz", **f)
np.savez(f"{out}/expected.npz", **dict(zip(["ya", "z", "w"], ort.InferenceSession(f"{out}/m.onnx").run(None, f))))
