//===- OpRules.h - Each graph op's shape rule, by name ----------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The one place an op's shapes are decided. Each graph op's rule reads the
// op as both sides see it (operand and result types, attributes with ODS's
// defaults) and gives its result shapes or a refusal. The graph dialect's
// verifier and inferReturnTypes (the GraphShapeRule trait) and the
// runtime's host-op check call the same rule through opResultShapes, so
// adding an op means its ODS definition, its rule here and its reference
// kernel.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_RUNTIME_SHAPE_OPRULES_H
#define SINAN_RUNTIME_SHAPE_OPRULES_H

#include "sinan/runtime/Attr.h"
#include "sinan/runtime/DType.h"
#include "sinan/runtime/shape/ShapeRules.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sinan::shape {

/// An operand or result: its element type and extents.
struct TypedShape {
  DType type;
  Shape shape;
};

/// Result shapes of graph op `op` from its operands (absent optional
/// operands left out) and attributes (an absent one takes its ODS
/// default), or nullopt with the reason in `why`. `results` are the
/// declared results; a caller inferring them passes none, which only the
/// ops whose results follow from their operands accept (the others, such
/// as reshape, answer with the declared shape once checked). The caller
/// compares declared results with the answer.
std::optional<std::vector<Shape>>
opResultShapes(std::string_view op, const std::vector<TypedShape> &operands,
               const std::vector<TypedShape> &results,
               const std::vector<Attr> &attrs, std::string &why);

/// Whether graph op `op` has a rule.
bool hasOpRule(std::string_view op);

} // namespace sinan::shape

#endif // SINAN_RUNTIME_SHAPE_OPRULES_H
