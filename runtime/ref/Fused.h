//===- Fused.h - Host steps that chain elementwise ops ----------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_RUNTIME_REF_FUSED_H
#define SINAN_RUNTIME_REF_FUSED_H

#include "sinan/runtime/Attr.h"
#include "sinan/runtime/Tensor.h"
#include "sinan/runtime/ref/HostOps.h"

#include <charconv>
#include <string>
#include <vector>

namespace sinan::ref {

/// Runs a `fused` step (Fused.cpp) op by op on the reference kernels.
bool runFused(const std::vector<Attr> &attrs,
              const std::vector<const Tensor *> &inputs,
              const std::vector<Tensor *> &outputs, std::string &error);

/// Checks a `fused` step: its chain, and every op of it with checkHostOp.
bool checkFused(const std::vector<Attr> &attrs,
                const std::vector<ValueType> &inputs,
                const std::vector<ValueType> &outputs, std::string &error);

} // namespace sinan::ref

#endif // SINAN_RUNTIME_REF_FUSED_H
