//===- RuntimeBench.cpp - Runtime overhead and module loading -------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
//   build/release/bench/sinan-bench-runtime
// * BM_RunTinyModule: Session::run of a one-step module (relu of 4 floats),
//   i.e. the per-call cost of binding, viewing and dispatching, with the
//   kernel itself a few nanoseconds.
// * BM_RunWideModule/N and BM_RunChainModule/N: N relu steps of 4 floats,
//   independent (run by the parallel scheduler on oneTBB) or each reading
//   the previous one (run in order): the scheduler's cost per step.
// * BM_RunOnSnpuSim: one relu kernel over 1024 floats on snpu-sim:snpu-edge
//   with its two host-link copies: the host time simulating a small launch.
// * BM_LoadModule/100: Module::load (mmap and full validation) of a module
//   holding one 100 MiB constant; the weights are mapped, not read.
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/exec/Session.h"
#include "sinan/runtime/isa/Isa.h"
#include "sinan/runtime/module/Module.h"

#include <benchmark/benchmark.h>

#include <cstdio>
#include <fstream>
#include <unistd.h>

using namespace sinan;
using namespace sinan::module;

namespace {

std::vector<uint8_t> tinyModule() {
  ModuleDesc m;
  m.values = {{"x", ValueKind::Input, DType::F32, {4}, 0},
              {"y", ValueKind::Output, DType::F32, {4}, 0}};
  m.inputs = {0};
  m.outputs = {1};
  m.steps = {{StepKind::HostOp, "relu", {}, {0}, {1}, -1, {}}};
  return writeModule(m, {});
}

void BM_RunTinyModule(benchmark::State &state) {
  std::vector<uint8_t> bytes = tinyModule();
  std::string error;
  auto module = Module::loadFromMemory(bytes.data(), bytes.size(), error);
  exec::Session session(*module);
  std::vector<Tensor> inputs{Tensor(DType::F32, {4})}, outputs;
  for (auto _ : state) {
    if (!session.run(inputs, outputs, error))
      state.SkipWithError(error.c_str());
    benchmark::DoNotOptimize(outputs.data());
  }
}
BENCHMARK(BM_RunTinyModule);

/// N steps over 4 floats: N-1 relus of x and a concat of x and their results
/// (wide), or N relus each of the previous result (chain).
std::vector<uint8_t> reluModule(int64_t n, bool chain) {
  ModuleDesc m;
  m.values = {{"x", ValueKind::Input, DType::F32, {4}, 0}};
  m.inputs = {0};
  for (int64_t i = 0; i < n; ++i) {
    bool last = i == n - 1;
    bool gather = last && !chain; // Concatenates x and every result.
    m.values.push_back({"v" + std::to_string(i),
                        last ? ValueKind::Output : ValueKind::Intermediate,
                        DType::F32,
                        {gather ? 4 * n : 4},
                        uint64_t(i) * 64});
    uint32_t id = m.values.size() - 1;
    uint32_t from = chain && i > 0 ? id - 1 : 0;
    StepDesc step{StepKind::HostOp, "relu", {}, {from}, {id}, -1, {}};
    if (chain && i > 0)
      step.deps = {uint32_t(i - 1)};
    if (gather) {
      step.op = "concat";
      step.attributes = {{"axis", int64_t(0)}};
      for (int64_t j = 0; j + 1 < n; ++j) {
        step.inputs.push_back(uint32_t(j + 1));
        step.deps.push_back(uint32_t(j));
      }
    }
    m.steps.push_back(step);
    if (last)
      m.outputs = {id};
  }
  m.arenaSize = uint64_t(n) * 64;
  return writeModule(m, {});
}

void runModule(benchmark::State &state, const std::vector<uint8_t> &bytes,
               exec::Device &device, size_t inputElements) {
  std::string error;
  auto module = Module::loadFromMemory(bytes.data(), bytes.size(), error);
  auto session =
      module ? exec::Session::create(*module, device, error) : nullptr;
  if (!session) {
    state.SkipWithError(error.c_str());
    return;
  }
  std::vector<Tensor> inputs{Tensor(DType::F32, {int64_t(inputElements)})},
      outputs;
  for (auto _ : state) {
    if (!session->run(inputs, outputs, error))
      state.SkipWithError(error.c_str());
    benchmark::DoNotOptimize(outputs.data());
  }
  state.counters["parallel"] = session->runsInParallel();
}

void BM_RunWideModule(benchmark::State &state) {
  auto cpu = exec::createCpuDevice();
  runModule(state, reluModule(state.range(0), false), *cpu, 4);
}
BENCHMARK(BM_RunWideModule)->Arg(16)->Arg(64);

void BM_RunChainModule(benchmark::State &state) {
  auto cpu = exec::createCpuDevice();
  runModule(state, reluModule(state.range(0), true), *cpu, 4);
}
BENCHMARK(BM_RunChainModule)->Arg(16)->Arg(64);

void BM_RunOnSnpuSim(benchmark::State &state) {
  std::string error;
  std::optional<TargetDesc> edge = loadBuiltinTarget("snpu-edge", error);
  auto program = isa::assemble(R"(
        li r10, 1024
        li r11, 1
        dcfg.din shape, r10, r11, r11
        dload.f32.f32 vbuf[r0], dram[r1]
        signal din, vec, 0
        wait din, vec, 0
        vcfg len, r10, r11
        vun.relu.f32 vbuf[r0], vbuf[r0]
        signal vec, dout, 0
        dcfg.dout shape, r10, r11, r11
        wait vec, dout, 0
        dstore.f32.f32 dram[r2], vbuf[r0]
        end
)",
                               error);
  if (!edge || !program) {
    state.SkipWithError(error.c_str());
    return;
  }
  isa::Kernel kernel{edge->name, isa::targetFingerprint(*edge), {*program}, {}};
  ModuleDesc m;
  m.target = edge->name;
  m.targetFingerprint = kernel.targetFingerprint;
  m.values = {{"x", ValueKind::Input, DType::F32, {1024}, 0},
              {"x.dev",
               ValueKind::Intermediate,
               DType::F32,
               {1024},
               0,
               Location::Device},
              {"y.dev",
               ValueKind::Intermediate,
               DType::F32,
               {1024},
               4096,
               Location::Device},
              {"y", ValueKind::Output, DType::F32, {1024}, 0}};
  m.inputs = {0};
  m.outputs = {3};
  m.deviceArenaSize = 8192;
  m.kernels = {{"relu", isa::writeKernel(kernel)}};
  m.steps = {{StepKind::CopyToDevice, "", {}, {0}, {1}, -1, {}},
             {StepKind::KernelLaunch, "relu", {}, {1}, {2}, 0, {0}},
             {StepKind::CopyToHost, "", {}, {2}, {3}, -1, {1}}};
  auto device = exec::createSimDevice(*edge);
  runModule(state, writeModule(m, {}), *device, 1024);
}
BENCHMARK(BM_RunOnSnpuSim)->Unit(benchmark::kMicrosecond);

void BM_LoadModule(benchmark::State &state) {
  int64_t mib = state.range(0);
  ModuleDesc m;
  m.values = {{"x", ValueKind::Input, DType::F32, {mib, 256, 1024}, 0},
              {"w", ValueKind::Constant, DType::F32, {mib, 256, 1024}, 0},
              {"y", ValueKind::Output, DType::F32, {mib, 256, 1024}, 0}};
  m.inputs = {0};
  m.outputs = {2};
  m.steps = {{StepKind::HostOp, "add", {}, {0, 1}, {2}, -1, {}}};
  std::vector<uint8_t> weights(static_cast<size_t>(mib) << 20, 1);
  std::vector<uint8_t> bytes = writeModule(m, {weights});
  std::string path =
      "/tmp/sinan-bench-load-" + std::to_string(getpid()) + ".snm";
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  std::string error;
  for (auto _ : state) {
    auto module = Module::load(path, error);
    if (!module)
      state.SkipWithError(error.c_str());
    benchmark::DoNotOptimize(module.get());
  }
  std::remove(path.c_str());
  state.counters["MiB"] = static_cast<double>(mib);
}
BENCHMARK(BM_LoadModule)->Arg(100)->Unit(benchmark::kMillisecond);

} // namespace
