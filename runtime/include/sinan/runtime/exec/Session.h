//===- Session.h - Run a compiled module on a device ------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A session runs a loaded module's schedule on a device: it binds the
// caller's inputs, views constants in place (in the memory-mapped file),
// places host intermediates in its own arena and device intermediates in
// device memory as the module's memory plan says, and executes the steps in
// dependency order: host ops on the host, kernel launches and copies on the
// device. A module is immutable and may back any number of
// sessions; each session is used by one thread at a time.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_RUNTIME_EXEC_SESSION_H
#define SINAN_RUNTIME_EXEC_SESSION_H

#include "sinan/runtime/Tensor.h"
#include "sinan/runtime/exec/CpuCode.h"
#include "sinan/runtime/exec/Device.h"
#include "sinan/runtime/exec/HostPool.h"
#include "sinan/runtime/exec/Packing.h"
#include "sinan/runtime/module/Module.h"

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace sinan::exec {

/// One step's execution, for profiles.
struct StepTiming {
  size_t step = 0;
  double start = 0, seconds = 0; ///< Host wall time, relative to the run.
  uint64_t deviceCycles = 0;     ///< Simulated cycles (launches, copies).
};

/// What the device side of a run did; simulated cycles are at the target's
/// clock (all zero on `cpu`).
/// One kernel launch of a run on a simulated device.
struct KernelRunStats {
  std::string name; ///< The kernel's, and the op it computes.
  uint64_t cycles = 0;
  uint64_t macs = 0;       ///< Executed, the matrix tile's padding included.
  uint64_t usefulMacs = 0; ///< The op's own (unpadded) multiply-adds.
  uint64_t dramBytes = 0;  ///< Moved to and from DRAM by the DMA engines.
  /// The launch's operands and results, each read or written once: the
  /// least DRAM traffic the op allows.
  uint64_t minimalBytes = 0;
  /// The compiler's estimate of its cycles (KernelDesc), or 0.
  uint64_t estimateCycles = 0;
  /// Busy cycles per engine, summed over cores: with `cycles`, where the
  /// kernel waits.
  std::array<uint64_t, isa::kNumEngines> engineBusy{};
};

struct DeviceRunStats {
  uint64_t launches = 0;         ///< Kernels run on the device.
  uint64_t fallbackLaunches = 0; ///< Launches run as host ops instead.
  uint64_t copies = 0;           ///< Host<->device transfers.
  uint64_t kernelCycles = 0, copyCycles = 0;
  /// Host ops and the compiler's model of their time (each step's host
  /// cycles, format 1.6), which the timeline charges.
  uint64_t hostSteps = 0, hostCycles = 0;
  /// The host ops' wall time on this host, beside the model.
  double hostSeconds = 0;
  uint64_t bytesToDevice = 0, bytesToHost = 0;
  uint64_t macs = 0;         ///< Executed by the matrix unit (padded).
  uint64_t usefulMacs = 0;   ///< The launched ops' own multiply-adds.
  uint64_t dramBytes = 0;    ///< Moved to and from DRAM by the kernels.
  uint64_t minimalBytes = 0; ///< Their operands and results, once each.
  /// Each launch, in the order the run finished them.
  std::vector<KernelRunStats> kernels;
  /// Busy cycles per engine (scl, din, mxu, vec, dout), summed over cores.
  std::array<uint64_t, isa::kNumEngines> engineBusy{};
  /// The run as a timeline: copies queue on the host link, launches on the
  /// device and host ops on the host (their modeled cycles), each in
  /// schedule order, and a step starts when the steps it depends on have
  /// finished. So a copy or a host op overlaps an independent kernel; at
  /// most kernelCycles + copyCycles + hostCycles.
  uint64_t timelineCycles = 0;
};

/// Per-run statistics.
struct RunStats {
  double seconds = 0; ///< Host wall time of the run.
  size_t stepsRun = 0;
  size_t hostOpSteps = 0; ///< Steps run by the reference kernels.
  size_t nativeSteps = 0; ///< Host ops run by the module's native code.
  /// Multiply-accumulates of matmuls and convolutions run on the host
  /// (reference kernels, native code or launches run as host ops).
  uint64_t hostMacs = 0;
  DeviceRunStats device;
  /// Per-step timings, recorded only when `recordSteps` is set.
  std::vector<StepTiming> steps;
  bool recordSteps = false;
};

class Session {
public:
  /// A session of `module` on `device`, both of which must outlive it. Fails
  /// if the device cannot run the module (another SNPU target, a launch with
  /// no host fallback on `cpu`, too little device memory).
  static std::unique_ptr<Session> create(const module::Module &module,
                                         Device &device, std::string &error);
  /// A session on a `cpu` device of its own; a module the cpu cannot run
  /// fails at `run`.
  explicit Session(const module::Module &module);
  ~Session();

  /// Runs the schedule on `inputs` (in the module's input order); fills
  /// `outputs` (in output order). Returns false with `error` naming the
  /// input or step at fault. Constants copied to the device stay resident
  /// after the first successful run (where no other value shares their
  /// device bytes).
  bool run(const std::vector<Tensor> &inputs, std::vector<Tensor> &outputs,
           std::string &error, RunStats *stats = nullptr);

  const module::Module &module() const { return mod; }
  const Device &device() const { return dev; }
  /// Whether runs may execute independent steps at once.
  bool runsInParallel() const { return parallel && allowParallel; }
  /// Runs steps one at a time in index order when false (for comparison
  /// and for callers that want the host to themselves).
  void setParallel(bool enabled) { allowParallel = enabled; }
  /// Host ops with native code run it when enabled (the default) and the
  /// module's CPU object loaded; otherwise they run the reference kernels.
  void setNativeCode(bool enabled) { allowNative = enabled; }
  /// Runs on a pool of `threads` host threads of the session's own (0: the
  /// device's), pinned as HostPool.h says when `pin`.
  void setHostThreads(unsigned threads, bool pin = false);
  /// The host threads runs use.
  unsigned hostThreads() const;
  /// Whether the runs' host threads are pinned one per CPU.
  bool hostThreadsPinned() const;
  /// Whether runs use the module's native code.
  bool runsNativeCode() const { return cpuCode && allowNative; }
  /// Why the module's CPU object did not load (empty if it did, or if the
  /// module has none).
  const std::string &nativeCodeProblem() const { return cpuCodeProblem; }
  /// The steps that wait for `step` (data and memory dependencies).
  const std::vector<uint32_t> &successorsOf(size_t step) const {
    return successors[step];
  }

private:
  Session(const module::Module &module, Device &device);
  bool prepare(std::string &error);
  bool checkHostOps(std::string &error);
  void findResidentConstants();
  void buildGraph();
  /// DeviceRunStats::timelineCycles from the last run's step cycles.
  uint64_t deviceTimeline() const;
  bool runStep(size_t index, std::vector<Tensor> &views, DeviceRunStats &stats,
               uint64_t &cycles, std::string &error);
  /// Runs step `s` and records its timing.
  bool timedStep(size_t s, std::vector<Tensor> &views, DeviceRunStats &stats,
                 RunStats *runStats, double runStart, std::string &error);
  bool runSequential(std::vector<Tensor> &views, DeviceRunStats &stats,
                     RunStats *runStats, double runStart, std::string &error);
  bool runParallel(std::vector<Tensor> &views, DeviceRunStats &stats,
                   RunStats *runStats, double runStart, std::string &error);

  /// Runs `work` on the session's host threads.
  void runOnHost(const std::function<void()> &work);

  const module::Module &mod;
  std::unique_ptr<Device> ownedDevice;
  /// The session's own host threads (setHostThreads), else the device's.
  std::unique_ptr<HostPool> ownPool;
  Device &dev;
  std::unique_ptr<uint8_t, void (*)(void *)> arena;
  std::unique_ptr<DeviceBuffer> deviceMemory;
  /// Device address of each kernel's read-only data.
  std::vector<uint64_t> kernelData;
  /// Per kernel: its scratch's offset in deviceMemory.
  std::vector<uint64_t> kernelScratch;
  /// Copy steps whose value only launches use, at bindings their kernels
  /// never read: skipped when the device runs the kernels.
  std::vector<bool> unread;
  /// Copy steps of constants whose device bytes nothing else uses.
  std::vector<bool> resident;
  bool constantsResident = false;
  std::string prepareError;
  /// The step graph the parallel scheduler follows: the module's
  /// dependencies plus memory dependencies (a step that writes bytes an
  /// earlier value used waits for that value's writer and readers).
  std::vector<std::vector<uint32_t>> successors;
  std::vector<uint32_t> predecessorCount;
  /// Simulated cycles of each step in the last run (0 for host steps).
  std::vector<uint64_t> stepCycles;
  /// Whether any two steps may run at once (else runs go in index order).
  bool parallel = false;
  bool allowParallel = true;
  std::shared_ptr<CpuCode> cpuCode;
  std::string cpuCodeProblem;
  /// Constants laid out for the native entries that read them packed, per
  /// (value, k, panel): once per session, as onnxruntime's pre-packing.
  std::map<std::tuple<uint32_t, int64_t, int64_t>, AlignedFloats>
      packedConstants;
  void packConstants();
  bool allowNative = true;
  /// MACs of the steps that run on the host (fixed per module and device).
  uint64_t hostMacs = 0;
  std::mutex statsLock; // Step statistics written by concurrent steps.
};

} // namespace sinan::exec

#endif // SINAN_RUNTIME_EXEC_SESSION_H
