# SPDX-License-Identifier: Apache-2.0
"""Tests of the model-zoo runner (tools/sinan-zoo): config checking, the
comparison and baseline rules, baseline rewriting, and a run whose models
fail in different ways."""

import json
import pathlib
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

ROOT = pathlib.Path(__file__).resolve().parents[2]
ZOO_TOOL = ROOT / "tools" / "sinan-zoo"
sys.path.insert(0, str(ZOO_TOOL))

from zoo import config as cfg  # noqa: E402
from zoo import metrics, report, runner, sources  # noqa: E402

BIN = ROOT / "build" / "dev" / "bin"


def test_checked_in_zoo_loads():
    defaults, models = cfg.load_zoo(ROOT / "test" / "zoo")
    assert len(models) >= 20
    names = {m.name for m in models}
    assert {"resnet50", "mobilenet_v2", "bert_encoder", "gpt_decoder",
            "vit_tiny", "tiny_yolo", "lraspp_mobilenet_v3", "mlp"} <= names
    assert sum(m.source_kind == "onnx-light" for m in models) == 9
    assert sum(m.source_kind == "torchvision" for m in models) >= 6
    assert any(m.tier == "ci" for m in models)
    for m in models:
        assert {v.target for v in m.variants} == set(cfg.TARGETS), m.name
        assert "onnxruntime" in m.references


@pytest.fixture
def zoo(tmp_path):
    """A zoo folder with the real defaults and no models yet."""
    (tmp_path / "models").mkdir()
    shutil.copy(ROOT / "test" / "zoo" / "zoo.toml", tmp_path / "zoo.toml")
    return tmp_path


GOOD = """
source = "file:m.onnx"
tier = "ci"
[inputs.x]
shape = [2, 3]
dtype = "float32"
range = [-1.0, 1.0]
[targets.cpu.f32]
"""


def _error(zoo, text):
    (zoo / "models" / "m.toml").write_text(text)
    with pytest.raises(cfg.ConfigError) as e:
        cfg.load_zoo(zoo)
    return str(e.value)


def test_config_errors_name_file_and_key(zoo):
    path = str(zoo / "models" / "m.toml")
    e = _error(zoo, GOOD + "colour = 'red'\n")
    assert e.startswith(path) and "colour: unknown key" in e
    e = _error(zoo, GOOD.replace("[targets.cpu.f32]", "[targets.gpu.f32]"))
    assert "targets.gpu: unknown target" in e
    e = _error(zoo, GOOD + "[targets.snpu-edge.int4]\n")
    assert "targets.snpu-edge.int4: snpu-edge runs bf16, f32" in e
    e = _error(zoo, GOOD + "[targets.cpu.f32.tolerance]\ncosine = 1.5\n"
               .replace("[targets.cpu.f32]\n", ""))
    assert "cosine" in e
    bad_tol = GOOD.replace("[targets.cpu.f32]",
                           "[targets.cpu.f32]\ntolerance = { cosine = 1.5 }")
    assert "targets.cpu.f32.tolerance.cosine: a cosine bound lies in (0, 1]" \
        in _error(zoo, bad_tol)
    neg = GOOD.replace("[targets.cpu.f32]",
                       "[targets.cpu.f32]\ntolerance = { rtol = -1, atol = 0 }")
    assert "tolerance.rtol: expected a positive number" in _error(zoo, neg)
    lone = GOOD.replace("[targets.cpu.f32]",
                        "[targets.cpu.f32]\ntolerance = { rtol = 1e-3 }")
    assert "rtol and atol go together" in _error(zoo, lone)
    cycles_on_cpu = GOOD.replace(
        "[targets.cpu.f32]", "[targets.cpu.f32]\nbaseline.cycles = "
        "{ value = 5 }")
    assert "targets.cpu.f32.baseline.cycles: unknown key" in _error(
        zoo, cycles_on_cpu)
    assert "tier: expected one of ci, full" in _error(
        zoo, GOOD.replace('tier = "ci"', 'tier = "nightly"'))
    assert "source: expected KIND:NAME" in _error(
        zoo, GOOD.replace('"file:m.onnx"', '"hub:resnet"'))
    assert "inputs.x.shape" in _error(zoo, GOOD.replace("[2, 3]", "[2, 0]"))
    assert "not valid TOML" in _error(zoo, GOOD + "[[[")
    assert "references" in _error(zoo, GOOD + 'references = ["torch"]\n')


