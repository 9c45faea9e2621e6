//===- ImportNormalization.cpp - ONNX normalization and softmax -----------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Converts the normalizations (BatchNormalization at inference,
// LayerNormalization, InstanceNormalization, GroupNormalization,
// MeanVarianceNormalization, LpNormalization, RMSNormalization, LRN) and
// Softmax, LogSoftmax and Hardmax; most are decomposed into graph ops.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "sinan/Dialect/Graph/Transforms/Passes.h"

#include "sinan/Dialect/Graph/IR/ShapeInference.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace sinan::frontend::detail {
namespace {

LogicalResult convertSoftmax(Importer &im, const onnx::NodeProto &node) {
  Location loc = im.locOf(node);
  Value input = im.input(node, 0);
  ArrayRef<int64_t> in = shapeOf(input);
  int64_t rank = in.size();
  bool log = node.op_type() == "LogSoftmax";
  auto make = [&](Value x, int64_t axis) -> Value {
    auto attr = im.builder.getI64IntegerAttr(axis);
    if (log)
      return graph::LogSoftmaxOp::create(im.builder, loc, x, attr);
    return graph::SoftmaxOp::create(im.builder, loc, x, attr);
  };
  if (im.opset >= 13) {
    im.define(node.output(0), make(input, im.intAttr(node, "axis", -1)));
    return success();
  }
  // Before opset 13 the input is flattened to 2-D at `axis` (default 1).
  auto axis = graph::normalizeAxis(im.intAttr(node, "axis", 1), rank);
  if (!axis)
    return im.fail(node, "axis out of range");
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < rank; ++d) {
    if (ShapedType::isDynamic(in[d]))
      return im.fail(node, "softmax before opset 13 needs static shapes");
    (d < *axis ? outer : inner) *= in[d];
  }
  Value flat = reshapeTo(im, loc, input, {outer, inner});
  im.define(node.output(0), reshapeTo(im, loc, make(flat, 1), in));
  return success();
}

LogicalResult convertBatchNorm(Importer &im, const onnx::NodeProto &node) {
  for (int i = 1; i < node.output_size(); ++i)
    if (!node.output(i).empty())
      return im.unsupported(node, "training-mode BatchNormalization (running "
                                  "statistics outputs) is not supported");
  Location loc = im.locOf(node);
  Value x = im.input(node, 0);
  if (failed(sameElementType(im, node,
                             {x, im.input(node, 1), im.input(node, 2),
                              im.input(node, 3), im.input(node, 4)})))
    return failure();
  for (int i = 1; i <= 4; ++i)
    if (shapeOf(im.input(node, i)).size() != 1)
      return im.fail(node, "scale, bias, mean and variance must be 1-D");
  Type element = getElementTypeOrSelf(x);
  float epsilon = 1e-5f;
  if (auto attr = im.attribute(node, "epsilon"))
    epsilon = attr->f();
  // y = x * a + b with a = scale / sqrt(var + eps), b = bias - mean * a;
  // a and b fold to constants when the statistics are initializers.
  Value var = graph::AddOp::create(im.builder, loc, im.input(node, 4),
                                   scalarConstant(im, loc, element, epsilon));
  Value a = graph::MulOp::create(
      im.builder, loc, im.input(node, 1),
      graph::ReciprocalOp::create(im.builder, loc,
                                  graph::SqrtOp::create(im.builder, loc, var)));
  Value b = graph::SubOp::create(
      im.builder, loc, im.input(node, 2),
      graph::MulOp::create(im.builder, loc, im.input(node, 3), a));
  if (shapeOf(a).size() != 1 || shapeOf(b).size() != 1)
    return im.fail(node, "scale, bias, mean and variance differ in length");
  // Per-channel vectors broadcast over [N, C, d1, ...] as [C, 1, ...].
  int64_t rank = shapeOf(x).size();
  SmallVector<int64_t> perChannel{shapeOf(a)[0]};
  perChannel.append(std::max<int64_t>(rank - 2, 0), 1);
  a = reshapeTo(im, loc, a, perChannel);
  b = reshapeTo(im, loc, b, perChannel);
  im.define(node.output(0),
            graph::AddOp::create(im.builder, loc,
                                 graph::MulOp::create(im.builder, loc, x, a),
                                 b));
  return success();
}

LogicalResult convertLrn(Importer &im, const onnx::NodeProto &node) {
  Value x = im.input(node, 0);
  if (!isa<FloatType>(getElementTypeOrSelf(x)))
    return im.unsupported(node, "integer inputs are not supported");
  auto f = [&](const char *name, float fallback) {
    const onnx::AttributeProto *attr = im.attribute(node, name);
    return im.builder.getF32FloatAttr(attr ? attr->f() : fallback);
  };
  if (!im.attribute(node, "size"))
    return im.fail(node, "needs the size attribute");
  im.define(node.output(0),
            graph::LrnOp::create(
                im.builder, im.locOf(node), x,
                im.builder.getI64IntegerAttr(im.intAttr(node, "size", 1)),
                f("alpha", 1e-4f), f("beta", 0.75f), f("bias", 1.0f)));
  return success();
}

