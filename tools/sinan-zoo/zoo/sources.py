# SPDX-License-Identifier: Apache-2.0
"""Where a zoo model's ONNX file, fixed input and PyTorch outputs come from.

`torchvision:` and `zoo:` models are exported by export_model.py under
Debian's python3 (python3-torch) and cached by content hash: the hash covers
the exporter's source and the model's spec, so a warm run reuses the files
and any change to either regenerates them. `onnx-light:` models are the
light models the `onnx` wheel ships; `file:` is an ONNX file beside the
config. Nothing is downloaded.
"""

import dataclasses
import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import tempfile

import numpy as np
import onnx

HERE = pathlib.Path(__file__).resolve().parent
EXPORTER = HERE.parent / "export_model.py"


class SourceError(Exception):
    pass


@dataclasses.dataclass
class Materialized:
    onnx_path: pathlib.Path
    inputs_npz: pathlib.Path
    torch_npz: pathlib.Path = None  # PyTorch's outputs, when exported
    cached: bool = False
    seconds: float = 0.0


def export_spec(model):
    return {
        "source": model.source,
        "opset": model.opset,
        "seed": model.seed,
        "outputs": model.outputs,
        "inputs": {n: {"shape": i.shape, "dtype": i.dtype,
                       "range": list(i.range)}
                   for n, i in model.inputs.items()},
    }


def cache_key(model):
    h = hashlib.sha256()
    h.update(EXPORTER.read_bytes())
    h.update(json.dumps(export_spec(model), sort_keys=True).encode())
    return h.hexdigest()[:16]


def _export(model, cache_dir, torch_python, timeout):
    """The cached export of `model`, made first if missing."""
    key = cache_key(model)
    final = pathlib.Path(cache_dir) / f"{model.name}-{key}"
    if (final / "model.onnx").exists() and (final / "torch.npz").exists():
        return Materialized(final / "model.onnx", final / "inputs.npz",
                            final / "torch.npz", cached=True)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix=f".{model.name}-",
                                        dir=final.parent))
    try:
        proc = subprocess.run(
            [torch_python, str(EXPORTER), str(tmp)],
            input=json.dumps(export_spec(model)), capture_output=True,
            text=True, timeout=timeout)
        if proc.returncode != 0:
            tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
            raise SourceError(f"export with {torch_python} failed "
                              f"(exit {proc.returncode}):\n{tail}")
        (tmp / "export.log").write_text(proc.stderr)
        if final.exists():  # Another run got there first.
            shutil.rmtree(tmp)
        else:
            os.replace(tmp, final)
    except subprocess.TimeoutExpired:
        shutil.rmtree(tmp, ignore_errors=True)
        raise SourceError(f"export timed out after {timeout:.0f} s")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Materialized(final / "model.onnx", final / "inputs.npz",
                        final / "torch.npz")


def light_model_path(model):
    name = model.source_name
    path = (pathlib.Path(onnx.__file__).parent / "backend" / "test" / "data" /
            "light" / f"light_{name}.onnx")
    if not path.exists():
        raise SourceError(f"{model.path}: source: the onnx wheel has no light "
                          f"model '{name}' ({path})")
    return path


def random_inputs(model, path):
    """The fixed input of a model that is not exported: drawn from each
    input's range with the config's seed."""
    rng = np.random.default_rng(model.seed)
    arrays = {}
    for name, spec in model.inputs.items():
        lo, hi = spec.range
        if spec.dtype == "float32":
            arrays[name] = rng.uniform(lo, hi, spec.shape).astype(np.float32)
        else:
            arrays[name] = rng.integers(int(lo), int(hi) + 1, spec.shape,
                                        dtype=np.int64)
    np.savez(path, **arrays)


def materialize(model, work_dir, cache_dir, torch_python, timeout):
    kind, name = model.source_kind, model.source_name
    if kind in ("torchvision", "zoo"):
        if not shutil.which(torch_python) and not pathlib.Path(
                torch_python).exists():
            raise SourceError(f"{torch_python} not found; scripts/setup.sh "
                              "installs python3-torch")
        return _export(model, cache_dir, torch_python, timeout)
    if kind == "onnx-light":
        onnx_path = light_model_path(model)
    else:
        onnx_path = (model.path.parent / name).resolve()
        if not onnx_path.exists():
            raise SourceError(f"{model.path}: source: {onnx_path} does not "
                              "exist")
    inputs = pathlib.Path(work_dir) / "inputs.npz"
    random_inputs(model, inputs)
    return Materialized(onnx_path, inputs)


def check_inputs(model, onnx_path):
    """The config's inputs must be the model's graph inputs (initializers
    aside), in order, with compatible shapes."""
    m = onnx.load(str(onnx_path), load_external_data=False)
    inits = {i.name for i in m.graph.initializer}
    graph_inputs = [i for i in m.graph.input if i.name not in inits]
    names = [i.name for i in graph_inputs]
    if names != list(model.inputs):
        raise SourceError(f"{model.path}: inputs: the config names "
                          f"{list(model.inputs)}, the model's inputs are "
                          f"{names}")
    for gi in graph_inputs:
        dims = gi.type.tensor_type.shape.dim
        want = model.inputs[gi.name].shape
        if len(dims) != len(want) or any(
                d.HasField("dim_value") and d.dim_value != w
                for d, w in zip(dims, want)):
            got = [d.dim_value if d.HasField("dim_value") else d.dim_param
                   for d in dims]
            raise SourceError(f"{model.path}: inputs.{gi.name}.shape: "
                              f"{want} does not fit the model's {got}")