def test_compare_rules():
    a = np.array([1.0, 2.0, 3.0], np.float32)
    same = metrics.compare(a, a.copy(), {"rtol": 1e-4, "atol": 1e-5})
    assert same["pass"] and same["exact"] and same["cosine"] == 1.0
    off = metrics.compare(a + 0.01, a, {"rtol": 1e-4, "atol": 1e-5,
                                        "cosine": 0.9})
    assert not off["pass"] and "not allclose" in off["why"]
    similar = metrics.compare(a + 0.01, a, {"cosine": 0.999,
                                            "sqnr_db": 30})
    assert similar["pass"], similar
    flipped = metrics.compare(-a, a, {"cosine": 0.99})
    assert not flipped["pass"] and "cosine -1.000000 < 0.99" in flipped["why"]
    assert not metrics.compare(a[:2], a, {})["pass"]
    nan = metrics.compare(np.array([np.nan], np.float32),
                          np.array([1.0], np.float32), {"cosine": 0.9})
    assert not nan["pass"] and "non-finite" in nan["why"]


def test_baseline_rules(zoo):
    defaults = cfg.load_defaults(zoo / "zoo.toml")
    v = cfg.Variant("snpu-edge", "bf16", {}, {
        "cycles": cfg.Baseline(1000, 0.02),
        "e2e_utilization": cfg.Baseline(0.5, 0.02)})
    check = runner._check_baselines
    assert check(v, {"cycles": 1019, "e2e_utilization": 0.49},
                 defaults) == ([], [], [])
    bad, _, _ = check(v, {"cycles": 1021, "e2e_utilization": 0.47}, defaults)
    assert len(bad) == 2 and bad[0].startswith("cycles 1021 vs baseline 1000")
    _, _, better = check(v, {"cycles": 900, "e2e_utilization": 0.6}, defaults)
    assert len(better) == 2
    # Wall-clock figures are not gated: a slowdown is a warning.
    cpu = cfg.Variant("cpu", "f32", {}, {
        "latency_ratio": cfg.Baseline(10.0, 1.5)})
    bad, warned, _ = check(cpu, {"latency_ratio": 50.0}, defaults)
    assert bad == [] and warned[0].startswith("latency_ratio 50 vs baseline")


def test_update_baselines_keeps_comments(zoo):
    text = GOOD.replace("[targets.cpu.f32]",
                        "# keep me\n[targets.cpu.f32]\nbaseline.compile_s = "
                        "{ value = 9.0, tol = 3.0 }")
    (zoo / "m.onnx").write_bytes(b"")
    path = zoo / "models" / "m.toml"
    path.write_text(text)
    defaults, (model,) = cfg.load_zoo(zoo)
    cfg.update_baselines(model, {("cpu", "f32"): {
        "compile_s": 1.23456, "module_bytes": 4096.0, "latency_ms": 3.0,
        "latency_ratio": 2.5}})
    new = path.read_text()
    assert "# keep me" in new
    _, (model,) = cfg.load_zoo(zoo)
    b = model.variants[0].baselines
    assert b["compile_s"].value == pytest.approx(1.2346)
    assert b["compile_s"].tol == 3.0  # Kept.
    assert b["module_bytes"].value == 4096 and "latency_ms" not in b
    assert b["latency_ratio"].tol == defaults.figure_tol["latency_ratio"]


def test_gate_must_be_a_boolean(zoo):
    path = zoo / "zoo.toml"
    path.write_text(path.read_text().replace(
        "[figures.cycles]\ntol = 0.02", "[figures.cycles]\ntol = 0.02\ngate = 1"))
    with pytest.raises(cfg.ConfigError, match="figures.cycles.gate"):
        cfg.load_defaults(path)


def test_npy_file_names_match_sinan_run():
    assert runner.npy_file_name("gpu_0/softmax_1") == "gpu_0_softmax_1.npy"
    assert runner.npy_file_name("..") == "_...npy"


def test_compare_runs():
    def run(commit, cycles, status="pass"):
        return {"meta": {"commit": commit, "date": "d"}, "results": [
            {"model": "m", "target": "snpu-edge", "precision": "bf16",
             "status": status, "reason": "", "figures": {"cycles": cycles}}]}
    text = report.compare(run("a", 1000), run("b", 1100, "fail"))
    assert "m snpu-edge/bf16: pass -> fail" in text
    assert "cycles 1000 -> 1100 (+10.0%)" in text
    assert "nothing moved" in report.compare(run("a", 1000), run("b", 1001))


def _model(path, nodes, inits, out_shape):
    graph = helper.make_graph(
        nodes, path.stem,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)],
        initializer=inits)
    onnx.save(helper.make_model(graph, ir_version=8, opset_imports=[
        helper.make_opsetid("", 17)]), str(path))


@pytest.mark.skipif(not (BIN / "sinan-compile").exists(),
                    reason="needs the dev build's tools")
