# SPDX-License-Identifier: Apache-2.0
"""Running a model on each of Sinan's paths and comparing with onnxruntime.

Paths: `reference` (sinan-run --reference: the reference evaluator on the
imported graph), `cpu` (a module with every op on the host, native code
where the CPU path covers it), and `snpu-server` / `snpu-edge` (a module for
that preset, kernels on snpu-sim). Each SNPU module also runs on
`--device cpu`, where its launches run their host fallbacks, which promise
the kernels' results bit for bit: that pair is compared exactly.

A run's outcome per path is a list of Failures: a tool's non-zero exit or
crash (signal), a timeout, a missing output, or outputs beyond the path's
tolerance.
"""

import dataclasses
import pathlib
import re
import signal
import subprocess

import numpy as np
import onnxruntime as ort

PATHS = ("reference", "cpu", "snpu-server", "snpu-edge")

# Per path: elementwise allclose (f32 paths) or a cosine floor and a bound
# on the error relative to the output's largest magnitude (bf16 products on
# the matrix unit). Both widen where the graph itself is ill-conditioned:
# onnxruntime is run again on inputs perturbed by a few f32 ulps (a bf16
# rounding for the SNPU), and an output may differ by 10 times as much as
# that moved it (a layer normalization of nearly equal values, a mean that
# cancels).
F32 = dict(rtol=2e-4, atol=2e-5, perturb=2.0**-21)
BF16 = dict(cosine=0.999, rel_to_max=0.05, perturb=2.0**-9)
SENSITIVITY = 10.0


@dataclasses.dataclass
class Failure:
    path: str
    kind: str  # crash, error, timeout, missing, mismatch, inexact
    detail: str
    outputs: tuple = ()  # Names of the outputs involved, when known.
    repro: str = ""  # Where the minimized reproducer was saved.
    got: dict = dataclasses.field(default_factory=dict, repr=False)

    def __str__(self):
        where = f" ({', '.join(self.outputs)})" if self.outputs else ""
        return f"{self.path}: {self.kind}{where}: {self.detail}"


