//===- Target.h - SNPU target descriptions ----------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Every size, width, latency and bandwidth of an SNPU variant, read from a
// JSON target description (targets/*.json). The compiler (tiling, memory
// planning, cost model) and the simulator (timing) read the same description,
// so a new variant is a new file. Every numeric parameter is written as
// {"value": N, "source": "where N comes from"}; the source is mandatory.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_RUNTIME_TARGET_H
#define SINAN_RUNTIME_TARGET_H

#include "sinan/runtime/DType.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sinan {

/// One local memory of a core.
struct LocalMemoryDesc {
  uint64_t sizeBytes = 0;
  uint32_t banks = 0;
};

/// Operand tile the matrix unit consumes per cycle: (m x k) * (k x n).
struct MatrixTile {
  uint32_t m = 0, k = 0, n = 0;
  uint64_t macsPerCycle() const { return uint64_t(m) * k * n; }
};

/// A parsed and validated target description.
struct TargetDesc {
  std::string name;
  std::string description;
  uint64_t clockMhz = 0;
  uint32_t cores = 0;
  uint32_t alignmentBytes = 0;

  // Shared DRAM: bandwidth is for the whole chip.
  uint64_t dramSizeBytes = 0;
  uint64_t dramBytesPerCycle = 0;
  uint64_t dramLatencyCycles = 0;

  // The link between host memory and device DRAM (PCIe, AXI), at the chip
  // clock: the runtime times host<->device copies with it.
  uint64_t hostLinkBytesPerCycle = 0;
  uint64_t hostLinkLatencyCycles = 0;

  // Per-core DMA engines.
  uint64_t dmaBytesPerCycle = 0;
  uint64_t dmaSetupCycles = 0;
  uint64_t dmaBurstBytes = 0;

  // Per-core local memories.
  LocalMemoryDesc ibuf, wbuf, acc, vbuf;

  /// Matrix-unit tile per supported input type (I8 and/or BF16).
  std::map<DType, MatrixTile> matrixTiles;
  uint64_t matrixLatencyCycles = 0;

  uint64_t vectorBytesPerCycle = 0;
  uint64_t vectorLatencyCycles = 0;

  uint32_t scalarRegisters = 0;
  uint64_t scalarCyclesPerInstruction = 0;
  /// Instructions an engine queue holds; dispatch stalls when it is full.
  uint32_t queueDepth = 0;

  uint32_t semaphoresPerEnginePair = 0;
  uint32_t semaphoreMax = 0;
  uint32_t crossCoreSemaphores = 0;

  /// "dram.bytes_per_cycle" -> its documented source, for every parameter.
  std::map<std::string, std::string> sources;

  /// Peak matrix-unit throughput of the whole chip for `type`, or 0.
  uint64_t peakMacsPerCycle(DType type) const;
};

/// Parses and validates a description. `origin` (file name or preset) starts
/// every message. On failure returns nullopt and sets `error` to every
/// problem found, one per line, each naming the JSON path (e.g.
/// "snpu-x.json: local.ibuf.size_kib: must be a multiple of ...").
std::optional<TargetDesc>
parseTarget(std::string_view json, std::string_view origin, std::string &error);

/// Reads and parses the description at `path`.
std::optional<TargetDesc> loadTarget(const std::string &path,
                                     std::string &error);

/// The presets built into the library ("snpu-edge", "snpu-server").
std::vector<std::string> builtinTargetNames();

/// Parses a built-in preset; fails with the list of presets if unknown.
std::optional<TargetDesc> loadBuiltinTarget(std::string_view name,
                                            std::string &error);

/// A built-in preset's name, or a path to a description file.
std::optional<TargetDesc> resolveTarget(const std::string &nameOrPath,
                                        std::string &error);

} // namespace sinan

#endif // SINAN_RUNTIME_TARGET_H
