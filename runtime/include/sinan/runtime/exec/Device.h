//===- Device.h - What a session needs from a device ------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A device owns memory a session places device intermediates in, moves bytes
// between that memory and the host, and launches SNPU kernels. The interface
// is small on purpose: a driver for a real NPU implements the same four calls
// over its DMA queues and launch doorbell (docs/runtime.md).
//
// `cpu` keeps "device" memory in host memory and cannot run SNPU kernels (a
// session runs a launch's fallback host op there instead). `snpu-sim` keeps it
// in a modelled DRAM, times host<->device copies by the target's host link,
// and runs kernels on the simulator.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_RUNTIME_EXEC_DEVICE_H
#define SINAN_RUNTIME_EXEC_DEVICE_H

#include "sinan/runtime/Target.h"
#include "sinan/runtime/isa/Isa.h"
#include "sinan/runtime/isa/Kernel.h"

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sinan::exec {

/// Simulated cost of one device operation (zero on `cpu`).
struct DeviceCost {
  uint64_t cycles = 0; ///< At the target's clock.
  uint64_t macs = 0;   ///< Executed by the matrix unit (padding included).
  /// Bytes the DMA engines moved to and from DRAM (launches only).
  uint64_t dramBytes = 0;
  /// Busy cycles per engine, summed over cores (launches only).
  std::array<uint64_t, isa::kNumEngines> engineBusy{};
};

/// A block of device memory owned by one session.
class DeviceBuffer {
public:
  virtual ~DeviceBuffer();
  virtual uint64_t size() const = 0;
  /// The bytes, when the host can address them directly (`cpu`), else null.
  virtual uint8_t *hostView() = 0;
};

class HostPool;

class Device {
public:
  /// `hostThreads` bounds the host threads that run this device's sessions'
  /// host ops and scheduler (0: one per core).
  explicit Device(unsigned hostThreads = 0);
  virtual ~Device();
  /// Runs `work` in the device's oneTBB task arena, so everything it starts
  /// in parallel (independent steps, a kernel's row blocks) uses at most
  /// hostThreads() threads.
  void runOnHost(const std::function<void()> &work);
  unsigned hostThreads() const;
  /// Whether the host threads are pinned one per CPU (HostPool.h: off by
  /// default; where there are as many threads as CPUs, on request).
  bool hostThreadsPinned() const;
  void setHostThreadPinning(bool pin);
  /// On a simulated SNPU: with a nonzero `seed`, each kernel runs with the
  /// engines ready in the same cycle in an order shuffled by it (the
  /// simulator's hazard checker then sees another legal interleaving;
  /// results must not change). Returns false on a device that runs no
  /// simulator (a nonzero seed there is an error for the caller to name).
  virtual bool setSimulatorSeed(uint64_t seed) { return seed == 0; }
  virtual const std::string &name() const = 0;
  /// The SNPU variant the device runs kernels for, or null if it runs none.
  virtual const TargetDesc *target() const = 0;
  /// `bytes` of zeroed device memory; fails if the device lacks them.
  virtual std::unique_ptr<DeviceBuffer> allocate(uint64_t bytes,
                                                 std::string &error) = 0;
  /// Host -> device memory at `offset`.
  virtual bool write(DeviceBuffer &buffer, uint64_t offset, const void *src,
                     uint64_t bytes, DeviceCost &cost, std::string &error) = 0;
  /// Device memory at `offset` -> host.
  virtual bool read(DeviceBuffer &buffer, uint64_t offset, void *dst,
                    uint64_t bytes, DeviceCost &cost, std::string &error) = 0;
  /// Runs `kernel` with `arguments` (device addresses in `buffer`) in
  /// registers r1, r2, ... of every core.
  virtual bool launch(DeviceBuffer &buffer, const isa::Kernel &kernel,
                      const std::vector<uint64_t> &arguments, DeviceCost &cost,
                      std::string &error) = 0;

private:
  std::unique_ptr<HostPool> pool;
};

/// The host device.
std::unique_ptr<Device> createCpuDevice(unsigned hostThreads = 0);

/// The SNPU device model for `target`. A launch that runs past
/// `watchdogCycles` simulated cycles fails, as a hardware watchdog would stop
/// it (0: no watchdog; the simulator still stops after 2^32 instructions).
std::unique_ptr<Device> createSimDevice(const TargetDesc &target,
                                        unsigned hostThreads = 0,
                                        uint64_t watchdogCycles = 0);

/// "cpu", "snpu-sim" (the preset `defaultTarget` names) or
/// "snpu-sim:PRESET|FILE"; fails naming the devices there are.
std::unique_ptr<Device> openDevice(const std::string &spec,
                                   const std::string &defaultTarget,
                                   std::string &error,
                                   unsigned hostThreads = 0);

} // namespace sinan::exec

#endif // SINAN_RUNTIME_EXEC_DEVICE_H
