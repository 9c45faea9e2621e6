//===- ImportHelpers.cpp - What the ONNX op converters share --------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The helpers more than one op family uses (declared in Importer.h):
// element type checks and casts, constant operands, shapes and reshapes,
// scalar constants, axes and float attributes.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

using namespace mlir;

namespace sinan::frontend::detail {

LogicalResult sameElementType(Importer &im, const onnx::NodeProto &node,
                              ValueRange operands) {
  Type first = getElementTypeOrSelf(operands[0]);
  for (Value v : operands.drop_front())
    if (getElementTypeOrSelf(v) != first) {
      std::string a, b;
      llvm::raw_string_ostream(a) << first;
      llvm::raw_string_ostream(b) << getElementTypeOrSelf(v);
      return im.unsupported(node, "operands of different element types (" + a +
                                      " and " + b + ") are not supported");
    }
  return success();
}

Value castElements(Importer &im, Location loc, Value v, Type element) {
  auto type = RankedTensorType::get(
      cast<RankedTensorType>(v.getType()).getShape(), element);
  if (type == v.getType())
    return v;
  return graph::CastOp::create(im.builder, loc, type, v);
}

std::optional<SmallVector<int64_t>> constantInts(Value value) {
  auto constant = value ? value.getDefiningOp<graph::ConstantOp>() : nullptr;
  if (!constant)
    return std::nullopt;
  auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
  if (!dense || !isa<IntegerType>(dense.getElementType()))
    return std::nullopt;
  SmallVector<int64_t> values;
  for (const APInt &v : dense.getValues<APInt>())
    values.push_back(v.getSExtValue());
  return values;
}

ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

Value reshapeTo(Importer &im, Location loc, Value input,
                ArrayRef<int64_t> shape) {
  auto type = RankedTensorType::get(shape, getElementTypeOrSelf(input));
  if (type == input.getType())
    return input;
  return graph::ReshapeOp::create(im.builder, loc, type, input);
}

Value scalarConstant(Importer &im, Location loc, Type elementType,
                     double value) {
  auto type = RankedTensorType::get({}, elementType);
  Attribute element =
      isa<FloatType>(elementType)
          ? Attribute(im.builder.getFloatAttr(elementType, value))
          : Attribute(im.builder.getIntegerAttr(elementType,
                                                static_cast<int64_t>(value)));
  return graph::ConstantOp::create(im.builder, loc,
                                   DenseElementsAttr::get(type, element));
}

std::optional<SmallVector<int64_t>> axesOf(Importer &im,
                                           const onnx::NodeProto &node,
                                           int inputIndex, bool &dynamic) {
  dynamic = false;
  if (auto attr = im.intsAttr(node, "axes"))
    return attr;
  if (im.hasInput(node, inputIndex)) {
    auto values = constantInts(im.input(node, inputIndex));
    dynamic = !values;
    return values;
  }
  return std::nullopt;
}

float floatAttr(Importer &im, const onnx::NodeProto &node, const char *name,
                float fallback) {
  const onnx::AttributeProto *attr = im.attribute(node, name);
  return attr ? attr->f() : fallback;
}

} // namespace sinan::frontend::detail
