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

/// Runs a `subgraph` step (Fused.cpp) op by op on the reference kernels.
bool runSubgraph(const std::vector<Attr> &attrs,
                 const std::vector<const Tensor *> &inputs,
                 const std::vector<Tensor *> &outputs, std::string &error);

/// Checks a `subgraph` step: its ops, and every op with checkHostOp.
bool checkSubgraph(const std::vector<Attr> &attrs,
                   const std::vector<ValueType> &inputs,
                   const std::vector<ValueType> &outputs, std::string &error);

/// The multiply-accumulates of a `subgraph` step's ops (hostOpMacs of
/// each); 0 when its attributes do not parse.
uint64_t subgraphMacs(const std::vector<Attr> &attrs,
                      const std::vector<ValueType> &inputs,
                      const std::vector<ValueType> &outputs);

} // namespace sinan::ref

#endif // SINAN_RUNTIME_REF_FUSED_H
