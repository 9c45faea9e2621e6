//===- Session.cpp - Run a compiled module on the host --------------------===//
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

using module::StepKind;
using module::ValueKind;

namespace {
uint8_t *allocateArena(uint64_t size) {
  uint64_t rounded = (size + 63) / 64 * 64;
  return static_cast<uint8_t *>(std::aligned_alloc(64, rounded ? rounded : 64));
}
} // namespace

Session::Session(const module::Module &module)
    : mod(module), arena(allocateArena(module.desc().arenaSize), std::free) {}

Session::~Session() = default;

bool Session::run(const std::vector<Tensor> &inputs,
                  std::vector<Tensor> &outputs, std::string &error,
                  RunStats *stats) {
  auto start = std::chrono::steady_clock::now();
  if (stats)
    stats->steps.clear();
  const module::ModuleDesc &m = mod.desc();
  if (inputs.size() != m.inputs.size()) {
    error = fmt::format("the module takes {} inputs, got {}", m.inputs.size(),
                        inputs.size());
    return false;
  }
  // A view of every value: inputs and constants in place, intermediates in
  // the arena, outputs in the tensors returned to the caller.
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
  for (uint32_t id = 0; id < m.values.size(); ++id) {
    const module::ValueDesc &v = m.values[id];
    if (v.kind == ValueKind::Constant)
      views[id] = Tensor::view(v.dtype, v.shape,
                               const_cast<uint8_t *>(mod.constantData(id)));
    else if (v.kind == ValueKind::Intermediate)
      views[id] = Tensor::view(v.dtype, v.shape, arena.get() + v.offset);
  }
  // The schedule's index order is a dependency order (the loader checked
  // that every step depends only on earlier ones).
  size_t hostOps = 0;
  for (size_t s = 0; s < m.steps.size(); ++s) {
    const module::StepDesc &step = m.steps[s];
    if (step.kind != StepKind::HostOp) {
      error = fmt::format("step {} ('{}'): SNPU kernel launches and copies "
                          "need the snpu-sim device, not cpu",
                          s, step.op);
      return false;
    }
    std::vector<const Tensor *> in;
    for (uint32_t id : step.inputs)
      in.push_back(&views[id]);
    std::vector<Tensor *> out;
    for (uint32_t id : step.outputs)
      out.push_back(&views[id]);
    std::string stepError;
    auto stepStart = std::chrono::steady_clock::now();
    bool ok = ref::runHostOp(step.op, step.attributes, in, out, stepError);
    if (stats && stats->recordSteps) {
      auto now = std::chrono::steady_clock::now();
      stats->steps.push_back(
          {s, std::chrono::duration<double>(stepStart - start).count(),
           std::chrono::duration<double>(now - stepStart).count()});
    }
    if (!ok) {
      error = fmt::format("step {}: {}", s, stepError);
      return false;
    }
    ++hostOps;
  }
  if (stats) {
    stats->seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    stats->stepsRun = m.steps.size();
    stats->hostOpSteps = hostOps;
  }
  return true;
}

} // namespace sinan::exec
