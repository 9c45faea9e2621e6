# SPDX-License-Identifier: Apache-2.0
"""Reads and checks the zoo's declarative configs (TOML, via tomlkit).

`test/zoo/zoo.toml` holds zoo-wide defaults; `test/zoo/models/NAME.toml`
describes one model. Every key is checked: an unknown key, a missing one, a
bad tolerance or an unknown target is a ConfigError naming the file and key.
"""

import dataclasses
import math
import pathlib

import tomlkit

# What each target runs and the precisions it offers (sinan-compile's
# --snpu-precision; the host path is f32 only).
TARGETS = {
    "cpu": ("f32",),
    "snpu-edge": ("bf16", "f32"),
    "snpu-server": ("bf16", "f32"),
}
TIERS = ("ci", "full")
DTYPES = ("float32", "int64")
SOURCE_KINDS = ("torchvision", "zoo", "onnx-light", "file")
TOLERANCE_KEYS = ("rtol", "atol", "cosine", "sqnr_db")
REFERENCES = ("onnxruntime", "torch")


@dataclasses.dataclass(frozen=True)
class Figure:
    """A figure a baseline may pin: which way is worse, whether its
    tolerance is relative (a fraction of the baseline) or absolute, and
    which targets report it."""
    higher_is_worse: bool
    relative: bool
    targets: tuple
    unit: str


FIGURES = {
    "compile_s": Figure(True, True, tuple(TARGETS), "s"),
    "module_bytes": Figure(True, True, tuple(TARGETS), "B"),
    "latency_ratio": Figure(True, True, ("cpu",), "x onnxruntime"),
    "cycles": Figure(True, True, ("snpu-edge", "snpu-server"), "cycles"),
    "kernel_cycles": Figure(True, True, ("snpu-edge", "snpu-server"),
                            "cycles"),
    "e2e_utilization": Figure(False, False, ("snpu-edge", "snpu-server"), ""),
    "snpu_mac_share": Figure(False, False, ("snpu-edge", "snpu-server"), ""),
}


class ConfigError(Exception):
    """A config problem, as 'FILE: KEY: what is wrong'."""

    def __init__(self, path, key, message):
        super().__init__(f"{path}: {key}: {message}" if key else
                         f"{path}: {message}")


@dataclasses.dataclass
class Input:
    shape: list
    dtype: str
    range: tuple


@dataclasses.dataclass
class Baseline:
    value: float
    tol: float  # Relative or absolute, as FIGURES says.


@dataclasses.dataclass
class Variant:
    """One target and precision of a model."""
    target: str
    precision: str
    tolerance: dict
    baselines: dict  # figure name -> Baseline

    @property
    def name(self):
        return f"{self.target}/{self.precision}"


@dataclasses.dataclass
class Model:
    name: str
    path: pathlib.Path
    description: str
    source: str
    tier: str
    opset: int
    seed: int
    inputs: dict  # name -> Input, in the model's order
    outputs: list  # names, or [] to take the exporter's default
    references: tuple
    timeout_s: float
    repeat: int
    variants: list  # Variant
    # sinan-compile's --placement for the SNPU targets: "auto" (its
    # default, what a user gets) or "snpu" (every op the SNPU can run).
    placement: str = "auto"

    @property
    def source_kind(self):
        return self.source.partition(":")[0]

    @property
    def source_name(self):
        return self.source.partition(":")[2]


@dataclasses.dataclass
class Defaults:
    path: pathlib.Path
    timeout_s: float
    repeat: int
    opset: int
    seed: int
    tolerance: dict  # precision -> {key: value}
    figure_tol: dict  # figure -> tolerance
    figure_slack: dict  # figure -> absolute slack (noise floor)
    # figure -> whether a regression fails the case (False: it is reported
    # as a warning; wall-clock figures on a shared VM are measured, not
    # asserted).
    figure_gate: dict = dataclasses.field(default_factory=dict)


def _load(path):
    try:
        return tomlkit.parse(pathlib.Path(path).read_text())
    except FileNotFoundError:
        raise ConfigError(path, None, "no such file")
    except tomlkit.exceptions.ParseError as e:
        raise ConfigError(path, None, f"not valid TOML: {e}")


def _check_keys(path, where, table, allowed, required=()):
    if not isinstance(table, dict):
        raise ConfigError(path, where, "expected a table")
    for key in table:
        if key not in allowed:
            raise ConfigError(path, f"{where}.{key}" if where else key,
                              "unknown key (allowed: " +
                              ", ".join(sorted(allowed)) + ")")
    for key in required:
        if key not in table:
            raise ConfigError(path, f"{where}.{key}" if where else key,
                              "missing")


