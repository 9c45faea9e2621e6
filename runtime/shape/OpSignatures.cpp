//===- OpSignatures.cpp - The graph ops' ODS signatures -------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/shape/OpSignatures.h"

#include <algorithm>
#include <cstdint>
#include <string>

namespace sinan::shape {

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

std::vector<size_t> odsOperandIndices(const OpSignature &op, size_t count) {
  size_t others = 0;
  for (const ValueSignature &v : op.operandValues)
    others += v.kind != ValueKind::Variadic;
  std::vector<size_t> indices;
  for (size_t o = 0; o < op.operandValues.size(); ++o) {
    size_t take = op.operandValues[o].kind == ValueKind::Variadic
                      ? (count > others ? count - others : 0)
                      : 1;
    for (size_t k = 0; k < take && indices.size() < count; ++k)
      indices.push_back(o);
  }
  return indices;
}

std::optional<DType> impliedResultType(const OpSignature &op, size_t result,
                                       const std::vector<DType> &operands) {
  if (result >= op.resultValues.size())
    return std::nullopt;
  const std::vector<DType> &allowed = op.resultValues[result].constraint->types;
  if (allowed.size() == 1)
    return allowed[0];
  size_t odsResult = op.operandValues.size() + result;
  std::vector<size_t> odsIndex = odsOperandIndices(op, operands.size());
  for (const TypeTie &tie : op.ties) {
    if (std::find(tie.values.begin(), tie.values.end(), odsResult) ==
        tie.values.end())
      continue;
    for (size_t i = 0; i < operands.size() && i < odsIndex.size(); ++i)
      if (std::find(tie.values.begin(), tie.values.end(), odsIndex[i]) !=
          tie.values.end())
        return operands[i];
  }
  return std::nullopt;
}

} // namespace sinan::shape
