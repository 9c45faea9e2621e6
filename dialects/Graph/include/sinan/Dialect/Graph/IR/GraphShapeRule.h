//===- GraphShapeRule.h - Graph ops checked by their shape rule -*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Every graph op but the constant carries the GraphShapeRule trait: its
// verifier and, for the ops whose results follow from their operands, its
// type inference run the op's rule in runtime/shape (OpRules.h), the one the
// runtime's host-op check runs on a module. No op writes its own.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_DIALECT_GRAPH_IR_GRAPHSHAPERULE_H
#define SINAN_DIALECT_GRAPH_IR_GRAPHSHAPERULE_H

#include "sinan/runtime/Attr.h"

#include "mlir/IR/OpDefinition.h"

#include <type_traits>
#include <vector>

namespace sinan::graph {

/// The op's rule on its operands, declared results and attributes: a
/// refusal is the op's error, and each declared result must agree with the
/// rule's shape where both are known.
mlir::LogicalResult verifyShapeRule(mlir::Operation *op);

/// Result types by op `name`'s rule: shapes from the rule, element types
/// from ODS (a result constraint of one type, or the operand a trait ties
/// it to). A refused op gets rank-0 placeholders; its verifier reports why.
mlir::LogicalResult inferByShapeRule(mlir::MLIRContext *context,
                                     llvm::StringRef name,
                                     mlir::ValueRange operands,
                                     const std::vector<Attr> &attrs,
                                     llvm::SmallVectorImpl<mlir::Type> &types);

/// The inherent attributes in `list`, as the rule reads them.
std::vector<Attr> ruleAttributes(const mlir::NamedAttrList &list);

/// What an adaptor's properties hold, as the rule reads them (attributes
/// left at their ODS default are absent; the rule takes the default).
template <typename OpT, typename AdaptorT>
std::vector<Attr> ruleAttributes(mlir::MLIRContext *context,
                                 AdaptorT &adaptor) {
  mlir::NamedAttrList list;
  if constexpr (!std::is_same_v<typename OpT::Properties,
                                mlir::EmptyProperties>)
    OpT::populateInherentAttrs(context, adaptor.getProperties(), list);
  return ruleAttributes(list);
}

} // namespace sinan::graph

namespace mlir::OpTrait {

/// See the file comment.
template <typename ConcreteType>
class GraphShapeRule : public TraitBase<ConcreteType, GraphShapeRule> {
public:
  static LogicalResult verifyTrait(Operation *op) {
    return sinan::graph::verifyShapeRule(op);
  }
};

} // namespace mlir::OpTrait

#endif // SINAN_DIALECT_GRAPH_IR_GRAPHSHAPERULE_H