def _number(path, key, value, positive=False, signed=False):
    """A finite number: >= 0 by default, > 0 if `positive`, any if
    `signed`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(path, key, f"expected a number, got {value!r}")
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        raise ConfigError(path, key, f"expected a finite number, got {value}")
    if not signed and (value < 0 or (positive and value == 0)):
        raise ConfigError(path, key, f"expected a positive number, got "
                          f"{value}")
    return value


def _int(path, key, value, minimum=0):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(path, key, f"expected an integer >= {minimum}, got "
                          f"{value!r}")
    return int(value)


def _tolerance(path, where, table):
    _check_keys(path, where, table, TOLERANCE_KEYS)
    tol = {}
    for key, value in table.items():
        value = _number(path, f"{where}.{key}", value)
        if key == "cosine" and not 0 < value <= 1:
            raise ConfigError(path, f"{where}.{key}",
                              f"a cosine bound lies in (0, 1], got {value}")
        tol[key] = value
    if ("rtol" in tol) != ("atol" in tol):
        raise ConfigError(path, where, "rtol and atol go together (allclose)")
    return tol


def load_defaults(path):
    path = pathlib.Path(path)
    doc = _load(path)
    _check_keys(path, "", doc, ("defaults", "tolerance", "figures"),
                ("defaults", "tolerance", "figures"))
    d = doc["defaults"]
    _check_keys(path, "defaults", d, ("timeout_s", "repeat", "opset", "seed"),
                ("timeout_s", "repeat", "opset", "seed"))
    tolerance = {}
    _check_keys(path, "tolerance", doc["tolerance"], ("f32", "bf16"),
                ("f32", "bf16"))
    for precision, table in doc["tolerance"].items():
        tolerance[precision] = _tolerance(path, f"tolerance.{precision}", table)
    figure_tol, figure_slack, figure_gate = {}, {}, {}
    _check_keys(path, "figures", doc["figures"], FIGURES, FIGURES)
    for name, table in doc["figures"].items():
        where = f"figures.{name}"
        _check_keys(path, where, table, ("tol", "slack", "gate"), ("tol",))
        figure_tol[name] = _number(path, f"{where}.tol", table["tol"])
        figure_slack[name] = _number(path, f"{where}.slack",
                                     table.get("slack", 0))
        gate = table.get("gate", True)
        if not isinstance(gate, bool):
            raise ConfigError(path, f"{where}.gate",
                              f"expected true or false, got {gate!r}")
        figure_gate[name] = bool(gate)
    return Defaults(path, _number(path, "defaults.timeout_s", d["timeout_s"],
                                  positive=True),
                    _int(path, "defaults.repeat", d["repeat"], 1),
                    _int(path, "defaults.opset", d["opset"], 7),
                    _int(path, "defaults.seed", d["seed"]), tolerance,
                    figure_tol, figure_slack, figure_gate)


MODEL_KEYS = ("description", "source", "tier", "opset", "seed", "inputs",
              "outputs", "references", "timeout_s", "repeat", "placement",
              "targets")
PLACEMENTS = ("auto", "snpu")


def _source(path, value):
    if not isinstance(value, str) or ":" not in value:
        raise ConfigError(path, "source", f"expected KIND:NAME with KIND one "
                          f"of {', '.join(SOURCE_KINDS)}, got {value!r}")
    kind, _, name = value.partition(":")
    if kind not in SOURCE_KINDS or not name:
        raise ConfigError(path, "source", f"expected KIND:NAME with KIND one "
                          f"of {', '.join(SOURCE_KINDS)}, got {value!r}")
    return value


def _inputs(path, table):
    if not isinstance(table, dict) or not table:
        raise ConfigError(path, "inputs", "expected a table of model inputs")
    inputs = {}
    for name, spec in table.items():
        where = f"inputs.{name}"
        _check_keys(path, where, spec, ("shape", "dtype", "range"),
                    ("shape", "dtype", "range"))
        shape = spec["shape"]
        if not isinstance(shape, list) or not all(
                isinstance(d, int) and not isinstance(d, bool) and d > 0
                for d in shape):
            raise ConfigError(path, f"{where}.shape",
                              f"expected a list of positive sizes, got "
                              f"{shape!r}")
        if spec["dtype"] not in DTYPES:
            raise ConfigError(path, f"{where}.dtype",
                              f"expected one of {', '.join(DTYPES)}, got "
                              f"{spec['dtype']!r}")
        rng = spec["range"]
        if not isinstance(rng, list) or len(rng) != 2:
            raise ConfigError(path, f"{where}.range", "expected [low, high]")
        lo = _number(path, f"{where}.range", rng[0], signed=True)
        hi = _number(path, f"{where}.range", rng[1], signed=True)
        if lo > hi:
            raise ConfigError(path, f"{where}.range", f"low {lo} > high {hi}")
        inputs[name] = Input([int(d) for d in shape], spec["dtype"], (lo, hi))
    return inputs


def _variants(path, table, defaults):
    if not isinstance(table, dict) or not table:
        raise ConfigError(path, "targets", "expected a table of targets")
    variants = []
    for target, precisions in table.items():
        where = f"targets.{target}"
        if target not in TARGETS:
            raise ConfigError(path, where, f"unknown target (known: "
                              f"{', '.join(TARGETS)})")
        if not isinstance(precisions, dict) or not precisions:
            raise ConfigError(path, where, "expected a table per precision, "
                              f"e.g. [{where}.{TARGETS[target][0]}]")
        for precision, spec in precisions.items():
            pwhere = f"{where}.{precision}"
            if precision not in TARGETS[target]:
                raise ConfigError(path, pwhere, f"{target} runs "
                                  f"{', '.join(TARGETS[target])}")
            _check_keys(path, pwhere, spec, ("tolerance", "baseline"))
            tolerance = dict(defaults.tolerance[precision])
            tolerance.update(_tolerance(path, f"{pwhere}.tolerance",
                                        spec.get("tolerance", {})))
            baselines = {}
            btable = spec.get("baseline", {})
            _check_keys(path, f"{pwhere}.baseline", btable,
                        [f for f, d in FIGURES.items() if target in d.targets])
            for figure, b in btable.items():
                bwhere = f"{pwhere}.baseline.{figure}"
                _check_keys(path, bwhere, b, ("value", "tol"), ("value",))
                tol = (_number(path, f"{bwhere}.tol", b["tol"]) if "tol" in b
                       else defaults.figure_tol[figure])
                baselines[figure] = Baseline(
                    _number(path, f"{bwhere}.value", b["value"]), tol)
            variants.append(Variant(target, precision, tolerance, baselines))
    return variants


def load_model(path, defaults):
    path = pathlib.Path(path)
    doc = _load(path)
    _check_keys(path, "", doc, MODEL_KEYS,
                ("source", "tier", "inputs", "targets"))
    tier = doc["tier"]
    if tier not in TIERS:
        raise ConfigError(path, "tier", f"expected one of {', '.join(TIERS)}, "
                          f"got {tier!r}")
    outputs = doc.get("outputs", [])
    if not isinstance(outputs, list) or not all(
            isinstance(o, str) for o in outputs):
        raise ConfigError(path, "outputs", "expected a list of names")
    references = doc.get("references", ["onnxruntime"])
    if (not isinstance(references, list) or not references or
            any(r not in REFERENCES for r in references)):
        raise ConfigError(path, "references", f"expected a list drawn from "
                          f"{', '.join(REFERENCES)}, got {references!r}")
    if "onnxruntime" not in references:
        raise ConfigError(path, "references", "onnxruntime, the independent "
                          "reference, is always one")
    placement = doc.get("placement", "auto")
    if placement not in PLACEMENTS:
        raise ConfigError(path, "placement", f"expected one of "
                          f"{', '.join(PLACEMENTS)}, got {placement!r}")
    source = _source(path, doc["source"])
    if "torch" in references and source.partition(":")[0] not in (
            "torchvision", "zoo"):
        raise ConfigError(path, "references", "only exported models "
                          "(torchvision:, zoo:) have PyTorch outputs")
    return Model(
        name=path.stem, path=path,
        description=str(doc.get("description", "")), source=source, tier=tier,
        opset=_int(path, "opset", doc.get("opset", defaults.opset), 7),
        seed=_int(path, "seed", doc.get("seed", defaults.seed)),
        inputs=_inputs(path, doc["inputs"]), outputs=[str(o) for o in outputs],
        references=tuple(references),
        timeout_s=_number(path, "timeout_s",
                          doc.get("timeout_s", defaults.timeout_s),
                          positive=True),
        repeat=_int(path, "repeat", doc.get("repeat", defaults.repeat), 1),
        variants=_variants(path, doc["targets"], defaults),
        placement=placement)


def load_zoo(zoo_dir):
    """The defaults and every model config under `zoo_dir`/models."""
    zoo_dir = pathlib.Path(zoo_dir)
    defaults = load_defaults(zoo_dir / "zoo.toml")
    paths = sorted((zoo_dir / "models").glob("*.toml"))
    if not paths:
        raise ConfigError(zoo_dir / "models", None, "no model configs")
    return defaults, [load_model(p, defaults) for p in paths]


def update_baselines(model, figures_by_variant):
    """Rewrites `model`'s config with new baseline values, keeping its
    comments, layout and tolerances. `figures_by_variant` maps
    (target, precision) to {figure: value}."""
    doc = _load(model.path)
    for (target, precision), figures in figures_by_variant.items():
        spec = doc["targets"][target][precision]
        if "baseline" not in spec:
            spec["baseline"] = tomlkit.table()
        baseline = spec["baseline"]
        for figure, value in figures.items():
            if figure not in FIGURES or target not in FIGURES[figure].targets:
                continue
            value = round(float(value), 6 if not FIGURES[figure].relative
                          else 4)
            if figure in ("module_bytes", "cycles", "kernel_cycles"):
                value = int(value)
            if figure in baseline:
                baseline[figure]["value"] = value
            else:
                entry = tomlkit.inline_table()
                entry["value"] = value
                baseline[figure] = entry
    model.path.write_text(tomlkit.dumps(doc))
