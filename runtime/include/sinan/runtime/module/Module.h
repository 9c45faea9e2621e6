//===- Module.h - Compiled Sinan modules (.snm) -----------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A compiled module: a 64-byte header, a FlatBuffer with the metadata and the
// schedule (runtime/module/Module.fbs), and a 64-byte aligned data segment
// with the constants. Loading validates every offset, size and index before
// anything uses them, so a truncated, corrupt or foreign file gives one error
// naming the field and (where it applies) the file offset. Files with the
// same major version load; others are refused with both versions named.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_RUNTIME_MODULE_MODULE_H
#define SINAN_RUNTIME_MODULE_MODULE_H

#include "sinan/runtime/Attr.h"
#include "sinan/runtime/DType.h"
#include "sinan/runtime/isa/Kernel.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sinan::module {

inline constexpr char kMagic[8] = {'S', 'I', 'N', 'A', 'N', 'M', 'O', 'D'};
inline constexpr uint16_t kMajorVersion = 1;
inline constexpr uint16_t kMinorVersion = 7;
inline constexpr size_t kHeaderSize = 64;
/// Alignment of the data segment and of every constant in it.
inline constexpr size_t kDataAlignment = 64;
/// Launch ABI: a kernel starts with the device addresses of its bindings
/// (inputs, then outputs) in r1, r2, ... and, when it has read-only data, that
/// data's address in the next register. So a launch binds at most 30 values.
inline constexpr size_t kMaxLaunchBindings = 30;

enum class ValueKind : uint8_t { Input, Output, Constant, Intermediate };
/// Where an intermediate lives: the host arena or the device arena.
enum class Location : uint8_t { Host, Device };

struct ValueDesc {
  std::string name;
  ValueKind kind = ValueKind::Intermediate;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  /// Constant: offset in the data segment. Intermediate: offset in the
  /// arena of its location. Unused otherwise.
  uint64_t offset = 0;
  Location location = Location::Host;

  /// Bytes of the value (elements times element size).
  uint64_t byteSize() const;
};

using sinan::Attr;
using sinan::AttrValue;

enum class StepKind : uint8_t {
  HostOp,
  KernelLaunch,
  CopyToDevice,
  CopyToHost,
  /// The output is the input's bytes in another shape (a reshape): both
  /// intermediates of one arena at one offset, so nothing moves (1.4); or
  /// with several inputs, their bytes end to end (a concatenation whose
  /// inputs were written in place, 1.7).
  View
};

/// "host", "launch", "to-device", "to-host" or "view".
const char *stepKindName(StepKind kind);

struct StepDesc {
  StepKind kind = StepKind::HostOp;
  /// HostOp: the graph op name without the dialect prefix ("add").
  /// KernelLaunch: optionally the op the kernel implements, which devices
  /// that cannot run SNPU kernels run instead.
  std::string op;
  std::vector<Attr> attributes;
  std::vector<uint32_t> inputs, outputs; // Value indices.
  int32_t kernel = -1;                   // KernelLaunch: kernels index.
  std::vector<uint32_t> deps;            // Earlier step indices.
  /// HostOp: the CPU object entry computing the op natively, or -1.
  int32_t cpuEntry = -1;
  /// HostOp of a module for an SNPU target: the compiler's model of the
  /// op's host time in cycles of the target's clock (format 1.6), which
  /// the device timeline charges; 0 where it has none.
  uint64_t hostCycles = 0;

  /// The attribute called `name`, or null.
  const AttrValue *attr(const std::string &name) const;
};

struct KernelDesc {
  std::string name;
  std::vector<uint8_t> container; // ISA kernel container bytes.
  /// The compiler's estimate of the kernel's cycles (its tiler's cost
  /// model; format 1.5), or 0 where it has none.
  uint64_t estimateCycles = 0;
};

/// An input that a native entry reads in panels (format 1.5): the f32 value
/// as rows of `k` elements, `panel` rows interleaved per panel, so that
/// element (r, j) lies at ((r / panel) k + j) panel + r % panel. A GEMM
/// kernel whose output channels are its vector lanes reads its weights so
/// (ConvKernel.cpp). The session lays a constant out once; any other value
/// at each run.
struct CpuPackingDesc {
  uint32_t input = 0; ///< Index into the step's inputs.
  int64_t k = 1;
  int64_t panel = 1;
};

