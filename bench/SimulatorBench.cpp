//===- SimulatorBench.cpp - SNPU simulator speed and simulated efficiency -===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Host speed of the device model (simulated MACs and instructions per host
// second) and the simulated efficiency of the hand-written kernels:
//   build/release/bench/sinan-bench-sim
// Counters: items_per_second (simulated MACs per host second), instructions
// (simulated instructions per host second), sim_cycles, mxu_util (fraction of
// the whole chip's bf16 peak, so a one-core kernel on snpu-server is at most
// 25%), roofline_bound (the chip utilization the DRAM traffic allows).
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/Numerics.h"
#include "sinan/runtime/sim/Simulator.h"

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <fstream>
#include <random>
#include <sstream>

using namespace sinan;

namespace {

std::string readKernel(const std::string &name) {
  std::ifstream file(std::string(SINAN_TEST_DIR) + "/sim/" + name);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

TargetDesc preset(const char *name) {
  std::string error;
  std::optional<TargetDesc> target = loadBuiltinTarget(name, error);
  if (!target)
    throw std::runtime_error(error);
  return *target;
}

isa::Kernel build(const TargetDesc &target,
                  const std::vector<std::string> &programs) {
  isa::Kernel kernel;
  kernel.targetName = target.name;
  kernel.targetFingerprint = isa::targetFingerprint(target);
  for (const std::string &text : programs) {
    std::string error;
    auto program = isa::assemble(text, error);
    if (!program)
      throw std::runtime_error(error);
    kernel.programs.push_back(*program);
  }
  return kernel;
}

std::vector<uint8_t> randomBF16(size_t bytes, size_t count) {
  std::vector<uint8_t> dram(bytes, 0);
  std::mt19937 rng(1);
  std::normal_distribution<float> dist;
  for (size_t i = 0; i < count; ++i) {
    uint16_t bits = floatToBF16(dist(rng));
    std::memcpy(&dram[2 * i], &bits, 2);
  }
  return dram;
}

void report(benchmark::State &state, const TargetDesc &target,
            const sim::Result &result, uint64_t macs) {
  if (!result.ok) {
    state.SkipWithError(result.error.c_str());
    return;
  }
  const sim::Stats &stats = result.stats;
  uint64_t dramBytes = 0;
  for (const sim::CoreStats &core : stats.cores)
    dramBytes += core.dmaBytesIn + core.dmaBytesOut;
  double compute = double(macs) / double(target.peakMacsPerCycle(DType::BF16));
  double memory = double(dramBytes) / double(target.dramBytesPerCycle);
  uint64_t instructions = 0;
  for (const sim::CoreStats &core : stats.cores)
    for (const sim::EngineStats &engine : core.engines)
      instructions += engine.instructions;
  state.counters["instructions"] = benchmark::Counter(
      double(state.iterations() * instructions), benchmark::Counter::kIsRate);
  state.counters["sim_cycles"] = double(stats.cycles);
  state.counters["mxu_util"] = stats.matrixUtilization(target, DType::BF16);
  state.counters["roofline_bound"] = compute / std::max(compute, memory);
  state.SetItemsProcessed(int64_t(state.iterations() * macs));
}

/// The hand-written four-core 1024^3 bf16 matmul on snpu-server.
void matmul1024Server(benchmark::State &state) {
  TargetDesc target = preset("snpu-server");
  std::string source = readKernel("matmul_bf16_1024_server.s");
  std::vector<std::string> programs;
  for (int core = 0; core < 4; ++core) {
    std::string text = source;
    text.replace(text.find("li r1, 0 "), 9,
                 fmt::format("li r1, {} ", 256 * core));
    programs.push_back(text);
  }
  isa::Kernel kernel = build(target, programs);
  std::vector<uint8_t> inputs = randomBF16(8 << 20, 2 << 20);
  sim::Result result;
  for (auto _ : state) {
    std::vector<uint8_t> dram = inputs;
    result = sim::run(target, kernel, dram);
  }
  report(state, target, result, 1ull << 30);
}
BENCHMARK(matmul1024Server)->Unit(benchmark::kMillisecond)->UseRealTime();

/// The single-core 256^3 kernel, with and without double buffering.
void matmul256(benchmark::State &state) {
  TargetDesc target = preset("snpu-server");
  std::string text = readKernel("matmul_bf16_256.s");
  if (state.range(0) == 1)
    text.replace(text.find("li r20, 2"), 9, "li r20, 1");
  isa::Kernel kernel = build(target, {text});
  std::vector<uint8_t> inputs = randomBF16(1 << 20, 1 << 17);
  sim::Result result;
  for (auto _ : state) {
    std::vector<uint8_t> dram = inputs;
    result = sim::run(target, kernel, dram);
  }
  report(state, target, result, 256ull * 256 * 256);
}
BENCHMARK(matmul256)->Arg(2)->Arg(1)->Unit(benchmark::kMillisecond);

/// Vector-unit throughput: a loop of 4096 elementwise bf16 instructions over
/// 1024-element rows.
void vectorLoop(benchmark::State &state) {
  TargetDesc target = preset("snpu-edge");
  isa::Kernel kernel = build(target, {R"(
        li r1, 1024
        li r2, 1
        vcfg len, r1, r2
        li r3, 0
        li r4, 4096
  loop: vbin.add.bf16 vbuf[r0], vbuf[r0], vbuf[r0+4096]
        vun.gelu.bf16 vbuf[r0], vbuf[r0]
        vscal.mul.f32 vbuf[r4], vbuf[r4], 0.5
        vred.max.bf16 vbuf[r4], vbuf[r0]
        add r3, r3, 1
        li r5, 1024
        blt r3, r5, loop
        end
  )"});
  std::vector<uint8_t> dram;
  sim::Result result;
  for (auto _ : state)
    result = sim::run(target, kernel, dram);
  if (!result.ok) {
    state.SkipWithError(result.error.c_str());
    return;
  }
  state.counters["sim_cycles"] = double(result.stats.cycles);
  state.counters["instructions"] = benchmark::Counter(
      double(state.iterations()) * (4 + 3) * 1024, benchmark::Counter::kIsRate);
}
BENCHMARK(vectorLoop)->Unit(benchmark::kMillisecond);

} // namespace
