//===- GraphShapeRule.cpp - Graph ops checked by their shape rule ---------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Dialect/Graph/IR/GraphShapeRule.h"

#include "sinan/Bridge/RuntimeBridge.h"
#include "sinan/runtime/shape/OpRules.h"
#include "sinan/runtime/shape/OpSignatures.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;

namespace sinan::graph {

static_assert(shape::kDynamic == ShapedType::kDynamic,
              "the shape rules' unknown extent is MLIR's");

namespace {

/// `type` as a rule sees it; nullopt when it is not a ranked tensor of an
/// element type the runtime has (ODS refuses those before the rule runs).
std::optional<shape::TypedShape> typedShapeOf(Type type) {
  auto ranked = dyn_cast<RankedTensorType>(type);
  if (!ranked)
    return std::nullopt;
  std::optional<DType> element = toDType(ranked.getElementType());
  if (!element)
    return std::nullopt;
  return shape::TypedShape{*element, shape::Shape(ranked.getShape().begin(),
                                                  ranked.getShape().end())};
}

std::optional<std::vector<shape::TypedShape>> typedShapesOf(TypeRange types) {
  std::vector<shape::TypedShape> shapes;
  for (Type type : types) {
    std::optional<shape::TypedShape> typed = typedShapeOf(type);
    if (!typed)
      return std::nullopt;
    shapes.push_back(std::move(*typed));
  }
  return shapes;
}

LogicalResult resultMismatch(Operation *op, Type declared,
                             ArrayRef<int64_t> inferred) {
  InFlightDiagnostic diag = op->emitOpError("result type ");
  diag << declared << " does not match the inferred shape [";
  llvm::interleaveComma(inferred, diag, [&](int64_t dim) {
    if (ShapedType::isDynamic(dim))
      diag << "?";
    else
      diag << dim;
  });
  return diag << "]";
}

} // namespace

std::vector<Attr> ruleAttributes(const NamedAttrList &list) {
  return toHostAttrs(list.getAttrs());
}

LogicalResult verifyShapeRule(Operation *op) {
  std::optional<std::vector<shape::TypedShape>> operands =
      typedShapesOf(op->getOperandTypes());
  std::optional<std::vector<shape::TypedShape>> results =
      typedShapesOf(op->getResultTypes());
  if (!operands || !results)
    return success(); // The ODS type constraints report these.
  std::string why;
  std::optional<std::vector<shape::Shape>> shapes =
      shape::opResultShapes(op->getName().stripDialect(), *operands, *results,
                            hostOpAttributes(op), why);
  if (!shapes)
    return op->emitOpError() << why;
  if (shapes->size() != results->size())
    return op->emitOpError() << "has " << results->size()
                             << " results, its rule gives " << shapes->size();
  for (auto [result, shape] : llvm::zip(op->getResults(), *shapes)) {
    auto declared = cast<ShapedType>(result.getType());
    if (failed(verifyCompatibleShape(declared.getShape(), shape)))
      return resultMismatch(op, declared, shape);
  }
  return success();
}

LogicalResult inferByShapeRule(MLIRContext *context, StringRef name,
                               ValueRange operands,
                               const std::vector<Attr> &attrs,
                               SmallVectorImpl<Type> &types) {
  name = name.split('.').second; // graph.add -> add
  const shape::OpSignature *ods = shape::graphOpSignature(name);
  std::optional<std::vector<shape::TypedShape>> typed =
      typedShapesOf(operands.getTypes());
  if (!ods || !typed)
    return failure();
  std::vector<DType> operandTypes;
  for (const shape::TypedShape &operand : *typed)
    operandTypes.push_back(operand.type);
  std::string why;
  std::optional<std::vector<shape::Shape>> shapes =
      shape::opResultShapes(name, *typed, {}, attrs, why);
  for (size_t i = 0; i < ods->results; ++i) {
    std::optional<DType> element =
        shape::impliedResultType(*ods, i, operandTypes);
    if (!element)
      return failure();
    Type elementType = toMlirType(*element, *context);
    // A refused op still gets a well-formed type, so builders and typed
    // accessors never crash; its verifier says what is wrong.
    types.push_back(shapes && i < shapes->size()
                        ? RankedTensorType::get((*shapes)[i], elementType)
                        : RankedTensorType::get({}, elementType));
  }
  return success();
}

} // namespace sinan::graph