/// A native kernel in the CPU object (see CpuObjectDesc).
struct CpuEntryDesc {
  std::string symbol;
  /// The binding types the code was compiled for ("f32[4,8],f32[8]->f32[4,8]",
  /// see `signatureOf`); a step using the entry must bind exactly these.
  std::string signature;
  /// The entry computes slices [begin, end) of [0, extent), units of its
  /// work as the compiler cut it: its output's dimension 0 (1 for a scalar
  /// output) for elementwise ops and matmuls, blocks of positions and
  /// output channels for convolutions.
  int64_t extent = 1;
  /// Slices of fewer units are not worth a thread task of their own.
  int64_t grain = 1;
  /// Inputs bound in a packed layout, in input order.
  std::vector<CpuPackingDesc> packing;
};

/// Native host code (format 1.2): an ELF shared object whose exported
/// entries take an array of pointers to their bindings (inputs, then
/// outputs, as the step lists them) and a slice of their work (CpuEntryDesc).
struct CpuObjectDesc {
  std::string triple; ///< e.g. "x86_64-unknown-linux-gnu"; empty: no object.
  std::string cpu;    ///< The CPU model the code was compiled for.
  std::vector<std::string> features; ///< ISA extensions the code needs.
  uint64_t checksum = 0;             ///< `imageChecksum(image)`.
  std::vector<uint8_t> image;
  std::vector<CpuEntryDesc> entries;

  bool empty() const { return triple.empty(); }
};

/// FNV-1a 64 of `size` bytes: the CPU object's checksum, so that a corrupt
/// image is refused before the dynamic loader sees it.
uint64_t imageChecksum(const uint8_t *data, size_t size);

/// The signature of a step binding `inputs` and `outputs` of `m`; a packed
/// input's type is followed by "/panels(K,PANEL)" (so a runtime that does
/// not pack refuses the entry instead of misreading it).
struct ModuleDesc;
std::string signatureOf(const ModuleDesc &m,
                        const std::vector<uint32_t> &inputs,
                        const std::vector<uint32_t> &outputs,
                        const std::vector<CpuPackingDesc> &packing = {});

/// Everything a module describes, as plain data. The compiler fills one and
/// writes it; the loader returns one whose constant bytes point into the
/// loaded (usually memory-mapped) file.
struct ModuleDesc {
  uint16_t majorVersion = kMajorVersion, minorVersion = kMinorVersion;
  std::string compilerVersion;
  std::string sourceHash;
  std::string target;
  uint64_t targetFingerprint = 0;
  std::vector<ValueDesc> values;
  std::vector<uint32_t> inputs, outputs;
  uint64_t arenaSize = 0;
  uint64_t deviceArenaSize = 0;
  std::vector<KernelDesc> kernels;
  std::vector<StepDesc> steps;
  CpuObjectDesc cpuObject;
};

/// True if the file at `path` starts with the module magic (a cheap test
/// for tools that take either a module or another kind of file).
bool hasModuleMagic(const std::string &path);

/// Serializes `module` with `constants[i]` holding the bytes of the i-th
/// Constant value (in value order); constant offsets are assigned here.
std::vector<uint8_t>
writeModule(ModuleDesc module,
            const std::vector<std::vector<uint8_t>> &constants);

/// A loaded module. Owns the file mapping (or the copied bytes) that the
/// constant data points into.
class Module {
public:
  ~Module();
  Module(const Module &) = delete;
  Module &operator=(const Module &) = delete;

  /// Maps `path` read-only and validates it.
  static std::unique_ptr<Module> load(const std::string &path,
                                      std::string &error);
  /// Copies `size` bytes and validates them.
  static std::unique_ptr<Module>
  loadFromMemory(const uint8_t *data, size_t size, std::string &error);

  const ModuleDesc &desc() const { return description; }
  /// The bytes of Constant value `index` (validated to lie in the file).
  const uint8_t *constantData(uint32_t index) const;
  /// Kernel `index`, decoded and validated at load.
  const isa::Kernel &kernel(size_t index) const { return kernels[index]; }
  /// Size of the file or buffer the module came from.
  size_t fileSize() const { return size; }
  bool isMapped() const { return mapped; }
  /// File offsets and sizes of the schedule and data sections.
  uint64_t scheduleOffset() const { return scheduleStart; }
  uint64_t scheduleSize() const { return scheduleBytes; }
  uint64_t dataSectionOffset() const { return dataOffset; }
  uint64_t dataSectionSize() const { return dataSize; }

private:
  Module() = default;
  bool parse(std::string &error);

  const uint8_t *bytes = nullptr;
  size_t size = 0;
  bool mapped = false;
  std::vector<uint8_t> owned;
  uint64_t scheduleStart = 0, scheduleBytes = 0;
  uint64_t dataOffset = 0, dataSize = 0;
  ModuleDesc description;
  std::vector<isa::Kernel> kernels;
};

} // namespace sinan::module

#endif // SINAN_RUNTIME_MODULE_MODULE_H
