//===- Session.cpp - Run a compiled module on a device --------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/exec/Session.h"

#include "sinan/runtime/ref/HostOps.h"

#include <fmt/format.h>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_group.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <set>

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
  if (!checkHostOps(error))
    return false;
  if (!m.cpuObject.empty() && !cpuCode)
    cpuCode = CpuCode::load(m.cpuObject, cpuCodeProblem);
  packConstants();
  findResidentConstants();
  buildGraph();
  uint64_t size = alignTo(m.deviceArenaSize, 64);
  kernelData.clear();
  kernelScratch.clear();
  for (size_t k = 0; k < m.kernels.size(); ++k) {
    kernelData.push_back(size);
    size = alignTo(size + mod.kernel(k).readOnlyData.size(), 64);
    // Scratch follows; a kernel with scratch runs one launch at a time
    // (the emitter gives each such kernel one step).
    kernelScratch.push_back(size);
    size = alignTo(size + mod.kernel(k).scratchBytes, 64);
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

void Session::packConstants() {
  const module::ModuleDesc &m = mod.desc();
  if (!cpuCode)
    return;
  for (const module::StepDesc &step : m.steps) {
    if (step.cpuEntry < 0)
      continue;
    for (const module::CpuPackingDesc &p :
         m.cpuObject.entries[step.cpuEntry].packing) {
      uint32_t id = step.inputs[p.input];
      const module::ValueDesc &value = m.values[id];
      auto key = std::tuple(id, p.k, p.panel);
      if (value.kind != ValueKind::Constant || packedConstants.count(key))
        continue;
      int64_t rows = value.byteSize() / 4 / p.k;
      AlignedFloats packed = allocateFloats(rows * p.k);
      packPanels(reinterpret_cast<const float *>(mod.constantData(id)), rows,
                 p.k, p.panel, packed.get());
      packedConstants.emplace(key, std::move(packed));
    }
  }
}

/// The reference kernels trust their operands' shapes, so every step that
/// may run one (host ops, and launches on a device without SNPU kernels) is
/// checked against the op's shape rules first. The same steps' MACs are what
/// runs report as host MACs.
bool Session::checkHostOps(std::string &error) {
  const module::ModuleDesc &m = mod.desc();
  auto types = [&](const std::vector<uint32_t> &ids) {
    std::vector<ref::ValueType> result;
    for (uint32_t id : ids)
      result.push_back({m.values[id].dtype, m.values[id].shape});
    return result;
  };
  hostMacs = 0;
  for (size_t s = 0; s < m.steps.size(); ++s) {
    const module::StepDesc &step = m.steps[s];
    bool onHost = step.kind == StepKind::HostOp ||
                  (step.kind == StepKind::KernelLaunch && !dev.target());
    if (!onHost)
      continue;
    std::vector<ref::ValueType> in = types(step.inputs),
                                out = types(step.outputs);
    std::string problem;
    if (!ref::checkHostOp(step.op, step.attributes, in, out, problem)) {
      error = fmt::format("{}: {}", stepName(m, s), problem);
      return false;
    }
    hostMacs += ref::hostOpMacs(step.op, step.attributes, in, out);
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
  // Copies only kernels would use, at bindings they never read.
  unread.assign(m.steps.size(), false);
  for (size_t s = 0; s < m.steps.size(); ++s) {
    if (m.steps[s].kind != StepKind::CopyToDevice)
      continue;
    uint32_t value = m.steps[s].outputs[0];
    bool used = false, bound = false;
    for (const module::StepDesc &user : m.steps)
      for (size_t i = 0; i < user.inputs.size(); ++i) {
        if (user.inputs[i] != value)
          continue;
        bound = true;
        used |= user.kind != StepKind::KernelLaunch || i >= 64 ||
                !(mod.kernel(user.kernel).unreadArguments >> i & 1);
      }
    // Outputs of the module read it too.
    for (uint32_t out : m.outputs)
      used |= out == value;
    unread[s] = bound && !used;
  }
}

/// Memory dependencies make the compiler's sequential memory plan safe to
/// run out of order: when value `v` reuses bytes of an earlier value `u` in
/// the same arena, `v`'s writer runs after `u`'s writer and readers.
void Session::buildGraph() {
  const module::ModuleDesc &m = mod.desc();
  size_t n = m.steps.size();
  std::vector<int64_t> writer(m.values.size(), -1);
  std::vector<std::vector<uint32_t>> readers(m.values.size());
  for (uint32_t s = 0; s < n; ++s) {
    for (uint32_t v : m.steps[s].outputs)
      writer[v] = s;
    for (uint32_t v : m.steps[s].inputs)
      readers[v].push_back(s);
  }
  std::vector<std::set<uint32_t>> preds(n);
  for (uint32_t s = 0; s < n; ++s)
    preds[s].insert(m.steps[s].deps.begin(), m.steps[s].deps.end());
  std::vector<uint32_t> placed; // Intermediates, in writer order.
  for (uint32_t s = 0; s < n; ++s)
    for (uint32_t v : m.steps[s].outputs) {
      const module::ValueDesc &value = m.values[v];
      if (value.kind != ValueKind::Intermediate)
        continue;
      // A view writes nothing: it follows its input's writer (it reads the
      // input), and later values on its bytes wait for its readers too.
      if (m.steps[s].kind == StepKind::View) {
        placed.push_back(v);
        continue;
      }
      for (uint32_t u : placed) {
        const module::ValueDesc &old = m.values[u];
        if (old.location != value.location ||
            old.offset >= value.offset + value.byteSize() ||
            value.offset >= old.offset + old.byteSize())
          continue;
        if (writer[u] >= 0 && uint32_t(writer[u]) != s)
          preds[s].insert(writer[u]);
        for (uint32_t r : readers[u])
          if (r != s)
            preds[s].insert(r);
      }
      placed.push_back(v);
    }
  successors.assign(n, {});
  predecessorCount.assign(n, 0);
  stepCycles.assign(n, 0);
  parallel = false;
  for (uint32_t s = 0; s < n; ++s) {
    for (uint32_t p : preds[s])
      if (p < s) {
        successors[p].push_back(s);
        ++predecessorCount[s];
      }
    // A chain (each step after its predecessor) gains nothing from threads.
    if (s > 0 && !preds[s].count(s - 1))
      parallel = true;
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
  if (step.kind == StepKind::View)
    return true; // The output's bytes are the input's.
  bool runOnDevice = step.kind == StepKind::KernelLaunch && dev.target();
  // The host's share of the run's time: the compiler's model of it.
  if (step.kind == StepKind::HostOp && dev.target())
    cycles = step.hostCycles;
  if (step.cpuEntry >= 0 && runsNativeCode()) {
    void *bindings[module::kMaxLaunchBindings];
    size_t count = 0;
    for (uint32_t id : step.inputs)
      bindings[count++] = views[id].data();
    for (uint32_t id : step.outputs)
      bindings[count++] = views[id].data();
    const module::CpuEntryDesc &entry = m.cpuObject.entries[step.cpuEntry];
    // Packed inputs: a constant's layout from the session, any other
    // value's made for this run.
    std::vector<AlignedFloats> packedHere;
    for (const module::CpuPackingDesc &p : entry.packing) {
      uint32_t id = step.inputs[p.input];
      auto it = packedConstants.find(std::tuple(id, p.k, p.panel));
      if (it != packedConstants.end()) {
        bindings[p.input] = it->second.get();
        continue;
      }
      int64_t rows = m.values[id].byteSize() / 4 / p.k;
      packedHere.push_back(allocateFloats(rows * p.k));
      packPanels(reinterpret_cast<const float *>(views[id].data()), rows, p.k,
                 p.panel, packedHere.back().get());
      bindings[p.input] = packedHere.back().get();
    }
    CpuCode::Entry code = cpuCode->entry(step.cpuEntry);
    std::atomic<bool> badInput = false;
    if (entry.extent <= entry.grain)
      badInput = code(bindings, 0, entry.extent) != 0;
    else
      tbb::parallel_for(
          tbb::blocked_range<int64_t>(0, entry.extent, entry.grain),
          [&](const tbb::blocked_range<int64_t> &r) {
            if (code(bindings, r.begin(), r.end()) != 0)
              badInput = true;
          });
    // Entries of 1.2 modules return nothing: their status is noise.
    bool reportsStatus = m.majorVersion > 1 || m.minorVersion >= 3;
    if (!badInput || !reportsStatus)
      return true;
    // The reference kernel explains the bad input (and would compute the
    // step were it somehow fine).
  }
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
    if (step.kind == StepKind::KernelLaunch) {
      std::lock_guard<std::mutex> guard(statsLock);
      ++stats.fallbackLaunches;
    }
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
    if (mod.kernel(step.kernel).scratchBytes)
      arguments.push_back(kernelScratch[step.kernel]);
    if (!dev.launch(*deviceMemory, mod.kernel(step.kernel), arguments, cost,
                    error))
      return fail(error);
    // The op's own multiply-adds, from the shapes its host fallback takes.
    // The least DRAM traffic: what it reads of its operands (weights it
    // packed at compile time come as its read-only data instead) and its
    // results, once each. A gather reads only the rows it selects of its
    // table: as many bytes as it writes.
    std::vector<ref::ValueType> in, out;
    const isa::Kernel &kernel = mod.kernel(step.kernel);
    uint64_t minimal = kernel.readOnlyData.size(), written = 0;
    for (uint32_t id : step.outputs) {
      out.push_back({m.values[id].dtype, m.values[id].shape});
      written += m.values[id].byteSize();
    }
    minimal += written;
    for (size_t i = 0; i < step.inputs.size(); ++i) {
      uint32_t id = step.inputs[i];
      in.push_back({m.values[id].dtype, m.values[id].shape});
      if (i == 0 && step.op == "gather")
        minimal += written;
      else if (i >= 64 || !(kernel.unreadArguments >> i & 1))
        minimal += m.values[id].byteSize();
    }
    uint64_t useful = ref::hostOpMacs(step.op, step.attributes, in, out);
    std::lock_guard<std::mutex> guard(statsLock);
    ++stats.launches;
    stats.kernelCycles += cost.cycles;
    stats.macs += cost.macs;
    stats.usefulMacs += useful;
    stats.dramBytes += cost.dramBytes;
    stats.minimalBytes += minimal;
    stats.kernels.push_back({m.kernels[step.kernel].name +
                                 (step.op.empty() ? "" : " (" + step.op + ")"),
                             cost.cycles, cost.macs, useful, cost.dramBytes,
                             minimal, m.kernels[step.kernel].estimateCycles,
                             cost.engineBusy});
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
  if ((resident[s] && constantsResident) || (unread[s] && dev.target()))
    return true;
  bool ok = toDevice ? dev.write(*deviceMemory, m.values[to].offset,
                                 views[from].data(), bytes, cost, error)
                     : dev.read(*deviceMemory, m.values[from].offset,
                                views[to].data(), bytes, cost, error);
  if (!ok)
    return fail(error);
  std::lock_guard<std::mutex> guard(statsLock);
  ++stats.copies;
  stats.copyCycles += cost.cycles;
  (toDevice ? stats.bytesToDevice : stats.bytesToHost) += bytes;
  cycles = cost.cycles;
  return true;
}

bool Session::timedStep(size_t s, std::vector<Tensor> &views,
                        DeviceRunStats &stats, RunStats *runStats,
                        double runStart, std::string &error) {
  auto now = [] {
    return std::chrono::duration<double>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  double stepStart = now();
  uint64_t cycles = 0;
  bool ok = runStep(s, views, stats, cycles, error);
  stepCycles[s] = cycles; // Each step writes only its own slot.
  if (mod.desc().steps[s].kind == StepKind::HostOp && dev.target()) {
    double seconds = now() - stepStart;
    std::lock_guard<std::mutex> guard(statsLock);
    ++stats.hostSteps;
    stats.hostCycles += cycles;
    stats.hostSeconds += seconds;
  }
  if (runStats && runStats->recordSteps) {
    double end = now();
    std::lock_guard<std::mutex> guard(statsLock);
    runStats->steps.push_back(
        {s, stepStart - runStart, end - stepStart, cycles});
  }
  return ok;
}

uint64_t Session::deviceTimeline() const {
  const module::ModuleDesc &m = mod.desc();
  size_t n = m.steps.size();
  std::vector<uint64_t> ready(n, 0);
  uint64_t linkFree = 0, deviceFree = 0, hostFree = 0, end = 0;
  for (size_t s = 0; s < n; ++s) {
    StepKind kind = m.steps[s].kind;
    uint64_t finish = ready[s];
    if (stepCycles[s] > 0) {
      uint64_t &queue = kind == StepKind::KernelLaunch ? deviceFree
                        : kind == StepKind::HostOp     ? hostFree
                                                       : linkFree;
      finish = std::max(ready[s], queue) + stepCycles[s];
      queue = finish;
    }
    end = std::max(end, finish);
    for (uint32_t next : successors[s])
      ready[next] = std::max(ready[next], finish);
  }
  return end;
}

/// The schedule's index order is a dependency order (the loader checked that
/// every step depends only on earlier ones).
bool Session::runSequential(std::vector<Tensor> &views, DeviceRunStats &stats,
                            RunStats *runStats, double runStart,
                            std::string &error) {
  for (size_t s = 0; s < mod.desc().steps.size(); ++s)
    if (!timedStep(s, views, stats, runStats, runStart, error))
      return false;
  return true;
}

/// Steps start as soon as their predecessors finish, on oneTBB's workers.
/// After a failure no new step starts; the first error is reported.
bool Session::runParallel(std::vector<Tensor> &views, DeviceRunStats &stats,
                          RunStats *runStats, double runStart,
                          std::string &error) {
  size_t n = mod.desc().steps.size();
  std::unique_ptr<std::atomic<uint32_t>[]> pending(
      new std::atomic<uint32_t>[n]);
  for (size_t s = 0; s < n; ++s)
    pending[s].store(predecessorCount[s], std::memory_order_relaxed);
  std::atomic<bool> failed{false};
  std::mutex errorLock;
  tbb::task_group group;
  std::function<void(uint32_t)> execute = [&](uint32_t s) {
    if (failed.load(std::memory_order_relaxed))
      return;
    std::string stepError;
    if (!timedStep(s, views, stats, runStats, runStart, stepError)) {
      std::lock_guard<std::mutex> guard(errorLock);
      if (!failed.exchange(true))
        error = stepError;
      return;
    }
    for (uint32_t next : successors[s])
      if (pending[next].fetch_sub(1, std::memory_order_acq_rel) == 1)
        group.run([&execute, next] { execute(next); });
  };
  for (uint32_t s = 0; s < n; ++s)
    if (predecessorCount[s] == 0)
      group.run([&execute, s] { execute(s); });
  group.wait();
  return !failed;
}

void Session::setHostThreads(unsigned threads, bool pin) {
  if (threads == 0)
    ownPool.reset();
  else
    ownPool = std::make_unique<HostPool>(threads, pin);
}

unsigned Session::hostThreads() const {
  return ownPool ? ownPool->concurrency() : dev.hostThreads();
}

bool Session::hostThreadsPinned() const {
  return ownPool ? ownPool->pinned() : dev.hostThreadsPinned();
}

void Session::runOnHost(const std::function<void()> &work) {
  if (ownPool)
    ownPool->execute(work);
  else
    dev.runOnHost(work);
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
  DeviceRunStats deviceStats;
  double runStart =
      std::chrono::duration<double>(start.time_since_epoch()).count();
  bool ok = false;
  runOnHost([&] {
    ok = runsInParallel()
             ? runParallel(views, deviceStats, stats, runStart, error)
             : runSequential(views, deviceStats, stats, runStart, error);
  });
  if (!ok)
    return false;
  constantsResident = true;
  if (stats) {
    stats->seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    stats->stepsRun = m.steps.size();
    size_t hostOps = 0, native = 0;
    for (const module::StepDesc &step : m.steps) {
      bool isNative = step.cpuEntry >= 0 && runsNativeCode();
      native += isNative;
      hostOps += step.kind == StepKind::HostOp && !isNative;
    }
    stats->hostMacs = hostMacs;
    stats->hostOpSteps = hostOps + deviceStats.fallbackLaunches;
    stats->nativeSteps = native;
    deviceStats.timelineCycles = deviceTimeline();
    stats->device = deviceStats;
  }
  return true;
}

} // namespace sinan::exec
