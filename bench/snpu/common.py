"""Helpers the SNPU benchmarks share: the target's figures, running tools,
timing a compile and reading the blocks the tiler chose."""

import json
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def param(node):
    return node["value"] if isinstance(node, dict) and "value" in node else node


@dataclass
class Target:
    name: str
    cores: int
    tile: dict
    macs_per_cycle: int
    dram_bytes_per_cycle: int
    vector_f32_per_cycle: int

    def bound(self, macs, bytes_moved):
        """The roofline bound: compute or DRAM, whichever is slower."""
        return max(macs / self.macs_per_cycle,
                   bytes_moved / self.dram_bytes_per_cycle)

    def describe(self):
        t = self.tile
        return (f"target {self.name}: {self.cores} cores, bf16 tile "
                f"{t['m']}x{t['k']}x{t['n']}, peak {self.macs_per_cycle} "
                f"MACs/cycle, DRAM {self.dram_bytes_per_cycle} B/cycle")


def load_target(name):
    desc = json.loads((ROOT / "targets" / f"{name}.json").read_text())
    tile = {k: param(v) for k, v in desc["matrix"]["bf16"].items()
            if k in "mkn"}
    cores = param(desc["cores"])
    return Target(name, cores, tile, tile["m"] * tile["k"] * tile["n"] * cores,
                  param(desc["dram"]["bytes_per_cycle"]),
                  param(desc["vector"]["bytes_per_cycle"]) // 4 * cores)


def run(cmd):
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"error: {' '.join(map(str, cmd))}\n{result.stderr}")
    return result.stdout


def median_seconds(cmd, repeats=3):
    """Median wall time of `cmd` over `repeats` runs."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run(cmd)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def chosen_blocks(binary, model, target, with_plan=False):
    """The npu.blocks the tiler chose for the model's kernel, as AxBxC (and
    its npu.plan words when `with_plan`)."""
    npu = run([binary / "sinan-compile", model, "--target", target,
               "--placement=snpu",
               "--compile-to=npu", "--mlir-elide-elementsattrs-if-larger=16"])
    found = re.search(r"npu.blocks = array<i64: ([0-9, ]+)>", npu)
    blocks = found.group(1).replace(", ", "x") if found else "?"
    if not with_plan:
        return blocks
    plan = re.search(r'npu.plan = "([^"]*)"', npu)
    return blocks, plan.group(1) if plan else ""