LogicalResult convertLayerNorm(Importer &im, const onnx::NodeProto &node) {
  Value x = im.input(node, 0);
  Type element = getElementTypeOrSelf(x);
  if (!isa<FloatType>(element))
    return im.unsupported(node, "integer inputs are not supported");
  int64_t rank = shapeOf(x).size();
  auto axis = graph::normalizeAxis(im.intAttr(node, "axis", -1), rank);
  if (!axis)
    return im.fail(node, "axis out of range");
  float epsilon = floatAttr(im, node, "epsilon", 1e-5f);
  // One op a backend may run whole; graph-decompose expands it.
  Value bias = im.hasInput(node, 2) ? im.input(node, 2) : Value();
  auto norm = graph::LayerNormOp::create(
      im.builder, im.locOf(node), x.getType(), x, im.input(node, 1), bias,
      im.builder.getI64IntegerAttr(*axis), im.builder.getF32FloatAttr(epsilon));
  auto wanted = [&](int index) {
    return node.output_size() > index && !node.output(index).empty();
  };
  if (!wanted(1) && !wanted(2)) {
    im.define(node.output(0), norm.getResult());
    return success();
  }
  // The mean and inverse standard deviation are results too (a training
  // graph): graph-decompose's expansion, whose pieces include them.
  graph::LayerNormPieces pieces = graph::expandLayerNorm(norm, im.builder);
  norm.erase();
  im.define(node.output(0), pieces.output);
  if (wanted(1))
    im.define(node.output(1), pieces.mean);
  if (wanted(2))
    im.define(node.output(2), pieces.invStdDev);
  return success();
}

LogicalResult convertHardmax(Importer &im, const onnx::NodeProto &node) {
  Value x = im.input(node, 0);
  if (!isa<FloatType>(getElementTypeOrSelf(x)))
    return im.unsupported(node, "integer inputs are not supported");
  int64_t rank = shapeOf(x).size();
  int64_t axis = im.intAttr(node, "axis", im.opset >= 13 ? -1 : 1);
  auto normalized = graph::normalizeAxis(axis, rank);
  if (!normalized)
    return im.fail(node, "axis out of range");
  if (im.opset < 13 && *normalized != rank - 1)
    return im.unsupported(node,
                          "Hardmax before opset 13 over a flattened suffix is "
                          "not supported");
  im.define(node.output(0),
            graph::HardmaxOp::create(im.builder, im.locOf(node), x,
                                     im.builder.getI64IntegerAttr(axis))
                ->getResult(0));
  return success();
}

/// RMSNormalization and LpNormalization: x scaled by a norm over axes.
LogicalResult convertNorm(Importer &im, const onnx::NodeProto &node) {
  Value x = im.input(node, 0);
  Type element = getElementTypeOrSelf(x);
  if (!isa<FloatType>(element))
    return im.unsupported(node, "integer inputs are not supported");
  int64_t rank = shapeOf(x).size();
  Emitter e{im, im.locOf(node), element};
  bool rms = node.op_type() == "RMSNormalization";
  auto axis = graph::normalizeAxis(im.intAttr(node, "axis", -1), rank);
  if (!axis)
    return im.fail(node, "axis out of range");
  SmallVector<int64_t> axes;
  for (int64_t d = *axis; d < (rms ? rank : *axis + 1); ++d)
    axes.push_back(d);
  auto reduce = [&](auto tag, Value v) {
    using OpTy = decltype(tag);
    return OpTy::create(im.builder, e.loc, v,
                        im.builder.getDenseI64ArrayAttr(axes),
                        im.builder.getBoolAttr(true))
        ->getResult(0);
  };
  Value y;
  if (rms) {
    // One op a backend may run whole; graph-decompose expands it.
    y = graph::RmsNormOp::create(
        im.builder, e.loc, x.getType(), x, im.input(node, 1),
        im.builder.getI64IntegerAttr(*axis),
        im.builder.getF32FloatAttr(floatAttr(im, node, "epsilon", 1e-5f)));
  } else {
    int64_t p = im.intAttr(node, "p", 2);
    if (p != 1 && p != 2)
      return im.fail(node, "only p = 1 and p = 2 are supported");
    Value norm =
        p == 1 ? reduce(graph::ReduceSumOp(), e.op<graph::AbsOp>(x))
               : e.op<graph::SqrtOp>(reduce(graph::ReduceSumOp(), e.mul(x, x)));
    y = e.div(x, norm);
  }
  im.define(node.output(0), y);
  return success();
}

/// A graph.group_norm of `x` (static channels) with per-channel `scale`
/// and `bias`: one op a backend may run whole; graph-decompose expands it.
LogicalResult emitGroupNorm(Importer &im, const onnx::NodeProto &node, Value x,
                            Value scale, Value bias, int64_t groups) {
  im.define(
      node.output(0),
      graph::GroupNormOp::create(
          im.builder, im.locOf(node), x.getType(), x, scale, bias,
          im.builder.getI64IntegerAttr(groups),
          im.builder.getF32FloatAttr(floatAttr(im, node, "epsilon", 1e-5f))));
  return success();
}

