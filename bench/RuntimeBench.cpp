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
// * BM_LoadModule/100: Module::load (mmap and full validation) of a module
//   holding one 100 MiB constant; the weights are mapped, not read.
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/exec/Session.h"
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
