//===- ImportQuantization.cpp - ONNX quantization ops ---------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Converts QuantizeLinear and DequantizeLinear (per-tensor, per-axis and
// blocked), DynamicQuantizeLinear, MatMulInteger and QLinearMatMul into
// graph ops: casts, arithmetic, rounding and saturation.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "sinan/Dialect/Graph/IR/ShapeInference.h"

#include <cmath>

using namespace mlir;

namespace sinan::frontend::detail {
namespace {

/// Reshapes a per-axis vector [C] to broadcast along `axis` of `rank`.
Value alongAxis(Importer &im, Location loc, Value v, int64_t axis,
                int64_t rank) {
  ArrayRef<int64_t> shape = shapeOf(v);
  if (shape.size() != 1 || rank == 0)
    return v;
  SmallVector<int64_t> target(rank, 1);
  target[axis] = shape[0];
  return reshapeTo(im, loc, v, target);
}

/// The integer range of a quantized element type.
std::pair<double, double> integerRange(IntegerType type) {
  unsigned width = type.getWidth();
  if (type.isUnsigned())
    return {0.0, std::ldexp(1.0, width) - 1};
  return {-std::ldexp(1.0, width - 1), std::ldexp(1.0, width - 1) - 1};
}

/// Repeats each entry of a blocked scale (or zero point) `block` times along
/// `axis`, so it lines up with the input (ONNX blocked quantization).
FailureOr<Value> unblock(Importer &im, const onnx::NodeProto &node,
                         Location loc, Value v, int64_t axis, int64_t block,
                         ArrayRef<int64_t> inputShape) {
  ArrayRef<int64_t> shape = shapeOf(v);
  int64_t extent = inputShape[axis];
  if (shape.size() != inputShape.size() || ShapedType::isDynamic(extent) ||
      shape[axis] != (extent + block - 1) / block)
    return im.fail(node, "blocked scale or zero point does not match the "
                         "input shape and block_size");
  SmallVector<int64_t> indices;
  for (int64_t j = 0; j < extent; ++j)
    indices.push_back(j / block);
  auto indexType = RankedTensorType::get({extent}, im.builder.getI64Type());
  Value index = graph::ConstantOp::create(
      im.builder, loc, DenseElementsAttr::get(indexType, ArrayRef(indices)));
  return graph::GatherOp::create(im.builder, loc, v, index,
                                 im.builder.getI64IntegerAttr(axis))
      ->getResult(0);
}

/// QuantizeLinear: saturate(round(x / scale) + zero_point);
/// DequantizeLinear: (x - zero_point) * scale. Per-tensor, per-axis or
/// blocked; integer (4, 8 and 16 bits) and 8- and 4-bit float results.
LogicalResult convertQuantize(Importer &im, const onnx::NodeProto &node) {
  Location loc = im.locOf(node);
  Value x = im.input(node, 0), scale = im.input(node, 1);
  int64_t rank = shapeOf(x).size();
  Value zeroPoint = im.hasInput(node, 2) ? im.input(node, 2) : Value();
  int64_t block = im.intAttr(node, "block_size", 0);
  if (block < 0)
    return im.fail(node, "block_size must not be negative");
  // The axis matters only for per-axis (1-D) and blocked scales.
  if (shapeOf(scale).size() == 1 || block > 0) {
    auto axis = graph::normalizeAxis(im.intAttr(node, "axis", 1), rank);
    if (!axis)
      return im.fail(node, "axis out of range");
    for (Value *v : {&scale, &zeroPoint}) {
      if (!*v)
        continue;
      if (block == 0) {
        *v = alongAxis(im, loc, *v, *axis, rank);
        continue;
      }
      auto full = unblock(im, node, loc, *v, *axis, block, shapeOf(x));
      if (failed(full))
        return failure();
      *v = *full;
    }
  }
  Type scaleType = getElementTypeOrSelf(scale);
  if (!isa<FloatType>(scaleType))
    return im.unsupported(node, "integer scales are not supported");
  Emitter e{im, loc, scaleType};
  if (node.op_type() == "DequantizeLinear") {
    Value value = castElements(im, loc, x, scaleType);
    if (zeroPoint)
      value = e.sub(value, castElements(im, loc, zeroPoint, scaleType));
    im.define(node.output(0), e.mul(value, scale));
    return success();
  }
  // The output type is the zero point's, else output_dtype, else uint8.
  Type out = im.builder.getIntegerType(8, /*isSigned=*/false);
  if (zeroPoint) {
    out = getElementTypeOrSelf(zeroPoint);
  } else if (int64_t dtype = im.intAttr(node, "output_dtype", 0)) {
    out = elementType(static_cast<int32_t>(dtype), im.context);
    if (!out)
      return im.unsupported(
          node, "quantization to " + onnxTypeName(static_cast<int32_t>(dtype)) +
                    " is not supported");
  }
  Value q = e.div(castElements(im, loc, x, scaleType), scale);
  if (auto outFloat = dyn_cast<FloatType>(out)) {
    // Float results round once, in the cast (nearest even, saturating
    // unless saturate=0).
    if (outFloat.getWidth() > 8)
      return im.unsupported(node, "quantization to this type is not supported");
    if (zeroPoint)
      q = e.add(q, castElements(im, loc, zeroPoint, scaleType));
    auto type = RankedTensorType::get(shapeOf(q), out);
    auto cast = graph::CastOp::create(im.builder, loc, type, q);
    cast.setSaturate(im.intAttr(node, "saturate", 1) != 0);
    im.define(node.output(0), cast);
    return success();
  }
  auto outInteger = dyn_cast<IntegerType>(out);
  if (!outInteger ||
      (outInteger.getWidth() != 4 && outInteger.getWidth() != 8 &&
       outInteger.getWidth() != 16))
    return im.unsupported(node, "quantization to this type is not supported");
  auto [lo, hi] = integerRange(outInteger);
  q = e.op<graph::RoundOp>(q);
  if (zeroPoint)
    q = e.add(q, castElements(im, loc, zeroPoint, scaleType));
  q = e.min(e.max(q, e.c(lo)), e.c(hi));
  im.define(node.output(0), castElements(im, loc, q, out));
  return success();
}

/// x - zero_point in i32 for MatMulInteger and QLinearMatMul. A 1-D zero
/// point of the left operand is per row, so it becomes a column.
Value widenAndCenter(Importer &im, Location loc, Value x, Value zeroPoint,
                     bool perRow) {
  Type i32 = im.builder.getI32Type();
  Value centered = castElements(im, loc, x, i32);
  if (!zeroPoint)
    return centered;
  Value zp = castElements(im, loc, zeroPoint, i32);
  if (perRow && shapeOf(zp).size() == 1 && shapeOf(x).size() >= 2)
    zp = reshapeTo(im, loc, zp, {shapeOf(zp)[0], 1});
  return graph::SubOp::create(im.builder, loc, centered, zp)->getResult(0);
}

LogicalResult convertMatMulInteger(Importer &im, const onnx::NodeProto &node) {
  Location loc = im.locOf(node);
  Value a = widenAndCenter(im, loc, im.input(node, 0),
                           im.hasInput(node, 2) ? im.input(node, 2) : Value(),
                           /*perRow=*/true);
  Value b = widenAndCenter(im, loc, im.input(node, 1),
                           im.hasInput(node, 3) ? im.input(node, 3) : Value(),
                           /*perRow=*/false);
  im.define(node.output(0), graph::MatMulOp::create(im.builder, loc, a, b));
  return success();
}

/// QLinearMatMul: round((a - a_zp) @ (b - b_zp) * (a_scale * b_scale /
/// y_scale)) + y_zp, saturated to the output type; the product is exact in
/// i32 and the rescale is done in f32.
LogicalResult convertQLinearMatMul(Importer &im, const onnx::NodeProto &node) {
  Location loc = im.locOf(node);
  Value a = widenAndCenter(im, loc, im.input(node, 0), im.input(node, 2),
                           /*perRow=*/true);
  Value b = widenAndCenter(im, loc, im.input(node, 3), im.input(node, 5),
                           /*perRow=*/false);
  Value aScale = im.input(node, 1), bScale = im.input(node, 4),
        yScale = im.input(node, 6);
  Type scaleType = getElementTypeOrSelf(yScale);
  if (!isa<FloatType>(scaleType))
    return im.unsupported(node, "integer scales are not supported");
  if (shapeOf(aScale).size() == 1 && shapeOf(a).size() >= 2)
    aScale = reshapeTo(im, loc, aScale, {shapeOf(aScale)[0], 1});
  Emitter s{im, loc, scaleType};
  Value multiplier = s.div(s.mul(aScale, bScale), yScale);
  Type f32 = im.builder.getF32Type();
  Emitter e{im, loc, f32};
  Value product = graph::MatMulOp::create(im.builder, loc, a, b);
  Value y = e.op<graph::RoundOp>(e.mul(castElements(im, loc, product, f32),
                                       castElements(im, loc, multiplier, f32)));
  Value yZeroPoint = im.hasInput(node, 7) ? im.input(node, 7) : Value();
  Type out = yZeroPoint ? getElementTypeOrSelf(yZeroPoint)
                        : getElementTypeOrSelf(im.input(node, 0));
  auto outInteger = dyn_cast<IntegerType>(out);
  if (!outInteger)
    return im.unsupported(node, "float outputs are not supported");
  if (yZeroPoint)
    y = e.add(y, castElements(im, loc, yZeroPoint, f32));
  auto [lo, hi] = integerRange(outInteger);
  y = e.min(e.max(y, e.c(lo)), e.c(hi));
  im.define(node.output(0),
            graph::CastOp::create(im.builder, loc,
                                  RankedTensorType::get(shapeOf(y), out), y));
  return success();
}

/// DynamicQuantizeLinear: uint8 quantization with the scale and zero point
/// taken from the input's range (which always includes 0).
LogicalResult convertDynamicQuantize(Importer &im,
                                     const onnx::NodeProto &node) {
  Location loc = im.locOf(node);
  Value x = im.input(node, 0);
  Type element = getElementTypeOrSelf(x);
  if (!isa<FloatType>(element))
    return im.unsupported(node, "integer inputs are not supported");
  Emitter e{im, loc, element};
  auto all = [&](auto tag, Value v) {
    using OpTy = decltype(tag);
    return OpTy::create(im.builder, loc, v, im.builder.getDenseI64ArrayAttr({}),
                        im.builder.getBoolAttr(false))
        ->getResult(0);
  };
  Value hi = e.max(all(graph::ReduceMaxOp(), x), e.c(0));
  Value lo = e.min(all(graph::ReduceMinOp(), x), e.c(0));
  Value range = e.sub(hi, lo);
  Value equal = graph::EqualOp::create(im.builder, loc, hi, lo)->getResult(0);
  Value scale = e.div(e.select(equal, e.c(1), range), e.c(255));
  Value zeroPoint = e.op<graph::RoundOp>(
      e.min(e.max(e.sub(e.c(0), e.div(lo, scale)), e.c(0)), e.c(255)));
  Value y = e.add(e.op<graph::RoundOp>(e.div(x, scale)), zeroPoint);
  y = e.min(e.max(y, e.c(0)), e.c(255));
  Type u8 = im.builder.getIntegerType(8, /*isSigned=*/false);
  im.define(node.output(0), castElements(im, loc, y, u8));
  if (node.output_size() > 1)
    im.define(node.output(1), scale);
  if (node.output_size() > 2)
    im.define(node.output(2), castElements(im, loc, zeroPoint, u8));
  return success();
}

} // namespace

void registerQuantizationConverters(ConverterTable &table) {
  addConverter(table, "DequantizeLinear", convertQuantize);
  addConverter(table, "DynamicQuantizeLinear", convertDynamicQuantize);
  addConverter(table, "MatMulInteger", convertMatMulInteger);
  addConverter(table, "QLinearMatMul", convertQLinearMatMul);
  addConverter(table, "QuantizeLinear", convertQuantize);
}

} // namespace sinan::frontend::detail
