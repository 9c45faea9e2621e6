# SPDX-License-Identifier: Apache-2.0
"""Runs zoo models: per model, materialize it and compute the references
(onnxruntime, and PyTorch's outputs for exported models); per target and
precision, compile with sinan-compile, run with sinan-run, compare, and
check the figures against the config's baselines."""

import concurrent.futures
import datetime
import json
import os
import pathlib
import platform
import re
import subprocess
import sys
import threading
import time
import zlib

import numpy as np

from . import config as cfg
from . import metrics, sources


def npy_file_name(name):
    """The file sinan-run --output-dir writes output `name` to."""
    file = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    return ("_" + file if file in ("", ".", "..") else file) + ".npy"


class CaseFailure(Exception):
    def __init__(self, message, log=""):
        super().__init__(message)
        self.log = log


class Deadline:
    def __init__(self, seconds):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self, what):
        left = self.end - time.monotonic()
        if left <= 0:
            raise CaseFailure(f"timed out after {self.seconds:.0f} s "
                              f"(before {what})")
        return left


def _run(cmd, deadline, what, log):
    """Runs `cmd`, appending its output to `log`; a non-zero exit or the
    model's deadline is a CaseFailure naming `what`."""
    log.append("$ " + " ".join(str(c) for c in cmd))
    try:
        proc = subprocess.run([str(c) for c in cmd], capture_output=True,
                              text=True, timeout=deadline.left(what))
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"")
        log.append(out.decode() if isinstance(out, bytes) else out)
        raise CaseFailure(f"{what} timed out (model timeout "
                          f"{deadline.seconds:.0f} s)", "\n".join(log))
    log.append(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        lines = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
        # The first error line names the culprit (an unsupported-ops error
        # lists the nodes after it); else the last line.
        errors = [line for line in lines if "error" in line.lower()]
        reason = (errors[0] if errors else lines[-1]) if lines else \
            f"exit {proc.returncode}"
        if proc.returncode < 0:
            reason = f"killed by signal {-proc.returncode}: {reason}"
        raise CaseFailure(f"{what} failed: {reason}", "\n".join(log))
    return proc


def _ort_session(path, threads):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3  # Warnings about unused initializers are noise.
    return ort.InferenceSession(str(path), opts,
                                providers=["CPUExecutionProvider"])


def _timed_ms(fn, repeat):
    """The median and the best of `repeat` runs of `fn`, in ms."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    times.sort()
    return times[len(times) // 2], times[0]


def _compare_all(outputs, references, tolerance, names):
    """Per reference and output, the comparison figures; the first failure
    as the reason."""
    accuracy, why = {}, None
    for ref_name, ref in references.items():
        per_output = {}
        for name in names:
            if name not in outputs:
                per_output[name] = {"pass": False, "why": "not produced"}
            elif name not in ref:
                continue
            else:
                per_output[name] = metrics.compare(outputs[name], ref[name],
                                                   tolerance)
            if not per_output[name]["pass"] and why is None:
                why = (f"output '{name}' vs {ref_name}: "
                       f"{per_output[name]['why']}")
        accuracy[ref_name] = per_output
    return accuracy, why


def _check_baselines(variant, figures, defaults):
    """Regressions (beyond tolerance, the bad way) of gated figures, of
    ungated ones (warnings), and improvements."""
    regressions, warnings, improvements = [], [], []
    for figure, base in variant.baselines.items():
        if figure not in figures:
            continue
        spec = cfg.FIGURES[figure]
        value = figures[figure]
        slack = defaults.figure_slack.get(figure, 0.0)
        allowed = (abs(base.value) * base.tol if spec.relative else
                   base.tol) + slack
        delta = value - base.value
        worse = delta if spec.higher_is_worse else -delta
        text = (f"{figure} {value:.6g} vs baseline {base.value:.6g} "
                f"(tolerance {base.tol:g}{' relative' if spec.relative else ''}"
                f"{f' + {slack:g}' if slack else ''})")
        if worse > allowed:
            gated = defaults.figure_gate.get(figure, True)
            (regressions if gated else warnings).append(text)
        elif -worse > allowed:
            improvements.append(text)
    return regressions, warnings, improvements


class Runner:
    def __init__(self, args, defaults):
        self.args = args
        self.defaults = defaults
        self.bin = pathlib.Path(args.bin)
        self.out = pathlib.Path(args.out)
        self.lock = threading.Lock()
        self.done = 0
        self.total = 0
        self.started = time.monotonic()

    # --- Per model. ---

    def run_model(self, model, variants):
        work = self.out / model.name
        work.mkdir(parents=True, exist_ok=True)
        deadline = Deadline(model.timeout_s)
        base = {"model": model.name, "tier": model.tier,
                "source": model.source}
        try:
            prepared = self._prepare(model, work, deadline)
        except Exception as e:  # Export, onnxruntime, a missing file.
            log = getattr(e, "log", "")
            results = []
            for v in variants:
                results.append(dict(base, target=v.target,
                                    precision=v.precision, status="fail",
                                    reason=f"preparing the model: {e}",
                                    log=log, seconds=0.0))
                self._progress(results[-1])
            return results
        results = []
        for variant in variants:
            start = time.monotonic()
            record = dict(base, target=variant.target,
                          precision=variant.precision)
            try:
                record.update(self._run_variant(model, variant, prepared,
                                                work, deadline))
            except CaseFailure as e:
                record.update(status="fail", reason=str(e), log=e.log)
            except Exception as e:  # A runner bug must not stop the zoo.
                record.update(status="fail", reason=f"runner error: "
                              f"{type(e).__name__}: {e}", log="")
            record["seconds"] = round(time.monotonic() - start, 2)
            results.append(record)
            if "_variant" in record and "_timing" not in record:
                self._finish(record)
            elif "_variant" not in record:
                self._progress(record)
        return results

    def _prepare(self, model, work, deadline):
        start = time.monotonic()
        m = sources.materialize(model, work, self.args.cache,
                                self.args.torch_python,
                                deadline.left("export"))
        m.seconds = time.monotonic() - start
        sources.check_inputs(model, m.onnx_path)
        inputs = dict(np.load(m.inputs_npz))
        session = _ort_session(m.onnx_path, self.args.threads)
        names = [o.name for o in session.get_outputs()]
        ort_out = dict(zip(names, session.run(None, inputs)))
        np.savez(work / "onnxruntime.npz", **ort_out)
        references = {"onnxruntime": ort_out}
        if "torch" in model.references:
            if m.torch_npz is None:
                raise CaseFailure("no PyTorch outputs for this source")
            references["torch"] = dict(np.load(m.torch_npz))
        # How far the two references are apart: the floor any tolerance
        # must sit above.
        spread = {}
        if "torch" in references:
            for name in names:
                if name in references["torch"]:
                    spread[name] = metrics.compare(
                        references["torch"][name], ort_out[name], {})
        total_macs, unknown = metrics.model_macs(
            m.onnx_path, {n: i.shape for n, i in model.inputs.items()})
        return {"materialized": m, "references": references,
                "output_names": names,
                "reference_spread": spread,
                "total_macs": total_macs, "unknown_mac_nodes": unknown}

    # --- Per target and precision. ---

    def _module_bytes(self, module, on_cpu, log, deadline):
        """The module's size; for the CPU target without its CPU object,
        which --cpu=native compiles for whatever machine runs the zoo (a
        baseline must not move with the host's vector width)."""
        size = module.stat().st_size
        if not on_cpu:
            return size
        dump = _run([self.bin / "sinan-objdump", module], deadline,
                    "sinan-objdump", log)
        found = re.search(r"^\s*cpu\s+(\d+) bytes", dump.stdout,
                          re.MULTILINE)
        return size - int(found.group(1)) if found else size

    def _run_variant(self, model, variant, prepared, work, deadline):
        m = prepared["materialized"]
        stem = f"{variant.target}.{variant.precision}"
        module = work / f"{stem}.snm"
        log = []
        shapes = [f"--input-shape={n}={'x'.join(map(str, i.shape))}"
                  for n, i in model.inputs.items()]
        on_cpu = variant.target == "cpu"
        compile_cmd = [self.bin / "sinan-compile", m.onnx_path,
                       "--compile-to=module", f"-o={module}", *shapes]
        if on_cpu:
            # Compiled for this machine, as onnxruntime picks its kernels
            # for the CPU it runs on: the latency ratio compares like with
            # like (the default, x86-64-v3, is for modules that travel).
            compile_cmd += ["--placement=cpu", "--cpu=native"]
        else:
            compile_cmd += [f"--target={variant.target}",
                            f"--snpu-precision={variant.precision}",
                            f"--placement={model.placement}"]
        start = time.monotonic()
        _run(compile_cmd, deadline, "sinan-compile", log)
        compile_s = time.monotonic() - start

        out_dir = work / stem
        report = work / f"{stem}.report.json"
        run_cmd = [self.bin / "sinan-run", module, f"--inputs={m.inputs_npz}",
                   f"--output-dir={out_dir}", f"--report={report}",
                   f"--host-threads={self.args.threads}",
                   f"--device={'cpu' if on_cpu else 'snpu-sim'}"]
        # The SNPU figures are a session's second run: its first copies the
        # constants the device keeps (weights, biases) across runs. The
        # simulator runs every kernel with the engines ready in a cycle in
        # an order shuffled by a seed of the case's own, so the hazard
        # checker sees another legal interleaving than the fixed one (the
        # outputs must not change; cycles move by a few at most).
        if not on_cpu:
            seed = zlib.crc32(f"{model.name}/{variant.target}".encode()) | 1
            run_cmd += ["--repeat=2", f"--sim-seed={seed}"]
        _run(run_cmd, deadline, "sinan-run", log)
        rep = json.loads(report.read_text())
        outputs = {}
        for name in prepared["output_names"]:
            path = out_dir / npy_file_name(name)
            if path.exists():
                outputs[name] = np.load(path)
        accuracy, why = _compare_all(outputs, prepared["references"],
                                     variant.tolerance,
                                     prepared["output_names"])

        figures = {"compile_s": round(compile_s, 3),
                   "module_bytes": self._module_bytes(module, on_cpu, log,
                                                      deadline),
                   "host_ops_native": rep["host_ops"]["native"],
                   "host_ops_reference": rep["host_ops"]["reference"],
                   "model_macs": prepared["total_macs"],
                   "host_macs": rep["host_ops"]["macs"]}
        if not on_cpu:
            s = rep["snpu"]
            # Every step's cycles: kernels, host-link copies and host ops
            # (their modeled time, which the timeline charges too).
            cycles = (s["kernel_cycles"] + s["copy_cycles"] +
                      s.get("host_cycles", 0))
            total = prepared["total_macs"]
            figures.update({
                "cycles": cycles,
                "kernel_cycles": s["kernel_cycles"],
                "copy_cycles": s["copy_cycles"],
                "host_cycles": s.get("host_cycles", 0),
                "timeline_cycles": s["timeline_cycles"],
                "snpu_us": cycles / s["clock_mhz"],
                "mxu_utilization": s["mxu_utilization"],
                "snpu_macs": s["macs"],
                # The device's own MACs over all the network ran (sinan-run
                # counts each launch's op, unpadded).
                "snpu_mac_share": (
                    s["device_macs"] / (s["device_macs"] + s["host_macs"])
                    if s["device_macs"] + s["host_macs"] else
                    max(0.0, 1 - rep["host_ops"]["macs"] / total) if total
                    else 0.0),
                "e2e_utilization": s["end_to_end_utilization"],
                "padding_waste": s["padding_waste"],
                "dram_bytes": s["dram_bytes"],
                "minimal_dram_bytes": s["minimal_dram_bytes"],
                "roofline_cycles": sum(k["roofline_cycles"]
                                       for k in s["kernels"]),
                "dma_bytes": s["bytes_to_device"] + s["bytes_to_host"],
                "launches": s["launches"],
                "engine_busy": {k: v / max(1, s["kernel_cycles"] * s["cores"])
                                for k, v in s["engine_busy_cycles"].items()},
            })
        record = {"figures": figures, "accuracy": accuracy,
                  "reference_spread": prepared["reference_spread"],
                  "_why": why, "_log": log, "_variant": variant}
        if on_cpu:
            record["_timing"] = {"run": run_cmd, "module": module,
                                 "onnx": m.onnx_path,
                                 "inputs": m.inputs_npz, "repeat": model.repeat,
                                 "report": report}
        return record

    def _finish(self, record):
        """The case's status from its accuracy and its baselines."""
        variant, why = record.pop("_variant"), record.pop("_why")
        log = record.pop("_log")
        record.pop("_timing", None)
        regressions, warnings, improvements = _check_baselines(
            variant, record["figures"], self.defaults)
        status, reason = "pass", ""
        if why:
            status, reason = "fail", f"accuracy: {why}"
        elif regressions:
            status, reason = "fail", "regression: " + "; ".join(regressions)
        record.update(status=status, reason=reason, improvements=improvements,
                      warnings=warnings,
                      log="\n".join(log) if status == "fail" else "")
        self._progress(record)

    def _time(self, records):
        """Latency of one model on the CPU, onnxruntime's and each cpu
        case's Sinan, measured with nothing else running. The ratio the
        baselines pin compares the best of `repeat` runs: medians of Sinan's
        runs moved by 1.7x between runs of the same module (265-509 ms for
        tiny_yolo within one process), the best by about 20%."""
        first = records[0]["_timing"]
        try:
            inputs = dict(np.load(first["inputs"]))
            session = _ort_session(first["onnx"], self.args.threads)
            session.run(None, inputs)  # Warm-up.
            ort_ms, ort_best = _timed_ms(lambda: session.run(None, inputs),
                                         first["repeat"])
            del session
        except Exception as e:
            for r in records:
                r["_why"] = r["_why"] or f"timing onnxruntime: {e}"
            return
        for r in records:
            t = r["_timing"]
            try:
                # Alone on the machine: pinned (sinan-run pins only with
                # one thread per CPU).
                # One untimed run first, as onnxruntime's above (a session's
                # first run packs weights and starts its threads).
                _run(t["run"] + [f"--repeat={t['repeat']}", "--warmup=1",
                                 "--pin-host-threads"],
                     Deadline(600), "sinan-run (timed)", r["_log"])
            except CaseFailure as e:
                r["_why"] = r["_why"] or str(e)
                continue
            times = json.loads(t["report"].read_text())["time_ms"]
            r["figures"].update(
                latency_ms=times["median"], latency_best_ms=times["min"],
                onnxruntime_ms=ort_ms, onnxruntime_best_ms=ort_best,
                latency_ratio=times["min"] / max(ort_best, 1e-6),
                latency_ratio_median=times["median"] / max(ort_ms, 1e-6))

    # --- Progress and the whole run. ---

    def _progress(self, record):
        with self.lock:
            self.done += 1
            elapsed = time.monotonic() - self.started
            line = (f"[{self.done:>{len(str(self.total))}}/{self.total}] "
                    f"{record['status'].upper():4} {record['model']} "
                    f"{record['target']}/{record['precision']} "
                    f"({record.get('seconds', 0):.1f} s; {elapsed:.0f} s "
                    "elapsed)")
            if record["status"] != "pass":
                line += f": {record['reason']}"
            print(line, file=sys.stderr, flush=True)

    def run(self, models):
        self.total = sum(len(self._variants(m)) for m in models)
        results = []
        with concurrent.futures.ThreadPoolExecutor(self.args.jobs) as pool:
            futures = [pool.submit(self.run_model, m, self._variants(m))
                       for m in models]
            for f in futures:
                results.extend(f.result())
        # Latency last and one at a time: parallel jobs would time each
        # other's work.
        timed = {}
        for r in results:
            if "_timing" in r:
                timed.setdefault(r["model"], []).append(r)
        if timed:
            print(f"sinan-zoo: timing {len(timed)} models on the CPU, one at "
                  "a time", file=sys.stderr, flush=True)
        for records in timed.values():
            self._time(records)
            for r in records:
                self._finish(r)
        return results

    def _variants(self, model):
        wanted = self.args.targets
        return [v for v in model.variants
                if not wanted or v.target in wanted]


def machine_info():
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = ""
    try:
        commit = subprocess.run(["git", "describe", "--always", "--dirty"],
                                capture_output=True, text=True,
                                cwd=pathlib.Path(__file__).parent).stdout.strip()
    except OSError:
        pass
    import onnxruntime
    return {"date": datetime.datetime.now(datetime.timezone.utc)
            .strftime("%Y-%m-%d %H:%M UTC"),
            "commit": commit, "cpu": cpu, "cores": os.cpu_count(),
            "python": platform.python_version(),
            "onnxruntime": onnxruntime.__version__}
