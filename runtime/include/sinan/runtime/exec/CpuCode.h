//===- CpuCode.h - Native host code from a module ---------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A module's CPU object is an ELF shared object the compiler built from the
// graph ops it lowered to native code. Loading it checks that this host can
// run it (machine and ISA extensions), hands the image to the dynamic loader
// through an anonymous file and resolves every entry. A host that cannot run
// it is told why, and sessions run the reference kernels instead.
//
// Native code is trusted code: a module is as trustworthy as the program
// that wrote it. The validator checks the object's checksum, ELF header and
// every step's binding types, so a corrupt file is refused before loading.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_RUNTIME_EXEC_CPUCODE_H
#define SINAN_RUNTIME_EXEC_CPUCODE_H

#include "sinan/runtime/module/Module.h"

#include <memory>
#include <string>
#include <vector>

namespace sinan::exec {

class CpuCode {
public:
  /// An entry point: `bindings` holds a pointer to each bound value's data,
  /// inputs then outputs; it computes the slice [begin, end) of its output's
  /// dimension 0. It returns 0, or (modules of format 1.3 on) non-zero when
  /// its input is bad (e.g. a gather index out of range): the reference
  /// kernel then runs the step to say why.
  using Entry = int32_t (*)(void *const *bindings, int64_t begin, int64_t end);

  /// Loads `object`; null with `why` saying what this host lacks or what
  /// the dynamic loader reported.
  static std::shared_ptr<CpuCode> load(const module::CpuObjectDesc &object,
                                       std::string &why);
  ~CpuCode();
  CpuCode(const CpuCode &) = delete;
  CpuCode &operator=(const CpuCode &) = delete;

  Entry entry(size_t index) const { return entries[index]; }

private:
  CpuCode() = default;
  void *handle = nullptr;
  std::vector<Entry> entries;
};

/// The architecture part of this host's target triple ("x86_64").
const char *hostArch();

/// Whether this host has `feature`: an x86-64 level ("x86-64-v3") or an ISA
/// extension in LLVM's spelling ("avx2", "avx512f"); false for names this
/// runtime cannot check.
bool hostHasFeature(const std::string &feature);

} // namespace sinan::exec

#endif // SINAN_RUNTIME_EXEC_CPUCODE_H
