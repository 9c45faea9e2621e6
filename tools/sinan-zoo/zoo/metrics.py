# SPDX-License-Identifier: Apache-2.0
"""Per-tensor comparison as tpu-mlir does it: exact, then allclose, then
similar (cosine, SQNR); and the MAC count of an ONNX model."""

import math

import numpy as np
import onnx
from onnx import shape_inference


def compare(out, ref, tolerance):
    """Figures of `out` against `ref` and whether they meet `tolerance`
    (keys rtol+atol: allclose; cosine; sqnr_db: lower bounds). Returns a
    dict with `pass` and, when it fails, `why`."""
    result = {"shape": list(out.shape)}
    if out.shape != ref.shape:
        result.update({"pass": False, "why": f"shape {list(out.shape)}, "
                       f"reference {list(ref.shape)}"})
        return result
    o = out.astype(np.float64).ravel()
    r = ref.astype(np.float64).ravel()
    both_nan = np.isnan(o) & np.isnan(r)
    o, r = np.where(both_nan, 0, o), np.where(both_nan, 0, r)
    if not (np.isfinite(o).all() and np.isfinite(r).all()):
        bad = int(np.count_nonzero(~np.isfinite(o) & np.isfinite(r)))
        result.update({"pass": bool(np.array_equal(o, r)),
                       "why": f"{bad} non-finite values the reference has "
                       "finite"})
        return result
    diff = np.abs(o - r)
    result["exact"] = bool(np.array_equal(o, r))
    result["max_abs"] = float(diff.max()) if diff.size else 0.0
    denom = np.maximum(np.abs(r), np.finfo(np.float32).tiny)
    result["max_rel"] = float((diff / denom).max()) if diff.size else 0.0
    no, nr = float(np.linalg.norm(o)), float(np.linalg.norm(r))
    if no == 0 and nr == 0:
        result["cosine"] = 1.0
    elif no == 0 or nr == 0:
        result["cosine"] = 0.0
    else:
        result["cosine"] = float(np.dot(o, r) / (no * nr))
    noise = float(np.sum(diff * diff))
    signal = float(np.sum(r * r))
    result["sqnr_db"] = (math.inf if noise == 0 else
                         -math.inf if signal == 0 else
                         10 * math.log10(signal / noise))
    failures = []
    if "rtol" in tolerance:
        ok = bool(np.all(diff <= tolerance["atol"] + tolerance["rtol"] *
                         np.abs(r)))
        result["allclose"] = ok
        if not ok:
            failures.append(f"not allclose (rtol {tolerance['rtol']:g}, atol "
                            f"{tolerance['atol']:g}; max abs "
                            f"{result['max_abs']:.3g})")
    if "cosine" in tolerance and result["cosine"] < tolerance["cosine"]:
        failures.append(f"cosine {result['cosine']:.6f} < "
                        f"{tolerance['cosine']:g}")
    if "sqnr_db" in tolerance and result["sqnr_db"] < tolerance["sqnr_db"]:
        failures.append(f"SQNR {result['sqnr_db']:.1f} dB < "
                        f"{tolerance['sqnr_db']:g} dB")
    result["pass"] = not failures
    if failures:
        result["why"] = "; ".join(failures)
    return result


def _dims(value_info):
    shape = value_info.type.tensor_type.shape
    dims = [d.dim_value if d.HasField("dim_value") else None
            for d in shape.dim]
    return None if any(d is None for d in dims) else dims


def model_macs(path, input_shapes):
    """Multiply-accumulates of the model's Conv, ConvTranspose, MatMul and
    Gemm nodes for fixed input shapes (ONNX shape inference). Nodes whose
    shapes stay unknown are counted in `unknown`."""
    model = onnx.load(str(path), load_external_data=False)
    for inp in model.graph.input:
        if inp.name in input_shapes:
            dims = inp.type.tensor_type.shape.dim
            for d, size in zip(dims, input_shapes[inp.name]):
                d.Clear()
                d.dim_value = size
    model = shape_inference.infer_shapes(model, data_prop=True)
    shapes = {}
    for vi in list(model.graph.value_info) + list(model.graph.input) + list(
            model.graph.output):
        dims = _dims(vi)
        if dims is not None:
            shapes[vi.name] = dims
    for init in model.graph.initializer:
        shapes[init.name] = list(init.dims)
    total, unknown = 0, 0
    for node in model.graph.node:
        if node.op_type not in ("Conv", "ConvTranspose", "MatMul", "Gemm"):
            continue
        ins = [shapes.get(n) for n in node.input[:2]]
        out = shapes.get(node.output[0])
        if any(s is None for s in ins) or out is None:
            unknown += 1
            continue
        a, w = ins
        if node.op_type == "MatMul":
            total += int(np.prod(out, dtype=np.int64)) * a[-1]
        elif node.op_type == "Gemm":
            trans_a = any(at.name == "transA" and at.i for at in node.attribute)
            total += int(np.prod(out, dtype=np.int64)) * (a[0] if trans_a
                                                           else a[-1])
        elif node.op_type == "Conv":
            total += int(np.prod(out, dtype=np.int64)) * int(
                np.prod(w[1:], dtype=np.int64))
        else:
            total += int(np.prod(a, dtype=np.int64)) * int(
                np.prod(w[1:], dtype=np.int64))
    return total, unknown
