//===- Device.cpp - cpu and snpu-sim devices ------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/exec/Device.h"

#include "sinan/runtime/exec/HostPool.h"
#include "sinan/runtime/sim/Simulator.h"

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>

namespace sinan::exec {

DeviceBuffer::~DeviceBuffer() = default;

Device::Device(unsigned hostThreads)
    : pool(std::make_unique<HostPool>(hostThreads)) {}
Device::~Device() = default;

void Device::runOnHost(const std::function<void()> &work) {
  pool->execute(work);
}

unsigned Device::hostThreads() const { return pool->concurrency(); }

bool Device::hostThreadsPinned() const { return pool->pinned(); }

void Device::setHostThreadPinning(bool pin) { pool->setPinning(pin); }

namespace {

bool inBounds(const DeviceBuffer &buffer, uint64_t offset, uint64_t bytes,
              std::string &error) {
  if (offset <= buffer.size() && bytes <= buffer.size() - offset)
    return true;
  error = fmt::format("device access [{}, {}) outside the {}-byte buffer",
                      offset, offset + bytes, buffer.size());
  return false;
}

/// Host memory standing in for device memory.
class HostBuffer final : public DeviceBuffer {
public:
  explicit HostBuffer(uint64_t bytes)
      : bytes(bytes), data(static_cast<uint8_t *>(std::aligned_alloc(
                          64, (bytes + 63) / 64 * 64 + 64))) {
    if (data)
      std::memset(data.get(), 0, bytes);
  }
  uint64_t size() const override { return bytes; }
  uint8_t *hostView() override { return data.get(); }
  bool valid() const { return data != nullptr; }

private:
  struct Free {
    void operator()(uint8_t *p) const { std::free(p); }
  };
  uint64_t bytes;
  std::unique_ptr<uint8_t, Free> data;
};

class CpuDevice final : public Device {
public:
  explicit CpuDevice(unsigned hostThreads) : Device(hostThreads) {}
  const std::string &name() const override { return deviceName; }
  const TargetDesc *target() const override { return nullptr; }

  std::unique_ptr<DeviceBuffer> allocate(uint64_t bytes,
                                         std::string &error) override {
    auto buffer = std::make_unique<HostBuffer>(bytes);
    if (!buffer->valid()) {
      error = fmt::format("cpu: cannot allocate {} bytes", bytes);
      return nullptr;
    }
    return buffer;
  }
  bool write(DeviceBuffer &buffer, uint64_t offset, const void *src,
             uint64_t bytes, DeviceCost &, std::string &error) override {
    if (!inBounds(buffer, offset, bytes, error))
      return false;
    if (bytes) // Empty tensors may have no storage at all.
      std::memcpy(buffer.hostView() + offset, src, bytes);
    return true;
  }
  bool read(DeviceBuffer &buffer, uint64_t offset, void *dst, uint64_t bytes,
            DeviceCost &, std::string &error) override {
    if (!inBounds(buffer, offset, bytes, error))
      return false;
    if (bytes)
      std::memcpy(dst, buffer.hostView() + offset, bytes);
    return true;
  }
  bool launch(DeviceBuffer &, const isa::Kernel &,
              const std::vector<uint64_t> &, DeviceCost &,
              std::string &error) override {
    error = "the cpu device cannot run SNPU kernels";
    return false;
  }

private:
  std::string deviceName = "cpu";
};

/// The simulated DRAM a session's device intermediates and kernel constants
/// live in; only the simulator reads it directly.
class SimBuffer final : public DeviceBuffer {
public:
  explicit SimBuffer(uint64_t bytes) : dram(bytes, 0) {}
  uint64_t size() const override { return dram.size(); }
  uint8_t *hostView() override { return nullptr; }
  std::vector<uint8_t> dram;
};

class SimDevice final : public Device {
public:
  SimDevice(const TargetDesc &target, unsigned hostThreads,
            uint64_t watchdogCycles)
      : Device(hostThreads), desc(target),
        deviceName("snpu-sim:" + target.name), watchdogCycles(watchdogCycles) {}
  const std::string &name() const override { return deviceName; }
  const TargetDesc *target() const override { return &desc; }

