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

bool TypeConstraint::allows(DType type) const {
  return std::find(types.begin(), types.end(), type) != types.end();
}

namespace {

const std::vector<TypeConstraint> &typeConstraints() {
  static const std::vector<TypeConstraint> all = [] {
    std::vector<TypeConstraint> constraints;
#define SINAN_CONSTRAINT(id, summary, ...)                                     \
  constraints.push_back({summary, {__VA_ARGS__}});
#define SINAN_OP(...)
#define SINAN_ATTR(...)
#define SINAN_OPERAND(...)
#define SINAN_RESULT(...)
#define SINAN_TIE(...)
#include "GraphOpSignatures.inc"
#undef SINAN_CONSTRAINT
#undef SINAN_OP
#undef SINAN_ATTR
#undef SINAN_OPERAND
#undef SINAN_RESULT
#undef SINAN_TIE
    return constraints;
  }();
  return all;
}

} // namespace

const std::vector<OpSignature> &graphOpSignatures() {
  static const std::vector<OpSignature> all = [] {
    const std::vector<TypeConstraint> &constraints = typeConstraints();
    std::vector<OpSignature> ops;
#define SINAN_OP(name, minOperands, maxOperands, results)                      \
  ops.push_back({#name,                                                        \
                 minOperands,                                                  \
                 (maxOperands) < 0 ? SIZE_MAX : size_t(maxOperands),           \
                 results,                                                      \
                 {},                                                           \
                 {},                                                           \
                 {},                                                           \
                 {}});
#define SINAN_ATTR(op, name, kind, required, fallback)                         \
  ops.back().attrs.push_back({#name, AttrKind::kind, required, fallback});
#define SINAN_CONSTRAINT(...)
#define SINAN_OPERAND(op, name, constraint, kind)                              \
  ops.back().operandValues.push_back(                                          \
      {#name, &constraints[constraint], ValueKind::kind});
#define SINAN_RESULT(op, name, constraint)                                     \
  ops.back().resultValues.push_back({#name, &constraints[constraint]});
#define SINAN_TIE(op, message, ...)                                            \
  ops.back().ties.push_back({message, {__VA_ARGS__}});
#include "GraphOpSignatures.inc"
#undef SINAN_OP
#undef SINAN_ATTR
#undef SINAN_CONSTRAINT
#undef SINAN_OPERAND
#undef SINAN_RESULT
#undef SINAN_TIE
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