/// InstanceNormalization: a group normalization with one channel per group.
LogicalResult convertInstanceNorm(Importer &im, const onnx::NodeProto &node) {
  Value x = im.input(node, 0);
  Type element = getElementTypeOrSelf(x);
  if (!isa<FloatType>(element))
    return im.unsupported(node, "integer inputs are not supported");
  ArrayRef<int64_t> shape = shapeOf(x);
  if (shape.size() < 3)
    return im.fail(node, "needs rank >= 3");
  if (ShapedType::isDynamic(shape[1]))
    return im.unsupported(node, "a dynamic channel count is not supported");
  return emitGroupNorm(im, node, x, im.input(node, 1), im.input(node, 2),
                       shape[1]);
}

/// GroupNormalization: normalizes [N, G, C/G * spatial] groups, then applies
/// the per-channel scale and bias (opset 21; opset 18's per-group ones are
/// expanded to channels).
LogicalResult convertGroupNorm(Importer &im, const onnx::NodeProto &node) {
  Value x = im.input(node, 0);
  Type element = getElementTypeOrSelf(x);
  if (!isa<FloatType>(element))
    return im.unsupported(node, "integer inputs are not supported");
  auto type = cast<RankedTensorType>(x.getType());
  if (type.getRank() < 3 || !type.hasStaticShape())
    return im.fail(node, "needs a static input of rank >= 3");
  int64_t groups = im.intAttr(node, "num_groups", 0);
  int64_t channels = type.getShape()[1];
  if (groups <= 0 || channels % groups != 0)
    return im.fail(node, llvm::formatv("num_groups {0} does not divide the {1} "
                                       "channels",
                                       groups, channels)
                             .str());
  Location loc = im.locOf(node);
  auto channelwise = [&](Value v) {
    if (shapeOf(v).size() == 1 && shapeOf(v)[0] == groups &&
        groups != channels) {
      // Opset 18's per-group values: broadcast each over its channels.
      auto zerosType = RankedTensorType::get({1, channels / groups}, element);
      Value zeros = graph::ConstantOp::create(
          im.builder, loc,
          DenseElementsAttr::get(zerosType,
                                 im.builder.getFloatAttr(element, 0.0)));
      Value perGroup = reshapeTo(im, loc, v, {groups, 1});
      v = reshapeTo(im, loc,
                    graph::AddOp::create(im.builder, loc, perGroup, zeros),
                    {channels});
    }
    return v;
  };
  Value scale = channelwise(im.input(node, 1));
  Value bias = channelwise(im.input(node, 2));
  return emitGroupNorm(im, node, x, scale, bias, groups);
}

/// MeanVarianceNormalization: (x - mean) / (std + 1e-9) over `axes`, in the
/// order of ONNX's function body.
LogicalResult convertMvn(Importer &im, const onnx::NodeProto &node) {
  Value x = im.input(node, 0);
  Type element = getElementTypeOrSelf(x);
  if (!isa<FloatType>(element))
    return im.unsupported(node, "integer inputs are not supported");
  int64_t rank = shapeOf(x).size();
  SmallVector<int64_t> axes =
      im.intsAttr(node, "axes").value_or(SmallVector<int64_t>{0, 2, 3});
  for (int64_t &axis : axes) {
    auto normalized = graph::normalizeAxis(axis, rank);
    if (!normalized)
      return im.fail(node, "axis out of range");
    axis = *normalized;
  }
  Emitter e{im, im.locOf(node), element};
  auto mean = [&](Value v) {
    return graph::ReduceMeanOp::create(im.builder, e.loc, v,
                                       im.builder.getDenseI64ArrayAttr(axes),
                                       im.builder.getBoolAttr(true))
        ->getResult(0);
  };
  Value m = mean(x);
  Value variance = e.sub(mean(e.mul(x, x)), e.mul(m, m));
  im.define(
      node.output(0),
      e.div(e.sub(x, m), e.add(e.op<graph::SqrtOp>(variance), e.c(1e-9))));
  return success();
}

} // namespace

void registerNormalizationConverters(ConverterTable &table) {
  addConverter(table, "BatchNormalization", convertBatchNorm);
  addConverter(table, "GroupNormalization", convertGroupNorm);
  addConverter(table, "Hardmax", convertHardmax);
  addConverter(table, "InstanceNormalization", convertInstanceNorm);
  addConverter(table, "LRN", convertLrn);
  addConverter(table, "LayerNormalization", convertLayerNorm);
  addConverter(table, "LogSoftmax", convertSoftmax);
  addConverter(table, "LpNormalization", convertNorm);
  addConverter(table, "MeanVarianceNormalization", convertMvn);
  addConverter(table, "RMSNormalization", convertNorm);
  addConverter(table, "Softmax", convertSoftmax);
}

} // namespace sinan::frontend::detail
