//===- ImportElementwise.cpp - ONNX elementwise ops -----------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Converts the elementwise ONNX ops: the unary, binary and variadic ops
// that map to one graph op each (Add, ..., Abs, ..., Max, Min, Mean, Sum),
// Pow, Where, Identity and inference-mode Dropout, Clip, LeakyRelu, the
// activations decomposed into graph ops (Celu, Elu, Gelu, HardSigmoid, ...),
// Mod, BitShift, Cast and CastLike.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include <cmath>
#include <limits>

using namespace mlir;

namespace sinan::frontend::detail {
namespace {

/// Pow allows different base and exponent types (opset 12+): an integer
/// exponent of a float base is converted to the base's type; an integer base
/// with a float exponent is raised in that float type and truncated back,
/// as ONNX's reference does.
LogicalResult convertPow(Importer &im, const onnx::NodeProto &node) {
  Location loc = im.locOf(node);
  Value base = im.input(node, 0), exponent = im.input(node, 1);
  Type baseType = getElementTypeOrSelf(base),
       expType = getElementTypeOrSelf(exponent);
  if (baseType == expType) {
    im.define(node.output(0),
              graph::PowOp::create(im.builder, loc, base, exponent));
    return success();
  }
  if (isa<FloatType>(baseType)) {
    im.define(node.output(0),
              graph::PowOp::create(im.builder, loc, base,
                                   castElements(im, loc, exponent, baseType)));
    return success();
  }
  if (!isa<FloatType>(expType))
    return im.unsupported(node, "integer operands of different types are not "
                                "supported");
  Value power = graph::PowOp::create(
      im.builder, loc, castElements(im, loc, base, expType), exponent);
  im.define(node.output(0), castElements(im, loc, power, baseType));
  return success();
}

LogicalResult convertWhere(Importer &im, const onnx::NodeProto &node) {
  Value a = im.input(node, 1), b = im.input(node, 2);
  if (failed(sameElementType(im, node, {a, b})))
    return failure();
  im.define(node.output(0), graph::SelectOp::create(im.builder, im.locOf(node),
                                                    im.input(node, 0), a, b));
  return success();
}

/// Whether a Dropout drops nothing: training_mode absent or a constant
/// false, or a constant ratio of 0 (exporters write training_mode = true
/// with ratio 0 for a model's dropout(p=0), e.g. torchvision's Swin).
bool dropoutIsIdentity(Importer &im, const onnx::NodeProto &node) {
  if (!im.hasInput(node, 2))
    return true;
  std::optional<SmallVector<int64_t>> training =
      constantInts(im.input(node, 2));
  if (training && training->size() == 1 && (*training)[0] == 0)
    return true;
  if (!im.hasInput(node, 1))
    return false; // The default ratio is 0.5.
  auto ratio = im.input(node, 1).getDefiningOp<graph::ConstantOp>();
  auto dense = ratio ? dyn_cast<DenseElementsAttr>(ratio.getValue()) : nullptr;
  return dense && dense.getNumElements() == 1 &&
         isa<FloatType>(dense.getElementType()) &&
         (*dense.getValues<APFloat>().begin()).isZero();
}

LogicalResult convertIdentity(Importer &im, const onnx::NodeProto &node) {
  // Dropout at inference is the identity; a training-mode one that may drop
  // values is random, which Sinan does not compute.
  if (node.op_type() == "Dropout" && !dropoutIsIdentity(im, node))
    return im.unsupported(node,
                          "training-mode Dropout (training_mode input not a "
                          "constant false, ratio not a constant 0) is not "
                          "supported");
  Value input = im.input(node, 0);
  // Nothing dropped: the mask is all true.
  if (node.op_type() == "Dropout" && node.output_size() > 1 &&
      !node.output(1).empty()) {
    auto type = cast<RankedTensorType>(input.getType());
    if (!type.hasStaticShape())
      return im.unsupported(node, "the mask output of Dropout on an input with "
                                  "unknown dimensions is not supported");
    auto maskType =
        RankedTensorType::get(type.getShape(), im.builder.getIntegerType(1));
    im.define(node.output(1), graph::ConstantOp::create(
                                  im.builder, im.locOf(node),
                                  DenseElementsAttr::get(maskType, true)));
  }
  im.define(node.output(0), input);
  return success();
}

/// Cast and CastLike: `saturate` (opset 19) and `round_mode` (opset 24).
LogicalResult castTo(Importer &im, const onnx::NodeProto &node, Type element) {
  std::string mode = im.stringAttr(node, "round_mode", "up");
  if (mode != "up" && mode != "down" && mode != "nearest")
    return im.fail(node, "round_mode must be 'up', 'down' or 'nearest', got '" +
                             mode + "'");
  Value input = im.input(node, 0);
  auto type = RankedTensorType::get(shapeOf(input), element);
  if (type == input.getType()) {
    im.define(node.output(0), input);
    return success();
  }
  auto cast = graph::CastOp::create(im.builder, im.locOf(node), type, input);
  cast.setSaturate(im.intAttr(node, "saturate", 1) != 0);
  cast.setRoundMode(mode);
  im.define(node.output(0), cast);
  return success();
}

LogicalResult convertCast(Importer &im, const onnx::NodeProto &node) {
  int64_t to = im.intAttr(node, "to", 0);
  Type element = elementType(static_cast<int32_t>(to), im.context);
  if (!element)
    return im.unsupported(node, "cast to " +
                                    onnxTypeName(static_cast<int32_t>(to)) +
                                    " is not supported");
  return castTo(im, node, element);
}

LogicalResult convertClip(Importer &im, const onnx::NodeProto &node) {
  Location loc = im.locOf(node);
  Value y = im.input(node, 0);
  Type element = getElementTypeOrSelf(y);
  auto bound = [&](const char *name, int index) -> Value {
    if (im.opset < 11) {
      if (auto attr = im.attribute(node, name))
        return scalarConstant(im, loc, element, attr->f());
      return {};
    }
    return im.hasInput(node, index) ? im.input(node, index) : Value();
  };
  Value lo = bound("min", 1), hi = bound("max", 2);
  // f32 with constant (non-NaN) bounds: one graph.clip, which backends run
  // in one pass; anything else as max and min.
  auto constantBound = [&](Value v) -> std::optional<FloatAttr> {
    if (!v)
      return FloatAttr();
    auto constant = v.getDefiningOp<graph::ConstantOp>();
    auto dense = constant ? dyn_cast<DenseElementsAttr>(constant.getValue())
                          : DenseElementsAttr();
    if (!dense || dense.getNumElements() != 1 ||
        !dense.getElementType().isF32())
      return std::nullopt;
    float value = *dense.getValues<float>().begin();
    if (std::isnan(value))
      return std::nullopt;
    return im.builder.getF32FloatAttr(value);
  };
  std::optional<FloatAttr> min = constantBound(lo), max = constantBound(hi);
  if (element.isF32() && min && max && (*min || *max)) {
    y = graph::ClipOp::create(im.builder, loc, y.getType(), y, *min, *max);
  } else {
    if (lo)
      y = graph::MaxOp::create(im.builder, loc, y, lo);
    if (hi)
      y = graph::MinOp::create(im.builder, loc, y, hi);
  }
  if (failed(sameElementType(im, node, {y, im.input(node, 0)})))
    return failure();
  im.define(node.output(0), y);
  return success();
}

LogicalResult convertLeakyRelu(Importer &im, const onnx::NodeProto &node) {
  Value x = im.input(node, 0);
  if (!isa<FloatType>(getElementTypeOrSelf(x)))
    return im.unsupported(node, "integer inputs are not supported");
  float alpha = 0.01f;
  if (auto attr = im.attribute(node, "alpha"))
    alpha = attr->f();
  im.define(node.output(0),
            graph::LeakyReluOp::create(im.builder, im.locOf(node), x,
                                       im.builder.getF32FloatAttr(alpha)));
  return success();
}

LogicalResult convertActivation(Importer &im, const onnx::NodeProto &node) {
  Value x = im.input(node, 0);
  Type element = getElementTypeOrSelf(x);
  const std::string &type = node.op_type();
  bool integersOk = type == "Sign" || type == "PRelu";
  if (!integersOk && !isa<FloatType>(element))
    return im.unsupported(node, "integer inputs are not supported");
  Emitter e{im, im.locOf(node), element};
  auto attr = [&](const char *name, float fallback) {
    return floatAttr(im, node, name, fallback);
  };
  Value zero = e.c(0);
  Value y;
  if (type == "HardSigmoid" || type == "HardSwish") {
    float alpha = type == "HardSwish" ? 1.0f / 6 : attr("alpha", 0.2f);
    float beta = type == "HardSwish" ? 0.5f : attr("beta", 0.5f);
    y = e.max(zero, e.min(e.c(1), e.add(e.mul(x, e.c(alpha)), e.c(beta))));
    if (type == "HardSwish")
      y = e.mul(x, y);
  } else if (type == "Swish") {
    y = e.mul(x, e.op<graph::SigmoidOp>(e.mul(x, e.c(attr("alpha", 1.0f)))));
  } else if (type == "Elu") {
    float alpha = attr("alpha", 1.0f);
    Value negative = e.mul(e.c(alpha), e.sub(e.op<graph::ExpOp>(x), e.c(1)));
    y = e.select(e.less(x, zero), negative, x);
  } else if (type == "Selu") {
    float alpha = attr("alpha", 1.67326319217681884765625f);
    float gamma = attr("gamma", 1.05070102214813232421875f);
    Value negative =
        e.sub(e.mul(e.c(alpha), e.op<graph::ExpOp>(x)), e.c(alpha));
    y = e.mul(e.c(gamma), e.select(e.greater(x, zero), x, negative));
  } else if (type == "Celu") {
    float alpha = attr("alpha", 1.0f);
    Value scaled = e.mul(
        e.c(alpha), e.sub(e.op<graph::ExpOp>(e.div(x, e.c(alpha))), e.c(1)));
    y = e.add(e.max(zero, x), e.min(zero, scaled));
  } else if (type == "Softplus") {
    y = e.op<graph::LogOp>(e.add(e.op<graph::ExpOp>(x), e.c(1)));
  } else if (type == "Softsign") {
    y = e.div(x, e.add(e.c(1), e.op<graph::AbsOp>(x)));
  } else if (type == "ThresholdedRelu") {
    y = e.select(e.greater(x, e.c(attr("alpha", 1.0f))), x, zero);
  } else if (type == "Mish") {
    Value softplus = e.op<graph::LogOp>(e.add(e.op<graph::ExpOp>(x), e.c(1)));
    y = e.mul(x, e.op<graph::TanhOp>(softplus));
  } else if (type == "Gelu") {
    // One op a backend may run whole; graph-decompose expands it.
    y = graph::GeluOp::create(
        im.builder, e.loc, x,
        im.builder.getStringAttr(im.stringAttr(node, "approximate", "none")));
  } else if (type == "Shrink") {
    float bias = attr("bias", 0.0f), lambd = attr("lambd", 0.5f);
    y = e.select(e.less(x, e.c(-lambd)), e.add(x, e.c(bias)),
                 e.select(e.greater(x, e.c(lambd)), e.sub(x, e.c(bias)), zero));
  } else if (type == "Sign") {
    y = e.select(e.greater(x, zero), e.c(1),
                 e.select(e.less(x, zero), e.c(-1), zero));
  } else if (type == "PRelu") {
    Value slope = im.input(node, 1);
    if (getElementTypeOrSelf(slope) != element)
      return im.unsupported(node, "slope of a different element type is not "
                                  "supported");
    y = e.select(e.less(x, zero), e.mul(x, slope), x);
  } else if (type == "IsNaN") {
    y = e.op<graph::NotOp>(e.op<graph::EqualOp>(x, x));
  } else if (type == "IsInf") {
    bool negative = im.intAttr(node, "detect_negative", 1);
    bool positive = im.intAttr(node, "detect_positive", 1);
    double inf = std::numeric_limits<double>::infinity();
    Value pos = e.op<graph::EqualOp>(x, e.c(inf));
    Value neg = e.op<graph::EqualOp>(x, e.c(-inf));
    y = negative && positive ? e.op<graph::OrOp>(pos, neg)
        : positive           ? pos
        : negative           ? neg
                             : e.op<graph::NotOp>(e.op<graph::EqualOp>(x, x));
    if (!negative && !positive) // Neither: all false, even for NaN.
      y = e.op<graph::AndOp>(y, e.op<graph::EqualOp>(x, x));
  } else if (type == "Round") {
    y = e.op<graph::RoundOp>(x);
  } else {
    return im.fail(node, "internal: no decomposition");
  }
  im.define(node.output(0), y);
  return success();
}

LogicalResult convertCastLike(Importer &im, const onnx::NodeProto &node) {
  return castTo(im, node, getElementTypeOrSelf(im.input(node, 1)));
}

LogicalResult convertMod(Importer &im, const onnx::NodeProto &node) {
  Value a = im.input(node, 0), b = im.input(node, 1);
  if (failed(sameElementType(im, node, {a, b})))
    return failure();
  bool fmod = im.intAttr(node, "fmod", 0);
  if (!fmod && isa<FloatType>(getElementTypeOrSelf(a)))
    return im.fail(node, "Mod of floats needs fmod=1");
  im.define(node.output(0),
            graph::ModOp::create(im.builder, im.locOf(node), a, b,
                                 im.builder.getBoolAttr(fmod))
                ->getResult(0));
  return success();
}

LogicalResult convertBitShift(Importer &im, const onnx::NodeProto &node) {
  Value a = im.input(node, 0), b = im.input(node, 1);
  if (failed(sameElementType(im, node, {a, b})))
    return failure();
  std::string direction = im.stringAttr(node, "direction", "");
  Value y;
  if (direction == "LEFT")
    y = graph::ShiftLeftOp::create(im.builder, im.locOf(node), a, b)
            ->getResult(0);
  else if (direction == "RIGHT")
    y = graph::ShiftRightOp::create(im.builder, im.locOf(node), a, b)
            ->getResult(0);
  else
    return im.fail(node, "direction must be LEFT or RIGHT");
  im.define(node.output(0), y);
  return success();
}

} // namespace

void registerElementwiseConverters(ConverterTable &table) {
  addConverter(table, "Abs", convertUnary<graph::AbsOp>);
  addConverter(table, "Acos", convertUnary<graph::AcosOp>);
  addConverter(table, "Acosh", convertUnary<graph::AcoshOp>);
  addConverter(table, "Add", convertBinary<graph::AddOp>);
  addConverter(table, "And", convertBinary<graph::AndOp>);
  addConverter(table, "Asin", convertUnary<graph::AsinOp>);
  addConverter(table, "Asinh", convertUnary<graph::AsinhOp>);
  addConverter(table, "Atan", convertUnary<graph::AtanOp>);
  addConverter(table, "Atanh", convertUnary<graph::AtanhOp>);
  addConverter(table, "BitShift", convertBitShift);
  addConverter(table, "BitwiseAnd", convertBinary<graph::BitAndOp>);
  addConverter(table, "BitwiseNot", convertUnary<graph::BitNotOp>);
  addConverter(table, "BitwiseOr", convertBinary<graph::BitOrOp>);
  addConverter(table, "BitwiseXor", convertBinary<graph::BitXorOp>);
  addConverter(table, "Cast", convertCast);
  addConverter(table, "CastLike", convertCastLike);
  addConverter(table, "Ceil", convertUnary<graph::CeilOp>);
  addConverter(table, "Celu", convertActivation);
  addConverter(table, "Clip", convertClip);
  addConverter(table, "Cos", convertUnary<graph::CosOp>);
  addConverter(table, "Cosh", convertUnary<graph::CoshOp>);
  addConverter(table, "Div", convertBinary<graph::DivOp>);
  addConverter(table, "Dropout", convertIdentity);
  addConverter(table, "Elu", convertActivation);
  addConverter(table, "Equal", convertBinary<graph::EqualOp>);
  addConverter(table, "Erf", convertUnary<graph::ErfOp>);
  addConverter(table, "Exp", convertUnary<graph::ExpOp>);
  addConverter(table, "Floor", convertUnary<graph::FloorOp>);
  addConverter(table, "Gelu", convertActivation);
  addConverter(table, "Greater", convertBinary<graph::GreaterOp>);
  addConverter(table, "GreaterOrEqual", convertBinary<graph::GreaterEqualOp>);
  addConverter(table, "HardSigmoid", convertActivation);
  addConverter(table, "HardSwish", convertActivation);
  addConverter(table, "Identity", convertIdentity);
  addConverter(table, "IsInf", convertActivation);
  addConverter(table, "IsNaN", convertActivation);
  addConverter(table, "LeakyRelu", convertLeakyRelu);
  addConverter(table, "Less", convertBinary<graph::LessOp>);
  addConverter(table, "LessOrEqual", convertBinary<graph::LessEqualOp>);
  addConverter(table, "Log", convertUnary<graph::LogOp>);
  addConverter(table, "Max", convertVariadic<graph::MaxOp>);
  addConverter(table, "Mean", convertVariadic<graph::AddOp>);
  addConverter(table, "Min", convertVariadic<graph::MinOp>);
  addConverter(table, "Mish", convertActivation);
  addConverter(table, "Mod", convertMod);
  addConverter(table, "Mul", convertBinary<graph::MulOp>);
  addConverter(table, "Neg", convertUnary<graph::NegOp>);
  addConverter(table, "Not", convertUnary<graph::NotOp>);
  addConverter(table, "Or", convertBinary<graph::OrOp>);
  addConverter(table, "PRelu", convertActivation);
  addConverter(table, "Pow", convertPow);
  addConverter(table, "Reciprocal", convertUnary<graph::ReciprocalOp>);
  addConverter(table, "Relu", convertUnary<graph::ReluOp>);
  addConverter(table, "Round", convertActivation);
  addConverter(table, "Selu", convertActivation);
  addConverter(table, "Shrink", convertActivation);
  addConverter(table, "Sigmoid", convertUnary<graph::SigmoidOp>);
  addConverter(table, "Sign", convertActivation);
  addConverter(table, "Sin", convertUnary<graph::SinOp>);
  addConverter(table, "Sinh", convertUnary<graph::SinhOp>);
  addConverter(table, "Softplus", convertActivation);
  addConverter(table, "Softsign", convertActivation);
  addConverter(table, "Sqrt", convertUnary<graph::SqrtOp>);
  addConverter(table, "Sub", convertBinary<graph::SubOp>);
  addConverter(table, "Sum", convertVariadic<graph::AddOp>);
  addConverter(table, "Swish", convertActivation);
  addConverter(table, "Tan", convertUnary<graph::TanOp>);
  addConverter(table, "Tanh", convertUnary<graph::TanhOp>);
  addConverter(table, "ThresholdedRelu", convertActivation);
  addConverter(table, "Where", convertWhere);
  addConverter(table, "Xor", convertBinary<graph::XorOp>);
}

} // namespace sinan::frontend::detail
