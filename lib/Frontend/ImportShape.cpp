//===- ImportShape.cpp - ONNX shape and layout ops ------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Converts the ops that make, reshape, rearrange or cut tensors:
// Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Concat, Shape, Size,
// ConstantOfShape, Constant, Expand, Tile, Range, Slice, Split, Pad,
// DepthToSpace, SpaceToDepth, EyeLike and Trilu. Shapes, axes and bounds
// must be constants.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "sinan/Bridge/RuntimeBridge.h"
#include "sinan/Dialect/Graph/IR/ShapeInference.h"

#include <cmath>

using namespace mlir;

namespace sinan::frontend::detail {
namespace {

LogicalResult convertConstant(Importer &im, const onnx::NodeProto &node) {
  const onnx::AttributeProto *value = im.attribute(node, "value");
  Location loc = im.locOf(node);
  auto define = [&](DenseElementsAttr attr) {
    im.define(node.output(0), graph::ConstantOp::create(im.builder, loc, attr));
    return success();
  };
  if (auto attr = im.attribute(node, "value_float"))
    return define(DenseElementsAttr::get(
        RankedTensorType::get({}, im.builder.getF32Type()), attr->f()));
  if (auto attr = im.attribute(node, "value_int"))
    return define(DenseElementsAttr::get(
        RankedTensorType::get({}, im.builder.getI64Type()),
        static_cast<int64_t>(attr->i())));
  if (auto attr = im.attribute(node, "value_floats")) {
    SmallVector<float> values(attr->floats().begin(), attr->floats().end());
    return define(DenseElementsAttr::get(
        RankedTensorType::get({static_cast<int64_t>(values.size())},
                              im.builder.getF32Type()),
        ArrayRef(values)));
  }
  if (auto attr = im.attribute(node, "value_ints")) {
    SmallVector<int64_t> values(attr->ints().begin(), attr->ints().end());
    return define(DenseElementsAttr::get(
        RankedTensorType::get({static_cast<int64_t>(values.size())},
                              im.builder.getI64Type()),
        ArrayRef(values)));
  }
  if (!value || !value->has_t())
    return im.unsupported(node,
                          "string and sparse Constant forms are not supported");
  std::string error;
  DenseElementsAttr attr = convertTensorProto(value->t(), im.context,
                                              im.options.modelDirectory, error);
  if (!attr)
    return im.fail(node, error);
  im.define(node.output(0),
            graph::ConstantOp::create(im.builder, im.locOf(node), attr));
  return success();
}

LogicalResult convertReshape(Importer &im, const onnx::NodeProto &node) {
  Value data = im.input(node, 0);
  ArrayRef<int64_t> in = shapeOf(data);
  SmallVector<int64_t> target;
  if (node.op_type() == "Reshape") {
    auto shape = constantInts(im.input(node, 1));
    if (!shape)
      return im.needsConstant(node, "a shape input computed at run time is not "
                                    "supported");
    bool allowZero = im.intAttr(node, "allowzero", 0);
    int64_t inferred = -1, known = 1;
    for (auto [i, dim] : llvm::enumerate(*shape)) {
      if (dim == 0 && !allowZero) {
        if (i >= in.size())
          return im.fail(node, "shape copies a dimension the input lacks");
        dim = in[i];
      }
      if (dim == -1) {
        if (inferred >= 0)
          return im.fail(node, "shape has more than one -1");
        inferred = i;
      } else if (dim < -1) {
        return im.fail(node, "shape has a negative dimension");
      }
      target.push_back(dim == -1 ? ShapedType::kDynamic : dim);
      if (dim == -1 || ShapedType::isDynamic(known))
        continue;
      if (ShapedType::isDynamic(dim))
        known = ShapedType::kDynamic;
      else if (llvm::MulOverflow(known, dim, known))
        return im.fail(node, "shape has more than 2^63 elements");
    }
    if (inferred >= 0 && ShapedType::isStatic(known) &&
        llvm::none_of(in, ShapedType::isDynamic)) {
      int64_t total = 1;
      for (int64_t d : in)
        if (llvm::MulOverflow(total, d, total))
          return im.fail(node, "input has more than 2^63 elements");
      if (known == 0 || total % known != 0)
        return im.fail(node, "cannot infer the -1 dimension");
      target[inferred] = total / known;
    }
  } else if (node.op_type() == "Flatten") {
    int64_t rank = in.size();
    // Flatten's axis lies in [-rank, rank]; negative counts from the end.
    int64_t given = im.intAttr(node, "axis", 1);
    std::optional<int64_t> axis =
        given < -rank || given > rank
            ? std::nullopt
            : std::optional<int64_t>(given < 0 ? given + rank : given);
    if (!axis)
      return im.fail(node, "axis out of range");
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < rank; ++d) {
      int64_t &part = d < *axis ? outer : inner;
      part = ShapedType::isDynamic(in[d]) || ShapedType::isDynamic(part)
                 ? ShapedType::kDynamic
                 : part * in[d];
    }
    target = {outer, inner};
  } else {
    bool dynamicAxes;
    auto axes = axesOf(im, node, 1, dynamicAxes);
    if (dynamicAxes)
      return im.needsConstant(node,
                              "axes computed at run time are not supported");
    int64_t rank = in.size();
    if (node.op_type() == "Squeeze") {
      SmallVector<bool> drop(rank, false);
      if (axes) {
        for (int64_t a : *axes) {
          auto axis = graph::normalizeAxis(a, rank);
          if (!axis || (ShapedType::isStatic(in[*axis]) && in[*axis] != 1))
            return im.fail(node, "cannot squeeze a dimension that is not 1");
          drop[*axis] = true;
        }
      } else {
        for (int64_t d = 0; d < rank; ++d) {
          if (ShapedType::isDynamic(in[d]))
            return im.unsupported(node, "squeezing unknown dimensions is not "
                                        "supported");
          drop[d] = in[d] == 1;
        }
      }
      for (int64_t d = 0; d < rank; ++d)
        if (!drop[d])
          target.push_back(in[d]);
    } else { // Unsqueeze
      if (!axes)
        return im.fail(node, "needs axes");
      int64_t outRank = rank + axes->size();
      SmallVector<bool> inserted(outRank, false);
      for (int64_t a : *axes) {
        auto axis = graph::normalizeAxis(a, outRank);
        if (!axis || inserted[*axis])
          return im.fail(node, "axes out of range or repeated");
        inserted[*axis] = true;
      }
      for (int64_t d = 0, next = 0; d < outRank; ++d)
        target.push_back(inserted[d] ? 1 : in[next++]);
    }
  }
  im.define(node.output(0), reshapeTo(im, im.locOf(node), data, target));
  return success();
}

LogicalResult convertTranspose(Importer &im, const onnx::NodeProto &node) {
  Value data = im.input(node, 0);
  int64_t rank = shapeOf(data).size();
  SmallVector<int64_t> perm;
  if (auto attr = im.intsAttr(node, "perm"))
    perm = *attr;
  else
    for (int64_t d = rank - 1; d >= 0; --d)
      perm.push_back(d);
  im.define(node.output(0),
            graph::TransposeOp::create(im.builder, im.locOf(node), data,
                                       im.builder.getDenseI64ArrayAttr(perm)));
  return success();
}

LogicalResult convertConcat(Importer &im, const onnx::NodeProto &node) {
  SmallVector<Value> inputs;
  for (int i = 0; i < node.input_size(); ++i)
    inputs.push_back(im.input(node, i));
  if (failed(sameElementType(im, node, inputs)))
    return failure();
  im.define(node.output(0),
            graph::ConcatOp::create(
                im.builder, im.locOf(node), inputs,
                im.builder.getI64IntegerAttr(im.intAttr(node, "axis", 0))));
  return success();
}

LogicalResult convertShape(Importer &im, const onnx::NodeProto &node) {
  ArrayRef<int64_t> in = shapeOf(im.input(node, 0));
  int64_t rank = in.size();
  int64_t start = im.intAttr(node, "start", 0),
          end = im.intAttr(node, "end", rank);
  start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
  end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
  SmallVector<int64_t> dims;
  for (int64_t d = start; d < end; ++d) {
    if (ShapedType::isDynamic(in[d]))
      return im.unsupported(node,
                            "the shape of an input with unknown dimensions is "
                            "not supported (use --input-shape)");
    dims.push_back(in[d]);
  }
  auto type = RankedTensorType::get({static_cast<int64_t>(dims.size())},
                                    im.builder.getIntegerType(64));
  im.define(node.output(0), graph::ConstantOp::create(
                                im.builder, im.locOf(node),
                                DenseElementsAttr::get(type, ArrayRef(dims))));
  return success();
}

LogicalResult convertConstantOfShape(Importer &im,
                                     const onnx::NodeProto &node) {
  auto shape = constantInts(im.input(node, 0));
  if (!shape)
    return im.needsConstant(node,
                            "a shape computed at run time is not supported");
  DenseElementsAttr value;
  if (const onnx::AttributeProto *attr = im.attribute(node, "value")) {
    std::string error;
    value = convertTensorProto(attr->t(), im.context, "", error);
    if (!value)
      return im.fail(node, error);
  } else {
    value = DenseElementsAttr::get(
        RankedTensorType::get({1}, im.builder.getF32Type()), 0.0f);
  }
  auto type = RankedTensorType::get(*shape, value.getElementType());
  im.define(node.output(0), graph::ConstantOp::create(
                                im.builder, im.locOf(node),
                                DenseElementsAttr::get(
                                    type, value.getSplatValue<Attribute>())));
  return success();
}

/// Builds graph.slice from ONNX-style starts/ends/axes/steps, clamping as
/// ONNX specifies. Needs static dimensions on the sliced axes.
FailureOr<Value> emitSlice(Importer &im, const onnx::NodeProto &node,
                           Location loc, Value data, ArrayRef<int64_t> startsIn,
                           ArrayRef<int64_t> endsIn, ArrayRef<int64_t> axesIn,
                           ArrayRef<int64_t> stepsIn) {
  ArrayRef<int64_t> in = shapeOf(data);
  int64_t rank = in.size();
  SmallVector<int64_t> starts(rank, 0), limits(in), steps(rank, 1);
  for (size_t i = 0; i < startsIn.size(); ++i) {
    auto axis =
        graph::normalizeAxis(axesIn.empty() ? int64_t(i) : axesIn[i], rank);
    if (!axis)
      return im.fail(node, "axis out of range");
    int64_t n = in[*axis];
    if (ShapedType::isDynamic(n))
      return im.unsupported(node, "slicing a dimension of unknown size is not "
                                  "supported");
    int64_t step = stepsIn.empty() ? 1 : stepsIn[i];
    if (step == 0)
      return im.fail(node, "step 0 is invalid");
    auto clamp = [&](int64_t v) {
      if (v < 0)
        v += n;
      return step > 0 ? std::clamp<int64_t>(v, 0, n)
                      : std::clamp<int64_t>(v, -1, n - 1);
    };
    starts[*axis] = clamp(startsIn[i]);
    limits[*axis] = clamp(endsIn[i]);
    steps[*axis] = step;
  }
  return graph::SliceOp::create(im.builder, loc, data,
                                im.builder.getDenseI64ArrayAttr(starts),
                                im.builder.getDenseI64ArrayAttr(limits),
                                im.builder.getDenseI64ArrayAttr(steps))
      ->getResult(0);
}

LogicalResult convertSlice(Importer &im, const onnx::NodeProto &node) {
  Value data = im.input(node, 0);
  SmallVector<int64_t> starts, ends, axes, steps;
  if (im.opset < 10) {
    starts = im.intsAttr(node, "starts").value_or(SmallVector<int64_t>{});
    ends = im.intsAttr(node, "ends").value_or(SmallVector<int64_t>{});
    axes = im.intsAttr(node, "axes").value_or(SmallVector<int64_t>{});
  } else {
    auto get = [&](int i) -> std::optional<SmallVector<int64_t>> {
      if (!im.hasInput(node, i))
        return SmallVector<int64_t>{};
      return constantInts(im.input(node, i));
    };
    auto s = get(1), e = get(2), a = get(3), st = get(4);
    if (!s || !e || !a || !st)
      return im.needsConstant(node, "slice bounds computed at run time are not "
                                    "supported");
    starts = *s, ends = *e, axes = *a, steps = *st;
  }
  if (starts.size() != ends.size())
    return im.fail(node, "starts and ends differ in length");
  auto y = emitSlice(im, node, im.locOf(node), data, starts, ends, axes, steps);
  if (failed(y))
    return failure();
  im.define(node.output(0), *y);
  return success();
}

LogicalResult convertSplit(Importer &im, const onnx::NodeProto &node) {
  Value data = im.input(node, 0);
  ArrayRef<int64_t> in = shapeOf(data);
  auto axis = graph::normalizeAxis(im.intAttr(node, "axis", 0), in.size());
  if (!axis || ShapedType::isDynamic(in[*axis]))
    return im.fail(node, "axis out of range or of unknown size");
  int64_t outputs = node.output_size(), n = in[*axis];
  SmallVector<int64_t> sizes;
  if (auto attr = im.intsAttr(node, "split")) {
    sizes = *attr;
  } else if (im.hasInput(node, 1)) {
    auto given = constantInts(im.input(node, 1));
    if (!given)
      return im.needsConstant(node, "split sizes computed at run time are not "
                                    "supported");
    sizes = *given;
  } else {
    // Equal parts; with num_outputs (opset 18) the last may be smaller.
    int64_t parts = im.intAttr(node, "num_outputs", outputs);
    int64_t chunk = (n + parts - 1) / parts;
    for (int64_t i = 0; i < parts; ++i)
      sizes.push_back(std::min(chunk, n - i * chunk));
  }
  if (static_cast<int64_t>(sizes.size()) != outputs)
    return im.fail(node, "split sizes do not match the number of outputs");
  int64_t offset = 0;
  for (int64_t i = 0; i < outputs; ++i) {
    int64_t start[] = {offset}, end[] = {offset + sizes[i]}, ax[] = {*axis};
    auto y = emitSlice(im, node, im.locOf(node), data, start, end, ax, {});
    if (failed(y))
      return failure();
    im.define(node.output(i), *y);
    offset += sizes[i];
  }
  if (offset != n)
    return im.fail(node, "split sizes do not add up to the dimension");
  return success();
}

LogicalResult convertPad(Importer &im, const onnx::NodeProto &node) {
  Value data = im.input(node, 0);
  int64_t rank = shapeOf(data).size();
  SmallVector<int64_t> pads;
  double value = 0;
  if (im.opset < 11) {
    pads = im.intsAttr(node, "pads").value_or(SmallVector<int64_t>{});
    value = floatAttr(im, node, "value", 0.0f);
  } else {
    auto given = constantInts(im.input(node, 1));
    if (!given)
      return im.needsConstant(node,
                              "pads computed at run time are not supported");
    pads = *given;
    if (im.hasInput(node, 2)) {
      auto constant = im.input(node, 2).getDefiningOp<graph::ConstantOp>();
      auto dense = constant ? dyn_cast<DenseElementsAttr>(constant.getValue())
                            : DenseElementsAttr();
      if (!dense)
        return im.needsConstant(node, "a pad value computed at run time is not "
                                      "supported");
      value = toTensor(dense).getDouble(0);
    }
  }
  SmallVector<int64_t> axes;
  if (im.hasInput(node, 3)) {
    auto given = constantInts(im.input(node, 3));
    if (!given)
      return im.needsConstant(node,
                              "axes computed at run time are not supported");
    for (int64_t a : *given) {
      auto axis = graph::normalizeAxis(a, rank);
      if (!axis)
        return im.fail(node, "axis out of range");
      axes.push_back(*axis);
    }
  } else {
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  if (pads.size() != 2 * axes.size())
    return im.fail(node, "pads need a begin and an end per axis");
  SmallVector<int64_t> low(rank, 0), high(rank, 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    low[axes[i]] = pads[i];
    high[axes[i]] = pads[i + axes.size()];
  }
  std::string mode = im.stringAttr(node, "mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge" &&
      mode != "wrap")
    return im.unsupported(node, "pad mode '" + mode + "' is not supported");
  im.define(node.output(0),
            graph::PadOp::create(im.builder, im.locOf(node), data,
                                 im.builder.getDenseI64ArrayAttr(low),
                                 im.builder.getDenseI64ArrayAttr(high),
                                 im.builder.getF64FloatAttr(value),
                                 im.builder.getStringAttr(mode))
                ->getResult(0));
  return success();
}

LogicalResult convertExpand(Importer &im, const onnx::NodeProto &node) {
  Value data = im.input(node, 0);
  auto shape = constantInts(im.input(node, 1));
  if (!shape)
    return im.needsConstant(node, "a target shape computed at run time is not "
                                  "supported");
  auto result = graph::inferBroadcastShape(shapeOf(data), *shape);
  if (failed(result))
    return im.fail(node, "the input cannot broadcast to the requested shape");
  auto type = RankedTensorType::get(*result, getElementTypeOrSelf(data));
  im.define(node.output(0), type == data.getType()
                                ? data
                                : graph::BroadcastOp::create(
                                      im.builder, im.locOf(node), type, data)
                                      ->getResult(0));
  return success();
}

LogicalResult convertTile(Importer &im, const onnx::NodeProto &node) {
  auto repeats = constantInts(im.input(node, 1));
  if (!repeats)
    return im.needsConstant(node,
                            "repeats computed at run time are not supported");
  im.define(node.output(0),
            graph::TileOp::create(im.builder, im.locOf(node), im.input(node, 0),
                                  im.builder.getDenseI64ArrayAttr(*repeats))
                ->getResult(0));
  return success();
}

LogicalResult convertRange(Importer &im, const onnx::NodeProto &node) {
  auto scalar = [&](int i) -> std::optional<double> {
    auto constant = im.input(node, i).getDefiningOp<graph::ConstantOp>();
    auto dense = constant ? dyn_cast<DenseElementsAttr>(constant.getValue())
                          : DenseElementsAttr();
    if (!dense || dense.getNumElements() != 1)
      return std::nullopt;
    return toTensor(dense).getDouble(0);
  };
  auto start = scalar(0), limit = scalar(1), delta = scalar(2);
  if (!start || !limit || !delta)
    return im.needsConstant(node,
                            "Range with bounds computed at run time is not "
                            "supported");
  if (*delta == 0)
    return im.fail(node, "delta is 0");
  int64_t count = std::max<int64_t>(
      static_cast<int64_t>(std::ceil((*limit - *start) / *delta)), 0);
  Type element = getElementTypeOrSelf(im.input(node, 0));
  std::optional<DType> dtype = toDType(element);
  Tensor values(*dtype, {count});
  for (int64_t i = 0; i < count; ++i)
    values.setDouble(i, *start + i * *delta);
  im.define(node.output(0),
            graph::ConstantOp::create(
                im.builder, im.locOf(node),
                toAttr(values, RankedTensorType::get({count}, element)))
                ->getResult(0));
  return success();
}

LogicalResult convertSize(Importer &im, const onnx::NodeProto &node) {
  ArrayRef<int64_t> in = shapeOf(im.input(node, 0));
  int64_t count = 1;
  for (int64_t d : in) {
    if (ShapedType::isDynamic(d))
      return im.unsupported(node,
                            "the size of an input with unknown dimensions is "
                            "not supported (use --input-shape)");
    count *= d;
  }
  auto type = RankedTensorType::get({}, im.builder.getI64Type());
  im.define(node.output(0),
            graph::ConstantOp::create(im.builder, im.locOf(node),
                                      DenseElementsAttr::get(type, count))
                ->getResult(0));
  return success();
}

LogicalResult convertTrilu(Importer &im, const onnx::NodeProto &node) {
  int64_t k = 0;
  if (im.hasInput(node, 1)) {
    auto given = constantInts(im.input(node, 1));
    if (!given || given->size() != 1)
      return im.needsConstant(node,
                              "a diagonal offset computed at run time is not "
                              "supported");
    k = (*given)[0];
  }
  im.define(node.output(0),
            graph::TriluOp::create(
                im.builder, im.locOf(node), im.input(node, 0),
                im.builder.getBoolAttr(im.intAttr(node, "upper", 1)),
                im.builder.getI64IntegerAttr(k))
                ->getResult(0));
  return success();
}

/// DepthToSpace (DCR or CRD) and SpaceToDepth: reshape, transpose, reshape.
LogicalResult convertDepthSpace(Importer &im, const onnx::NodeProto &node) {
  Location loc = im.locOf(node);
  Value x = im.input(node, 0);
  auto type = cast<RankedTensorType>(x.getType());
  if (type.getRank() != 4 || !type.hasStaticShape())
    return im.fail(node, "needs a static rank-4 input");
  int64_t b = im.intAttr(node, "blocksize", 0);
  if (b < 1)
    return im.fail(node, "needs blocksize >= 1");
  auto s = type.getShape();
  int64_t n = s[0], c = s[1], h = s[2], w = s[3];
  auto perm = [&](Value v, ArrayRef<int64_t> p) {
    return graph::TransposeOp::create(im.builder, loc, v,
                                      im.builder.getDenseI64ArrayAttr(p))
        ->getResult(0);
  };
  Value y;
  if (node.op_type() == "DepthToSpace") {
    if (c % (b * b))
      return im.fail(node, "channels are not divisible by blocksize^2");
    int64_t oc = c / (b * b);
    if (im.stringAttr(node, "mode", "DCR") == "DCR")
      y = perm(reshapeTo(im, loc, x, {n, b, b, oc, h, w}), {0, 3, 4, 1, 5, 2});
    else
      y = perm(reshapeTo(im, loc, x, {n, oc, b, b, h, w}), {0, 1, 4, 2, 5, 3});
    y = reshapeTo(im, loc, y, {n, oc, h * b, w * b});
  } else {
    if (h % b || w % b)
      return im.fail(node, "spatial sizes are not divisible by blocksize");
    y = perm(reshapeTo(im, loc, x, {n, c, h / b, b, w / b, b}),
             {0, 3, 5, 1, 2, 4});
    y = reshapeTo(im, loc, y, {n, c * b * b, h / b, w / b});
  }
  im.define(node.output(0), y);
  return success();
}

LogicalResult convertEyeLike(Importer &im, const onnx::NodeProto &node) {
  auto type = cast<RankedTensorType>(im.input(node, 0).getType());
  if (type.getRank() != 2 || !type.hasStaticShape())
    return im.fail(node, "needs a static rank-2 input");
  Type element = type.getElementType();
  if (const onnx::AttributeProto *dtype = im.attribute(node, "dtype")) {
    element = elementType(static_cast<int32_t>(dtype->i()), im.context);
    if (!element)
      return im.unsupported(node, "this dtype is not supported");
  }
  int64_t k = im.intAttr(node, "k", 0);
  std::optional<DType> d = toDType(element);
  Tensor eye(*d, {type.getDimSize(0), type.getDimSize(1)});
  for (int64_t i = 0; i < type.getDimSize(0); ++i)
    if (i + k >= 0 && i + k < type.getDimSize(1))
      eye.setDouble(i * type.getDimSize(1) + i + k, 1);
  im.define(node.output(0),
            graph::ConstantOp::create(
                im.builder, im.locOf(node),
                toAttr(eye, RankedTensorType::get(type.getShape(), element)))
                ->getResult(0));
  return success();
}

} // namespace

void registerShapeConverters(ConverterTable &table) {
  addConverter(table, "Concat", convertConcat);
  addConverter(table, "Constant", convertConstant);
  addConverter(table, "ConstantOfShape", convertConstantOfShape);
  addConverter(table, "DepthToSpace", convertDepthSpace);
  addConverter(table, "Expand", convertExpand);
  addConverter(table, "EyeLike", convertEyeLike);
  addConverter(table, "Flatten", convertReshape);
  addConverter(table, "Pad", convertPad);
  addConverter(table, "Range", convertRange);
  addConverter(table, "Reshape", convertReshape);
  addConverter(table, "Shape", convertShape);
  addConverter(table, "Size", convertSize);
  addConverter(table, "Slice", convertSlice);
  addConverter(table, "SpaceToDepth", convertDepthSpace);
  addConverter(table, "Split", convertSplit);
  addConverter(table, "Squeeze", convertReshape);
  addConverter(table, "Tile", convertTile);
  addConverter(table, "Transpose", convertTranspose);
  addConverter(table, "Trilu", convertTrilu);
  addConverter(table, "Unsqueeze", convertReshape);
}

} // namespace sinan::frontend::detail
