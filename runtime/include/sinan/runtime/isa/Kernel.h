//===- Kernel.h - SNPU kernel binary container ------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The kernel binary (docs/isa.md section 9): one program per core, read-only
// data, and metadata tying the kernel to the target it was built for. The
// reader checks every field and offset before use.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_RUNTIME_ISA_KERNEL_H
#define SINAN_RUNTIME_ISA_KERNEL_H

#include "sinan/runtime/isa/Isa.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sinan {
struct TargetDesc;
} // namespace sinan

namespace sinan::isa {

inline constexpr char kKernelMagic[8] = {'S', 'N', 'P', 'U',
                                         'K', 'E', 'R', 'N'};
inline constexpr uint16_t kKernelMajorVersion = 1;
inline constexpr uint16_t kKernelMinorVersion = 1;

enum class SectionKind : uint32_t {
  Program = 1,
  ReadOnlyData = 2,
  Metadata = 3,
  /// u64: bytes of device memory the kernel writes and reads itself (since
  /// minor version 1).
  Scratch = 4,
  /// u64: bit i set when the programs never read argument register r(i+1)
  /// (since minor version 1).
  UnreadArguments = 5
};

struct Kernel {
  std::string targetName;
  /// targetFingerprint() of the description the kernel was compiled for.
  uint64_t targetFingerprint = 0;
  /// programs[c] runs on core c.
  std::vector<std::vector<Instruction>> programs;
  std::vector<uint8_t> readOnlyData;
  /// Bytes of scratch DRAM the programs use (a padded copy of an input, ...);
  /// the launch passes its address after the read-only data's. A kernel
  /// with scratch must not run concurrently with itself.
  uint64_t scratchBytes = 0;
  /// Bit i: the programs never read launch argument i (r(i+1)); a runtime
  /// need not copy what only such bindings use (a convolution's original
  /// weights, bound for the host fallback, packed into read-only data).
  uint64_t unreadArguments = 0;
};

/// A hash of every parameter of `target` (not the source notes), so a kernel
/// is never run on a target whose numbers differ from the one it assumed.
uint64_t targetFingerprint(const TargetDesc &target);

/// Serializes `kernel`; every instruction must be valid.
std::vector<uint8_t> writeKernel(const Kernel &kernel);

/// Parses and validates a kernel binary. Errors name the field or the
/// instruction and its byte offset in the file.
std::optional<Kernel> readKernel(const uint8_t *data, size_t size,
                                 std::string &error);

/// Reads a kernel file; errors start with the path.
std::optional<Kernel> loadKernel(const std::string &path, std::string &error);

} // namespace sinan::isa

#endif // SINAN_RUNTIME_ISA_KERNEL_H