def npy_name(name):
    """The file sinan-run --output-dir writes for output `name`."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name) + ".npy"


def run_ort(model_bytes, feeds):
    """onnxruntime's outputs, its graph optimizations off: they are not
    what is under test, and one (GemmTransposeFusion) has miscompiled a
    generated graph."""
    options = ort.SessionOptions()
    options.graph_optimization_level = \
        ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(model_bytes, options,
                                   providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, feeds)))


def _tool(cmd, timeout):
    """Runs `cmd`; returns (failure kind or None, message)."""
    try:
        result = subprocess.run([str(c) for c in cmd], capture_output=True,
                                text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", f"{pathlib.Path(cmd[0]).name} ran over {timeout} s"
    if result.returncode < 0:
        sig = signal.Signals(-result.returncode).name
        return "crash", (f"{pathlib.Path(cmd[0]).name} killed by {sig}: "
                         f"{result.stderr.strip()[-500:]}")
    if result.returncode != 0:
        return "error", (f"{pathlib.Path(cmd[0]).name} exit "
                         f"{result.returncode}: {result.stderr.strip()[-500:]}")
    return None, ""


def _load(directory, names):
    out = {}
    for name in names:
        path = directory / npy_name(name)
        if path.exists():
            out[name] = np.load(path)
    return out


def perturbed(model_bytes, feeds, relative, seed=0):
    """onnxruntime's outputs with every input scaled by 1 + u, |u| <=
    `relative`."""
    rng = np.random.default_rng(seed)
    moved = {k: np.asarray(v * (1 + relative * rng.uniform(-1, 1, v.shape)),
                           v.dtype) for k, v in feeds.items()}
    return run_ort(model_bytes, moved)


def cone(model_bytes, names):
    """The model restricted to the nodes that outputs `names` depend on
    (the others of a batch of graphs are not evaluated again)."""
    import onnx
    model = onnx.load_from_string(model_bytes)
    graph = model.graph
    needed, kept = set(names), []
    for node in reversed(graph.node):
        if needed.intersection(node.output):
            kept.append(node)
            needed.update(i for i in node.input if i)
    kept.reverse()
    outputs = [o for o in graph.output if o.name in names]
    inputs = [i for i in graph.input if i.name in needed]
    inits = [t for t in graph.initializer if t.name in needed]
    del graph.node[:], graph.output[:], graph.input[:], graph.initializer[:]
    graph.node.extend(kept)
    graph.output.extend(outputs)
    graph.input.extend(inputs)
    graph.initializer.extend(inits)
    return model


SECOND_OPINION_TIMEOUT = 60
# Runs the ONNX reference evaluator on argv[1] (model) and argv[2] (.npz
# feeds) and writes its outputs to argv[3] (.npz).
_EVALUATE = """
import sys, numpy as np, onnx
from onnx.reference import ReferenceEvaluator
model = onnx.load(sys.argv[1])
names = [o.name for o in model.graph.output]
feeds = dict(np.load(sys.argv[2]))
np.savez(sys.argv[3], **dict(zip(names, ReferenceEvaluator(model).run(None, feeds))))
"""


def second_opinion(model_bytes, feeds, names=None):
    """The ONNX reference evaluator's outputs `names` (numpy, f32): where it
    and onnxruntime disagree beyond a path's tolerance, the graph's result
    depends on rounding (a normalization of equal values, say) and a
    mismatch there is no finding. The evaluator is slow (its Resize loops
    in Python: minutes for a 64x64 image), so it runs on the outputs' cone
    only, in a process given SECOND_OPINION_TIMEOUT seconds; past that
    there is no opinion ({})."""
    import sys
    import tempfile
    import onnx
    model = cone(model_bytes, names) if names else \
        onnx.load_from_string(model_bytes)
    wanted = {i.name for i in model.graph.input}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        onnx.save(model, str(tmp / "model.onnx"))
        np.savez(tmp / "feeds.npz",
                 **{k: v for k, v in feeds.items() if k in wanted})
        try:
            subprocess.run([sys.executable, "-c", _EVALUATE,
                            str(tmp / "model.onnx"), str(tmp / "feeds.npz"),
                            str(tmp / "out.npz")], capture_output=True,
                           timeout=SECOND_OPINION_TIMEOUT, check=True)
            with np.load(tmp / "out.npz") as out:
                return {k: out[k] for k in out.files}
        except (subprocess.SubprocessError, OSError):
            return {}


def cosine(a, e):
    denom = np.sqrt((a * a).sum() * (e * e).sum())
    if denom > 0:
        return float((a * e).sum() / denom)
    return 1.0 if np.array_equal(a, e) else 0.0


def compare(path, got, want, tolerance, moved=None):
    """Failures of outputs `got` against `want` under `tolerance`, widened
    by how far `moved` (the outputs of perturbed inputs) strays."""
    failures = []
    for name, expected in want.items():
        if name not in got:
            failures.append(Failure(path, "missing", "no output written",
                                    (name,)))
            continue
        actual = got[name]
        if actual.shape != expected.shape:
            failures.append(Failure(path, "mismatch",
                                    f"shape {actual.shape} != "
                                    f"{expected.shape}", (name,)))
            continue
        a = actual.astype(np.float64).ravel()
        e = expected.astype(np.float64).ravel()
        m = moved[name].astype(np.float64).ravel() if moved else e
        if "rtol" in tolerance:
            slack = SENSITIVITY * np.nan_to_num(np.abs(m - e))
            bad = np.abs(a - e) > (tolerance["atol"] + slack +
                                   tolerance["rtol"] * np.abs(e))
            bad &= ~(np.isnan(a) & np.isnan(e))
            if bad.any():
                i = int(np.argmax(bad))
                failures.append(Failure(
                    path, "mismatch",
                    f"{int(bad.sum())} of {a.size} beyond rtol "
                    f"{tolerance['rtol']} atol {tolerance['atol']}; first at "
                    f"{i}: {a[i]!r} vs {e[i]!r}", (name,)))
            continue
        if not np.isfinite(a).all():
            failures.append(Failure(path, "mismatch", "non-finite values",
                                    (name,)))
            continue
        scale = max(np.abs(e).max(initial=0.0), 1e-6)
        err = np.abs(a - e).max(initial=0.0) / scale
        moved_err = np.nan_to_num(np.abs(m - e)).max(initial=0.0) / scale
        floor = min(tolerance["cosine"],
                    1 - SENSITIVITY * (1 - cosine(m, e)))
        bound = max(tolerance["rel_to_max"], SENSITIVITY * moved_err)
        cos = cosine(a, e)
        if cos < floor or err > bound:
            failures.append(Failure(
                path, "mismatch",
                f"cosine {cos:.6f} (floor {floor:.6f}), max error {err:.3g} "
                f"of the largest magnitude (bound {bound:.3g})", (name,),
                got={name: actual}))
    return failures


def run_paths(binaries, model_path, feeds_path, want, work, paths=PATHS,
              timeout=120):
    """Runs `model_path` on every path in `paths`; returns the failures."""
    failures = []
    bins = pathlib.Path(binaries)
    names = list(want)
    work.mkdir(parents=True, exist_ok=True)
    model_bytes = pathlib.Path(model_path).read_bytes()
    feeds = dict(np.load(feeds_path))
    moved = {t["perturb"]: perturbed(model_bytes, feeds, t["perturb"])
             for t in (F32, BF16)}
    for path in paths:
        out = work / path
        if path == "reference":
            kind, msg = _tool([bins / "sinan-run", model_path, "--reference",
                               f"--inputs={feeds_path}",
                               f"--output-dir={out}"], timeout)
            if kind:
                failures.append(Failure(path, kind, msg))
                continue
            failures += compare(path, _load(out, names), want, F32,
                                moved[F32["perturb"]])
            continue
        module = work / f"{path}.snm"
        compile_cmd = [bins / "sinan-compile", model_path,
                       "--compile-to=module", f"-o={module}"]
        # An SNPU path runs every op the SNPU can run there (auto, the
        # default, would leave these small graphs on the host).
        compile_cmd += (["--placement=cpu"] if path == "cpu"
                        else [f"--target={path}", "--placement=snpu"])
        kind, msg = _tool(compile_cmd, timeout)
        if kind:
            failures.append(Failure(path, kind, "compile: " + msg))
            continue
        device = "cpu" if path == "cpu" else "snpu-sim"
        kind, msg = _tool([bins / "sinan-run", module, f"--device={device}",
                           f"--inputs={feeds_path}", f"--output-dir={out}",
                           "--host-threads=1"], timeout)
        if kind:
            failures.append(Failure(path, kind, "run: " + msg))
            continue
        got = _load(out, names)
        tolerance = F32 if path == "cpu" else BF16
        failures += compare(path, got, want, tolerance,
                            moved[tolerance["perturb"]])
        if path == "cpu":
            continue
        # The same module on the host: its launches' fallbacks promise the
        # kernels' results bit for bit.
        fallback = work / f"{path}-fallback"
        kind, msg = _tool([bins / "sinan-run", module, "--device=cpu",
                           f"--inputs={feeds_path}",
                           f"--output-dir={fallback}", "--host-threads=1"],
                          timeout)
        if kind:
            failures.append(Failure(path + "/fallback", kind, "run: " + msg))
            continue
        host = _load(fallback, names)
        for name in names:
            if name in got and name in host and not np.array_equal(
                    got[name], host[name], equal_nan=True):
                diff = np.abs(got[name].astype(np.float64) -
                              host[name].astype(np.float64))
                failures.append(Failure(
                    path, "inexact",
                    f"snpu-sim and its host fallbacks differ in "
                    f"{int((got[name] != host[name]).sum())} elements (max "
                    f"{np.nanmax(diff):.3g})", (name,)))
    return _conclusive(failures, model_bytes, feeds, want, moved)


def bf16_model(model_bytes):
    """The model with the SNPU matrix unit's numerics: each MatMul, Gemm
    and (not depthwise) Conv reads its first two operands rounded to bf16
    (Cast to bfloat16 and back); sums stay f32."""
    import onnx
    from onnx import TensorProto, helper
    model = onnx.load_from_string(model_bytes)
    graph = model.graph
    weights = {t.name: t for t in graph.initializer}
    nodes = []
    for node in graph.node:
        rounds = node.op_type in ("MatMul", "Gemm")
        if node.op_type == "Conv":
            group = next((a.i for a in node.attribute if a.name == "group"), 1)
            w = weights.get(node.input[1])
            rounds = not (w is not None and group > 1 and w.dims[1] == 1 and
                          w.dims[0] == group)
        if rounds:
            for i in (0, 1):
                name = node.input[i]
                half = helper.make_node("Cast", [name], [f"{name}__bf16_{node.name}"],
                                        to=TensorProto.BFLOAT16)
                back = helper.make_node("Cast", [half.output[0]],
                                        [f"{name}__r_{node.name}"],
                                        to=TensorProto.FLOAT)
                nodes += [half, back]
                node.input[i] = back.output[0]
        nodes.append(node)
    del graph.node[:]
    graph.node.extend(nodes)
    return model.SerializeToString()


def _conclusive(failures, model_bytes, feeds, want, moved):
    """`failures` less the mismatches that are no finding: an SNPU output
    within tolerance of onnxruntime with the matrix unit's bf16 operands
    (bf16_model), or an output on which onnxruntime and the ONNX reference
    evaluator disagree as much (second_opinion)."""
    if not any(f.kind == "mismatch" for f in failures):
        return failures
    opinions = {}
    mismatched = sorted({f.outputs[0] for f in failures
                         if f.kind == "mismatch" and f.outputs})

    def opinion(kind):
        if kind not in opinions:
            try:
                opinions[kind] = (
                    run_ort(bf16_model(model_bytes), feeds) if kind == "bf16"
                    else second_opinion(model_bytes, feeds, mismatched))
            except Exception:  # noqa: BLE001 - no opinion: keep failures.
                opinions[kind] = {}
        return opinions[kind]

    kept = []
    for f in failures:
        if f.kind == "mismatch" and f.outputs:
            name = f.outputs[0]
            snpu = f.path not in ("reference", "cpu")
            tolerance = BF16 if snpu else F32
            if snpu and name in opinion("bf16") and name in f.got and \
                    not compare(f.path, {name: f.got[name]},
                                {name: opinion("bf16")[name]}, tolerance,
                                moved[tolerance["perturb"]]):
                continue
            other = opinion("reference")
            if name in other and compare(
                    "onnx-reference", {name: np.asarray(other[name])},
                    {name: want[name]}, tolerance,
                    moved[tolerance["perturb"]]):
                continue
        kept.append(f)
    return kept
