//===- Signatures.cpp - The graph ops' ODS signatures ---------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "Signatures.h"

#include <algorithm>
#include <cstdint>
#include <string>

namespace sinan::ref {

const AttrSignature *OpSignature::attr(std::string_view attrName) const {
  for (const AttrSignature &a : attrs)
    if (a.name == attrName)
      return &a;
  return nullptr;
}

const std::vector<OpSignature> &graphOpSignatures() {
  static const std::vector<OpSignature> all = [] {
    std::vector<OpSignature> ops;
#define SINAN_OP(name, minOperands, maxOperands, results)                      \
  ops.push_back({#name,                                                        \
                 minOperands,                                                  \
                 (maxOperands) < 0 ? SIZE_MAX : size_t(maxOperands),           \
                 results,                                                      \
                 {}});
#define SINAN_ATTR(op, name, kind, required, fallback)                         \
  ops.back().attrs.push_back({#name, AttrKind::kind, required, fallback});
#include "GraphOpSignatures.inc"
#undef SINAN_OP
#undef SINAN_ATTR
    return ops;
  }();
  return all;
}

const OpSignature *graphOpSignature(std::string_view op) {
  const std::vector<OpSignature> &all = graphOpSignatures();
  auto it = std::lower_bound(all.begin(), all.end(), op,
                             [](const OpSignature &s, std::string_view name) {
                               return s.name < name;
                             });
  return it != all.end() && it->name == op ? &*it : nullptr;
}

} // namespace sinan::ref
