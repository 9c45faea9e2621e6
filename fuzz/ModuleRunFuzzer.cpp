//===- ModuleRunFuzzer.cpp - libFuzzer target for running .snm modules ----===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Arbitrary bytes through Module::loadFromMemory and, when they load, a
// session on the cpu device (one host thread) that runs the module on zeroed
// inputs: the host-op shape rules, the launch fallbacks, copies, the memory
// plan and the scheduler's graph; a module with kernels for a built-in
// preset then runs on that preset's simulated device too (with a watchdog of
// 2^22 cycles per launch). A clear error is the right answer; a crash
// or sanitizer report is a bug. Modules whose values are large are skipped
// (they would only be slow).
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/exec/Session.h"
#include "sinan/runtime/module/Module.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace sinan;
  std::string error;
  auto module = module::Module::loadFromMemory(data, size, error);
  if (!module)
    return 0;
  const module::ModuleDesc &m = module->desc();
  constexpr uint64_t kMaxElements = 1 << 16;
  if (m.arenaSize > (64u << 20) || m.deviceArenaSize > (64u << 20))
    return 0;
  for (const module::ValueDesc &v : m.values) {
    uint64_t count = 1;
    for (int64_t d : v.shape)
      count *= uint64_t(d);
    if (count > kMaxElements)
      return 0;
  }
  static const std::unique_ptr<exec::Device> cpu = exec::createCpuDevice(1);
  auto session = exec::Session::create(*module, *cpu, error);
  if (!session) {
    if (error.empty())
      std::abort(); // A refusal must say why.
    return 0;
  }
  std::vector<Tensor> inputs, outputs;
  for (uint32_t id : m.inputs)
    inputs.emplace_back(m.values[id].dtype, m.values[id].shape);
  if (!session->run(inputs, outputs, error) && error.empty())
    std::abort();
  // Kernels built for a preset also run on its simulated device, with a
  // watchdog so that a corrupt loop or a huge block ends quickly.
  if (m.kernels.empty())
    return 0;
  static std::vector<std::unique_ptr<exec::Device>> sims = [] {
    std::vector<std::unique_ptr<exec::Device>> devices;
    for (const std::string &name : builtinTargetNames()) {
      std::string unused;
      devices.push_back(
          exec::createSimDevice(*loadBuiltinTarget(name, unused), 1, 1 << 22));
    }
    return devices;
  }();
  for (auto &sim : sims) {
    if (isa::targetFingerprint(*sim->target()) != m.targetFingerprint)
      continue;
    auto onSim = exec::Session::create(*module, *sim, error);
    if (!onSim) {
      if (error.empty())
        std::abort();
      return 0;
    }
    if (!onSim->run(inputs, outputs, error) && error.empty())
      std::abort();
  }
  return 0;
}
