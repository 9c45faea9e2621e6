//===- Session.cpp - Run a compiled module on a device --------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/exec/Session.h"

#include "sinan/runtime/ref/HostOps.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>

namespace sinan::exec {

using module::Location;
using module::StepKind;
using module::ValueKind;

namespace {
uint8_t *allocateArena(uint64_t size) {
  uint64_t rounded = (size + 63) / 64 * 64;
  return static_cast<uint8_t *>(std::aligned_alloc(64, rounded ? rounded : 64));
}

uint64_t alignTo(uint64_t value, uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

std::string stepName(const module::ModuleDesc &m, size_t s) {
  const module::StepDesc &step = m.steps[s];
  if (step.kind == StepKind::KernelLaunch)
    return fmt::format("step {} (launch '{}'{})", s,
                       m.kernels[step.kernel].name,
                       step.op.empty() ? "" : " for " + step.op);
  return fmt::format("step {} ({} '{}')", s, module::stepKindName(step.kind),
                     step.op);
}
} // namespace

Session::Session(const module::Module &module, Device &device)
    : mod(module), dev(device),
      arena(allocateArena(module.desc().arenaSize), std::free) {}

Session::Session(const module::Module &module)
    : mod(module), ownedDevice(createCpuDevice()), dev(*ownedDevice),
      arena(allocateArena(module.desc().arenaSize), std::free) {
  prepare(prepareError);
}

Session::~Session() = default;

std::unique_ptr<Session> Session::create(const module::Module &module,
                                         Device &device, std::string &error) {
  std::unique_ptr<Session> session(new Session(module, device));
  if (!session->prepare(error))
    return nullptr;
  return session;
}

/// Checks the device can run the module, allocates device memory (the device
/// arena, then each kernel's read-only data) and uploads the kernel data.
bool Session::prepare(std::string &error) {
  const module::ModuleDesc &m = mod.desc();
  const TargetDesc *target = dev.target();
  if (!arena) {
    error = fmt::format("cannot allocate the {}-byte host arena", m.arenaSize);
    return false;
  }
  if (target && !m.kernels.empty() &&
      isa::targetFingerprint(*target) != m.targetFingerprint) {
    error = fmt::format("the module was compiled for target '{}'; device "
                        "'{}' models different parameters (recompile with "
                        "--target={} or run on snpu-sim:{})",
                        m.target, dev.name(), target->name, m.target);
    return false;
  }
  if (!target)
    for (size_t s = 0; s < m.steps.size(); ++s)
      if (m.steps[s].kind == StepKind::KernelLaunch && m.steps[s].op.empty()) {
        error = fmt::format("{} has no host fallback; device '{}' cannot run "
                            "SNPU kernels (use snpu-sim)",
                            stepName(m, s), dev.name());
        return false;
      }
  findResidentConstants();
  uint64_t size = alignTo(m.deviceArenaSize, 64);
  kernelData.clear();
  for (size_t k = 0; k < m.kernels.size(); ++k) {
    kernelData.push_back(size);
    size = alignTo(size + mod.kernel(k).readOnlyData.size(), 64);
  }
  if (size == 0)
    return true;
  deviceMemory = dev.allocate(size, error);
  if (!deviceMemory)
    return false;
  for (size_t k = 0; k < m.kernels.size(); ++k) {
    const std::vector<uint8_t> &data = mod.kernel(k).readOnlyData;
    DeviceCost cost;
    if (!data.empty() && !dev.write(*deviceMemory, kernelData[k], data.data(),
                                    data.size(), cost, error))
      return false;
  }
  return true;
}

/// A constant's device copy can stay on the device between runs when no
/// other device value shares its bytes (the compiler pins such copies; a
/// module that reuses them is still run correctly, copying every time).
void Session::findResidentConstants() {
  const module::ModuleDesc &m = mod.desc();
  resident.assign(m.steps.size(), false);
  for (size_t s = 0; s < m.steps.size(); ++s) {
    const module::StepDesc &step = m.steps[s];
    if (step.kind != StepKind::CopyToDevice ||
        m.values[step.inputs[0]].kind != ValueKind::Constant)
      continue;
    const module::ValueDesc &copy = m.values[step.outputs[0]];
    bool alone = true;
    for (uint32_t id = 0; id < m.values.size() && alone; ++id) {
      const module::ValueDesc &other = m.values[id];
      if (id != step.outputs[0] && other.location == Location::Device &&
          other.offset < copy.offset + copy.byteSize() &&
          copy.offset < other.offset + other.byteSize())
        alone = false;
    }
    resident[s] = alone;
  }
}

bool Session::runStep(size_t s, std::vector<Tensor> &views,
                      DeviceRunStats &stats, uint64_t &cycles,
                      std::string &error) {
  const module::ModuleDesc &m = mod.desc();
  const module::StepDesc &step = m.steps[s];
  DeviceCost cost;
  auto fail = [&](const std::string &message) {
    error = fmt::format("{}: {}", stepName(m, s), message);
    return false;
  };
  bool runOnDevice = step.kind == StepKind::KernelLaunch && dev.target();
  if (step.kind == StepKind::HostOp ||
      (step.kind == StepKind::KernelLaunch && !runOnDevice)) {
    std::vector<const Tensor *> in;
    for (uint32_t id : step.inputs)
      in.push_back(&views[id]);
    std::vector<Tensor *> out;
    for (uint32_t id : step.outputs)
      out.push_back(&views[id]);
    std::string stepError;
    if (!ref::runHostOp(step.op, step.attributes, in, out, stepError))
      return fail(stepError);
    if (step.kind == StepKind::KernelLaunch)
      ++stats.fallbackLaunches;
    return true;
  }
  if (step.kind == StepKind::KernelLaunch) {
    std::vector<uint64_t> arguments;
    for (uint32_t id : step.inputs)
      arguments.push_back(m.values[id].offset);
    for (uint32_t id : step.outputs)
      arguments.push_back(m.values[id].offset);
    if (!mod.kernel(step.kernel).readOnlyData.empty())
      arguments.push_back(kernelData[step.kernel]);
    if (!dev.launch(*deviceMemory, mod.kernel(step.kernel), arguments, cost,
                    error))
      return fail(error);
    ++stats.launches;
    stats.kernelCycles += cost.cycles;
    stats.macs += cost.macs;
    for (unsigned e = 0; e < isa::kNumEngines; ++e)
      stats.engineBusy[e] += cost.engineBusy[e];
    cycles = cost.cycles;
    return true;
  }
  // A copy. Constants stay on the device once a run has put them there,
  // where nothing else uses their bytes.
  uint32_t from = step.inputs[0], to = step.outputs[0];
  uint64_t bytes = m.values[from].byteSize();
  bool toDevice = step.kind == StepKind::CopyToDevice;
  if (resident[s] && constantsResident)
    return true;
  bool ok = toDevice ? dev.write(*deviceMemory, m.values[to].offset,
                                 views[from].data(), bytes, cost, error)
                     : dev.read(*deviceMemory, m.values[from].offset,
                                views[to].data(), bytes, cost, error);
  if (!ok)
    return fail(error);
  ++stats.copies;
  stats.copyCycles += cost.cycles;
  (toDevice ? stats.bytesToDevice : stats.bytesToHost) += bytes;
  cycles = cost.cycles;
  return true;
}

bool Session::run(const std::vector<Tensor> &inputs,
                  std::vector<Tensor> &outputs, std::string &error,
                  RunStats *stats) {
  if (!prepareError.empty()) {
    error = prepareError;
    return false;
  }
  auto start = std::chrono::steady_clock::now();
  if (stats)
    stats->steps.clear();
  const module::ModuleDesc &m = mod.desc();
  if (inputs.size() != m.inputs.size()) {
    error = fmt::format("the module takes {} inputs, got {}", m.inputs.size(),
                        inputs.size());
    return false;
  }
  // A view of every value the host can address: inputs and constants in
  // place, intermediates in the arenas, outputs in the tensors returned.
  std::vector<Tensor> views(m.values.size());
  for (size_t i = 0; i < m.inputs.size(); ++i) {
    const module::ValueDesc &v = m.values[m.inputs[i]];
    const Tensor &given = inputs[i];
    if (given.type() != v.dtype || given.shape() != v.shape) {
      error = fmt::format("input {} ('{}') is {}, the module expects {}[{}]", i,
                          v.name, given.describe(), dtypeName(v.dtype),
                          formatShape(v.shape));
      return false;
    }
    views[m.inputs[i]] =
        Tensor::view(v.dtype, v.shape, const_cast<uint8_t *>(given.data()));
  }
  outputs.clear();
  outputs.reserve(m.outputs.size());
  for (uint32_t id : m.outputs) {
    const module::ValueDesc &v = m.values[id];
    outputs.emplace_back(v.dtype, v.shape);
    views[id] = Tensor::view(v.dtype, v.shape, outputs.back().data());
  }
  uint8_t *deviceView = deviceMemory ? deviceMemory->hostView() : nullptr;
  for (uint32_t id = 0; id < m.values.size(); ++id) {
    const module::ValueDesc &v = m.values[id];
    if (v.kind == ValueKind::Constant)
      views[id] = Tensor::view(v.dtype, v.shape,
                               const_cast<uint8_t *>(mod.constantData(id)));
    else if (v.kind == ValueKind::Intermediate && v.location == Location::Host)
      views[id] = Tensor::view(v.dtype, v.shape, arena.get() + v.offset);
    else if (v.kind == ValueKind::Intermediate && deviceView)
      views[id] = Tensor::view(v.dtype, v.shape, deviceView + v.offset);
  }
  // The schedule's index order is a dependency order (the loader checked
  // that every step depends only on earlier ones).
  DeviceRunStats deviceStats;
  size_t hostOps = 0;
  for (size_t s = 0; s < m.steps.size(); ++s) {
    auto stepStart = std::chrono::steady_clock::now();
    uint64_t cycles = 0;
    bool ok = runStep(s, views, deviceStats, cycles, error);
    if (stats && stats->recordSteps) {
      auto now = std::chrono::steady_clock::now();
      stats->steps.push_back(
          {s, std::chrono::duration<double>(stepStart - start).count(),
           std::chrono::duration<double>(now - stepStart).count(), cycles});
    }
    if (!ok)
      return false;
    hostOps += m.steps[s].kind == StepKind::HostOp;
  }
  constantsResident = true;
  if (stats) {
    stats->seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    stats->stepsRun = m.steps.size();
    stats->hostOpSteps = hostOps + deviceStats.fallbackLaunches;
    stats->device = deviceStats;
  }
  return true;
}

} // namespace sinan::exec
