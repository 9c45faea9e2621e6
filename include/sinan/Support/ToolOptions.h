//===- ToolOptions.h - What --help shows of Sinan's tools -------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// sinan-compile and sinan-run link LLVM's code generators, whose static
// options (hundreds: AMDGPU, ARM, BPF, ...) would fill --help. Each tool puts
// its own options in one category and shows those, plus the few MLIR
// options it documents; the others still parse (a script that passes one
// keeps working) but are no longer listed.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_SUPPORT_TOOLOPTIONS_H
#define SINAN_SUPPORT_TOOLOPTIONS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CommandLine.h"

namespace sinan {

/// Hides every registered option outside `category` from --help, except
/// those named in `alsoShow`. Call it after the last option is registered
/// and before parsing.
inline void showOnlyToolOptions(llvm::cl::OptionCategory &category,
                                llvm::ArrayRef<llvm::StringRef> alsoShow = {}) {
  llvm::cl::HideUnrelatedOptions(category);
  auto &options = llvm::cl::getRegisteredOptions();
  for (llvm::StringRef name : alsoShow) {
    auto it = options.find(name);
    if (it == options.end())
      continue;
    it->second->setHiddenFlag(llvm::cl::NotHidden);
    it->second->addCategory(category);
  }
}

} // namespace sinan

#endif // SINAN_SUPPORT_TOOLOPTIONS_H
