//===- OpSignatures.h - The graph ops' ODS signatures -----------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// What the graph dialect's ODS says of each op (operand and result counts
// and element types, the traits that tie element types together, attribute
// names, kinds and defaults), from GraphOpSignatures.inc, which
// sinan-tblgen generates from GraphOps.td and is checked in beside this
// library's sources, as the runtime builds without MLIR. The shape rules,
// the host ops and the graph dialect's type inference take arities,
// attribute defaults and element types from here.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_RUNTIME_SHAPE_OPSIGNATURES_H
#define SINAN_RUNTIME_SHAPE_OPSIGNATURES_H

#include "sinan/runtime/Attr.h"
#include "sinan/runtime/DType.h"

#include <optional>
#include <string_view>
#include <vector>

namespace sinan::shape {

enum class AttrKind { Int, Float, String, IntList, FloatList };

struct AttrSignature {
  std::string_view name;
  AttrKind kind;
  /// Neither optional nor defaulted: a module must carry it.
  bool required;
  /// The ODS default, if any.
  std::optional<AttrValue> fallback;
};

/// A type constraint of graph values (ODS's Graph_TensorOf).
struct TypeConstraint {
  /// The verifier's words for it.
  std::string_view summary;
  std::vector<DType> types;

  bool allows(DType type) const;
};

enum class ValueKind { Single, Optional, Variadic };

struct ValueSignature {
  std::string_view name;
  const TypeConstraint *constraint;
  ValueKind kind = ValueKind::Single;
};

/// Values (operands, then results, by ODS index) that a trait requires to
/// have one element type.
struct TypeTie {
  /// The verifier's words when they differ.
  std::string_view message;
  std::vector<size_t> values;
};

struct OpSignature {
  std::string_view name;
  /// maxOperands is SIZE_MAX for a variadic operand.
  size_t minOperands, maxOperands, results;
  std::vector<AttrSignature> attrs;
  std::vector<ValueSignature> operandValues, resultValues;
  std::vector<TypeTie> ties;

  const AttrSignature *attr(std::string_view attrName) const;
};

/// The graph op `op`'s signature, or null when ODS has no such op.
const OpSignature *graphOpSignature(std::string_view op);

/// Every graph op's signature, by name.
const std::vector<OpSignature> &graphOpSignatures();

/// The ODS operand index of each of `count` operands (optional operands
/// trail; a variadic one takes what the others leave).
std::vector<size_t> odsOperandIndices(const OpSignature &op, size_t count);

/// The element type ODS implies for result `result` given the operands'
/// (`operands`, by position): its constraint's only type, or the type of
/// an operand a trait ties it to; nullopt when ODS leaves it open.
std::optional<DType> impliedResultType(const OpSignature &op, size_t result,
                                       const std::vector<DType> &operands);

} // namespace sinan::shape

#endif // SINAN_RUNTIME_SHAPE_OPSIGNATURES_H