def test_run_goes_on_past_failures(zoo, tmp_path):
    w = numpy_helper.from_array(np.eye(2, dtype=np.float32) * 3, "w")
    _model(zoo / "models" / "good.onnx", [helper.make_node("MatMul", ["x", "w"], ["y"])],
           [w], [2, 2])
    # Det: onnxruntime runs it, Sinan's importer does not support it.
    _model(zoo / "models" / "det.onnx", [helper.make_node("Det", ["x"], ["y"])], [], [])
    spec = GOOD.replace("[2, 3]", "[2, 2]")
    # (A 2x2 product is cheaper on the host: placement = "snpu" keeps it
    # on the device, where the figures come from.)
    (zoo / "models" / "good.toml").write_text(
        'placement = "snpu"\n' + spec.replace("m.onnx", "good.onnx") +
        "[targets.snpu-edge.bf16]\n")
    (zoo / "models" / "det.toml").write_text(spec.replace("m.onnx", "det.onnx"))
    (zoo / "models" / "slow.toml").write_text(
        "timeout_s = 0.000001\n" + spec.replace("m.onnx", "good.onnx"))
    (zoo / "models" / "gone.toml").write_text(spec.replace("m.onnx",
                                                           "gone.onnx"))
    out = tmp_path / "out"
    cmd = [sys.executable, str(ZOO_TOOL / "sinan-zoo"), "run", "--zoo",
           str(zoo), "--bin", str(BIN), "--out", str(out), "--junit",
           str(out / "junit.xml"), "--jobs", "2"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.strip().endswith("2 passed, 3 failed"), proc.stdout
    record = json.loads((out / "zoo-run.json").read_text())
    by = {(r["model"], r["target"]): r for r in record["results"]}
    assert by[("good", "cpu")]["status"] == "pass"
    assert by[("good", "snpu-edge")]["status"] == "pass"
    assert by[("good", "snpu-edge")]["figures"]["snpu_mac_share"] == 1.0
    det = by[("det", "cpu")]
    assert det["status"] == "fail" and "sinan-compile failed" in det["reason"]
    assert "Det" in det["log"]
    assert "timed out" in by[("slow", "cpu")]["reason"]
    assert "does not exist" in by[("gone", "cpu")]["reason"]
    suite = ET.parse(out / "junit.xml").getroot()
    assert suite.get("tests") == "5" and suite.get("failures") == "3"
    assert "FAIL det cpu/f32" in proc.stderr

    # A baseline the run misses by far fails the case, naming the figure;
    # --update-baselines records the run and the next run passes.
    good = zoo / "models" / "good.toml"
    good.write_text(good.read_text().replace(
        "[targets.snpu-edge.bf16]",
        "[targets.snpu-edge.bf16]\nbaseline.cycles = { value = 10 }"))
    cmd_good = cmd + ["--models", "good"]
    proc = subprocess.run(cmd_good, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 1 and "regression: cycles" in proc.stderr
    proc = subprocess.run(cmd_good + ["--update-baselines"],
                          capture_output=True, text=True, timeout=300)
    proc = subprocess.run(cmd_good, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "baseline.cycles = { value = 10 }" not in good.read_text()

    # Report and charts from the run's JSON.
    md = tmp_path / "docs" / "zoo-report.md"
    md.parent.mkdir()
    subprocess.run([sys.executable, str(ZOO_TOOL / "sinan-zoo"), "report",
                    str(out / "zoo-run.json"), "--out", str(md)], check=True,
                   capture_output=True)
    text = md.read_text()
    assert "| good | pass |" in text
    assert (tmp_path / "docs" / "zoo" / "latency-ratio.png").exists()


def test_bad_selection_is_an_error(zoo, tmp_path):
    (zoo / "models" / "m.toml").write_text(GOOD)
    proc = subprocess.run(
        [sys.executable, str(ZOO_TOOL / "sinan-zoo"), "run", "--zoo", str(zoo),
         "--models", "nope", "--bin", str(tmp_path)], capture_output=True,
        text=True)
    assert proc.returncode == 2
    assert "--models: no model config 'nope.toml'" in proc.stderr
    proc = subprocess.run(
        [sys.executable, str(ZOO_TOOL / "sinan-zoo"), "run", "--zoo", str(zoo),
         "--shard", "3/2"], capture_output=True, text=True)
    assert proc.returncode == 2 and "need 1 <= I <= N" in proc.stderr


def test_failure_reason_is_the_first_error_line():
    # An unsupported-ops error lists the nodes after its header: the case's
    # reason is the header, not the last node.
    script = ("import sys; sys.stderr.write('sinan-compile: error: "
              "unsupported ONNX ops (1 kind, 2 nodes): GridSample\\n"
              "  /m/GridSample\\n  /m/GridSample_1\\n'); sys.exit(1)")
    with pytest.raises(runner.CaseFailure) as failure:
        runner._run([sys.executable, "-c", script], runner.Deadline(60),
                    "compile", [])
    assert str(failure.value).startswith(
        "compile failed: sinan-compile: error: unsupported ONNX ops"), \
        str(failure.value)
    # Without an error line, the last line.
    script = "import sys; print('a'); print('b'); sys.exit(2)"
    with pytest.raises(runner.CaseFailure) as failure:
        runner._run([sys.executable, "-c", script], runner.Deadline(60),
                    "run", [])
    assert str(failure.value).startswith("run failed: b"), str(failure.value)