  std::unique_ptr<DeviceBuffer> allocate(uint64_t bytes,
                                         std::string &error) override {
    if (bytes > desc.dramSizeBytes) {
      error = fmt::format("{}: {} bytes of device memory exceed the target's "
                          "{} bytes of DRAM",
                          deviceName, bytes, desc.dramSizeBytes);
      return nullptr;
    }
    return std::make_unique<SimBuffer>(bytes);
  }
  bool write(DeviceBuffer &buffer, uint64_t offset, const void *src,
             uint64_t bytes, DeviceCost &cost, std::string &error) override {
    if (!inBounds(buffer, offset, bytes, error))
      return false;
    if (bytes)
      std::memcpy(static_cast<SimBuffer &>(buffer).dram.data() + offset, src,
                  bytes);
    cost.cycles = linkCycles(bytes);
    return true;
  }
  bool read(DeviceBuffer &buffer, uint64_t offset, void *dst, uint64_t bytes,
            DeviceCost &cost, std::string &error) override {
    if (!inBounds(buffer, offset, bytes, error))
      return false;
    if (bytes)
      std::memcpy(dst, static_cast<SimBuffer &>(buffer).dram.data() + offset,
                  bytes);
    cost.cycles = linkCycles(bytes);
    return true;
  }
  bool setSimulatorSeed(uint64_t value) override {
    seed = value;
    return true;
  }
  bool launch(DeviceBuffer &buffer, const isa::Kernel &kernel,
              const std::vector<uint64_t> &arguments, DeviceCost &cost,
              std::string &error) override {
    sim::Options options;
    options.arguments = arguments;
    options.maxCycles = watchdogCycles;
    options.seed = seed;
    sim::Result result =
        sim::run(desc, kernel, static_cast<SimBuffer &>(buffer).dram, options);
    if (!result.ok) {
      error = result.error;
      return false;
    }
    cost.cycles = result.stats.cycles;
    cost.macs = result.stats.totalMacs();
    for (const sim::CoreStats &core : result.stats.cores) {
      for (unsigned e = 0; e < isa::kNumEngines; ++e)
        cost.engineBusy[e] += core.engines[e].busyCycles;
      cost.dramBytes += core.dmaBytesIn + core.dmaBytesOut;
    }
    return true;
  }

private:
  /// A transfer costs the link's latency plus its bytes at link bandwidth.
  uint64_t linkCycles(uint64_t bytes) const {
    return desc.hostLinkLatencyCycles +
           (bytes + desc.hostLinkBytesPerCycle - 1) /
               desc.hostLinkBytesPerCycle;
  }

  TargetDesc desc;
  std::string deviceName;
  uint64_t watchdogCycles;
  uint64_t seed = 0;
};

} // namespace

std::unique_ptr<Device> createCpuDevice(unsigned hostThreads) {
  return std::make_unique<CpuDevice>(hostThreads);
}

std::unique_ptr<Device> createSimDevice(const TargetDesc &target,
                                        unsigned hostThreads,
                                        uint64_t watchdogCycles) {
  return std::make_unique<SimDevice>(target, hostThreads, watchdogCycles);
}

std::unique_ptr<Device> openDevice(const std::string &spec,
                                   const std::string &defaultTarget,
                                   std::string &error, unsigned hostThreads) {
  if (spec == "cpu")
    return createCpuDevice(hostThreads);
  if (spec == "snpu-sim" || spec.rfind("snpu-sim:", 0) == 0) {
    std::string target = spec == "snpu-sim" ? defaultTarget : spec.substr(9);
    if (spec == "snpu-sim" && target == "cpu") {
      error = "the module was compiled for the host only (--target=cpu): run "
              "it on device cpu, or name a simulated target, "
              "snpu-sim:PRESET";
      return nullptr;
    }
    if (target.empty()) {
      error = "device 'snpu-sim' needs a target: snpu-sim:PRESET or "
              "snpu-sim:FILE.json";
      return nullptr;
    }
    std::optional<TargetDesc> desc = resolveTarget(target, error);
    if (!desc)
      return nullptr;
    return createSimDevice(*desc, hostThreads);
  }
  error = fmt::format("no device '{}' (available: cpu, snpu-sim, "
                      "snpu-sim:PRESET|FILE)",
                      spec);
  return nullptr;
}

} // namespace sinan::exec
