//===- ImportConvPool.cpp - ONNX convolution, pooling, resize -------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Converts Conv, ConvTranspose, AveragePool and MaxPool (2-D, and 1-D
// through their 2-D forms with convertVia2d) and Resize/Upsample.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "sinan/Bridge/RuntimeBridge.h"
#include "sinan/Dialect/Graph/IR/ShapeInference.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace mlir;

namespace sinan::frontend::detail {
namespace {

LogicalResult convertConv(Importer &im, const onnx::NodeProto &node) {
  Value x = im.input(node, 0), w = im.input(node, 1);
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  if (xType.getRank() != 4)
    return im.fail(node, llvm::formatv("only 2-D convolution (rank-4 input) "
                                       "is supported, input has rank {0}",
                                       xType.getRank())
                             .str());
  if (wType.getRank() != 4)
    return im.fail(
        node, llvm::formatv("weight has rank {0}, expected 4", wType.getRank())
                  .str());
  SmallVector<int64_t> strides =
      im.intsAttr(node, "strides").value_or(SmallVector<int64_t>{1, 1});
  SmallVector<int64_t> dilations =
      im.intsAttr(node, "dilations").value_or(SmallVector<int64_t>{1, 1});
  SmallVector<int64_t> pads =
      im.intsAttr(node, "pads").value_or(SmallVector<int64_t>{0, 0, 0, 0});
  int64_t group = im.intAttr(node, "group", 1);
  if (auto kernel = im.intsAttr(node, "kernel_shape")) {
    ArrayRef<int64_t> wShape = wType.getShape();
    if (kernel->size() != 2 ||
        (!ShapedType::isDynamic(wShape[2]) && (*kernel)[0] != wShape[2]) ||
        (!ShapedType::isDynamic(wShape[3]) && (*kernel)[1] != wShape[3]))
      return im.fail(node, "kernel_shape does not match the weight shape");
  }
  std::string autoPad = im.stringAttr(node, "auto_pad", "NOTSET");
  if (autoPad == "VALID") {
    pads = {0, 0, 0, 0};
  } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    // Output = ceil(input / stride); the padding that achieves it is split
    // evenly, the odd pixel at the end (UPPER) or the beginning (LOWER).
    pads.assign(4, 0);
    for (int axis = 0; axis < 2; ++axis) {
      int64_t in = xType.getDimSize(2 + axis);
      int64_t k = wType.getDimSize(2 + axis);
      if (ShapedType::isDynamic(in) || ShapedType::isDynamic(k))
        return im.fail(node, "auto_pad " + autoPad +
                                 " needs static spatial sizes; use "
                                 "--input-shape");
      int64_t out = (in + strides[axis] - 1) / strides[axis];
      int64_t total = std::max<int64_t>(
          (out - 1) * strides[axis] + (k - 1) * dilations[axis] + 1 - in, 0);
      int64_t small = total / 2, large = total - small;
      pads[axis] = autoPad == "SAME_UPPER" ? small : large;
      pads[axis + 2] = autoPad == "SAME_UPPER" ? large : small;
    }
  } else if (autoPad != "NOTSET") {
    return im.fail(node, "unknown auto_pad '" + autoPad + "'");
  }
  Value bias = im.hasInput(node, 2) ? im.input(node, 2) : Value();
  auto op = graph::Conv2dOp::create(im.builder, im.locOf(node), x, w, bias,
                                    im.builder.getDenseI64ArrayAttr(strides),
                                    im.builder.getDenseI64ArrayAttr(pads),
                                    im.builder.getDenseI64ArrayAttr(dilations),
                                    im.builder.getI64IntegerAttr(group));
  im.define(node.output(0), op);
  return success();
}

LogicalResult convertPool(Importer &im, const onnx::NodeProto &node) {
  Location loc = im.locOf(node);
  Value x = im.input(node, 0);
  ArrayRef<int64_t> in = shapeOf(x);
  if (in.size() != 4)
    return im.unsupported(node,
                          llvm::formatv("{0}-D pooling is not supported (2-D "
                                        "only)",
                                        static_cast<int64_t>(in.size()) - 2)
                              .str());
  if (node.output_size() > 1 && !node.output(1).empty())
    return im.unsupported(node,
                          "the Indices output of MaxPool is not supported");
  if (im.intAttr(node, "storage_order", 0) != 0)
    return im.unsupported(node, "storage_order 1 is not supported");
  auto kernel = im.intsAttr(node, "kernel_shape");
  if (!kernel || kernel->size() != 2)
    return im.fail(node, "needs a 2-D kernel_shape");
  SmallVector<int64_t> strides =
      im.intsAttr(node, "strides").value_or(SmallVector<int64_t>{1, 1});
  SmallVector<int64_t> dilations =
      im.intsAttr(node, "dilations").value_or(SmallVector<int64_t>{1, 1});
  SmallVector<int64_t> pads =
      im.intsAttr(node, "pads").value_or(SmallVector<int64_t>{0, 0, 0, 0});
  bool ceil = im.intAttr(node, "ceil_mode", 0);
  std::string autoPad = im.stringAttr(node, "auto_pad", "NOTSET");
  if (autoPad == "VALID") {
    pads = {0, 0, 0, 0};
  } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    for (int axis = 0; axis < 2; ++axis) {
      if (ShapedType::isDynamic(in[2 + axis]))
        return im.fail(node, "auto_pad needs static spatial sizes");
      int64_t out = (in[2 + axis] + strides[axis] - 1) / strides[axis];
      int64_t total = std::max<int64_t>(
          (out - 1) * strides[axis] + ((*kernel)[axis] - 1) * dilations[axis] +
              1 - in[2 + axis],
          0);
      int64_t small = total / 2, large = total - small;
      pads[axis] = autoPad == "SAME_UPPER" ? small : large;
      pads[axis + 2] = autoPad == "SAME_UPPER" ? large : small;
    }
  } else if (autoPad != "NOTSET") {
    return im.fail(node, "unknown auto_pad '" + autoPad + "'");
  }
  auto ints = [&](ArrayRef<int64_t> v) {
    return im.builder.getDenseI64ArrayAttr(v);
  };
  Value y;
  Type element = getElementTypeOrSelf(x);
  if (node.op_type() == "MaxPool" && element.isInteger(8)) {
    // 8-bit MaxPool (opset 12): exact in f32.
    y = graph::MaxPool2dOp::create(
        im.builder, loc, castElements(im, loc, x, im.builder.getF32Type()),
        ints(*kernel), ints(strides), ints(pads), ints(dilations),
        im.builder.getBoolAttr(ceil));
    y = castElements(im, loc, y, element);
  } else if (node.op_type() == "MaxPool")
    y = graph::MaxPool2dOp::create(im.builder, loc, x, ints(*kernel),
                                   ints(strides), ints(pads), ints(dilations),
                                   im.builder.getBoolAttr(ceil));
  else
    y = graph::AvgPool2dOp::create(
        im.builder, loc, x, ints(*kernel), ints(strides), ints(pads),
        ints(dilations), im.builder.getBoolAttr(ceil),
        im.builder.getBoolAttr(im.intAttr(node, "count_include_pad", 0)));
  im.define(node.output(0), y);
  return success();
}

LogicalResult convertResize(Importer &im, const onnx::NodeProto &node) {
  Value x = im.input(node, 0);
  auto type = cast<RankedTensorType>(x.getType());
  if (!type.hasStaticShape())
    return im.unsupported(node, "unknown dimensions are not supported");
  if (!isa<FloatType>(type.getElementType()))
    return im.unsupported(node, "integer inputs are not supported");
  if (im.intAttr(node, "antialias", 0))
    return im.unsupported(node, "antialias is not supported");
  if (im.stringAttr(node, "keep_aspect_ratio_policy", "stretch") != "stretch")
    return im.unsupported(node,
                          "keep_aspect_ratio_policy other than stretch is not "
                          "supported");
  bool old = im.opset < 11;
  std::string coordinate =
      old ? "asymmetric"
          : im.stringAttr(node, "coordinate_transformation_mode", "half_pixel");
  if (coordinate == "tf_crop_and_resize")
    return im.unsupported(node, "tf_crop_and_resize is not supported");
  std::string mode = im.stringAttr(node, "mode", "nearest");
  std::string nearest =
      old ? "floor" : im.stringAttr(node, "nearest_mode", "round_prefer_floor");
  int64_t rank = type.getRank();
  SmallVector<int64_t> axes;
  if (auto given = im.intsAttr(node, "axes")) {
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
  // Scales and sizes are float and int64 constants (inputs 2 and 3; input 1
  // in opset 10).
  auto floats = [&](int index) -> std::optional<SmallVector<double>> {
    if (!im.hasInput(node, index))
      return SmallVector<double>{};
    auto constant = im.input(node, index).getDefiningOp<graph::ConstantOp>();
    auto dense = constant ? dyn_cast<DenseElementsAttr>(constant.getValue())
                          : DenseElementsAttr();
    if (!dense)
      return std::nullopt;
    SmallVector<double> values;
    Tensor t = toTensor(dense);
    for (int64_t i = 0; i < t.numElements(); ++i)
      values.push_back(t.getDouble(i));
    return values;
  };
  auto scalesIn = floats(old ? 1 : 2);
  auto sizesIn = old ? std::optional<SmallVector<double>>(SmallVector<double>{})
                     : floats(3);
  if (!scalesIn || !sizesIn)
    return im.needsConstant(node,
                            "scales or sizes computed at run time are not "
                            "supported");
  SmallVector<int64_t> outShape(type.getShape());
  SmallVector<double> scales(rank, 1.0);
  SmallVector<Attribute> scaleAttrs;
  if (!sizesIn->empty()) {
    if (sizesIn->size() != axes.size())
      return im.fail(node, "sizes need one value per axis");
    for (auto [i, axis] : llvm::enumerate(axes)) {
      outShape[axis] = static_cast<int64_t>((*sizesIn)[i]);
      scales[axis] = double(outShape[axis]) / double(type.getDimSize(axis));
    }
  } else {
    if (scalesIn->size() != axes.size())
      return im.fail(node, "scales need one value per axis");
    for (auto [i, axis] : llvm::enumerate(axes)) {
      scales[axis] = (*scalesIn)[i];
      if (!(scales[axis] > 0))
        return im.fail(node, "scales must be positive");
      double size = std::floor(double(type.getDimSize(axis)) * scales[axis]);
      if (!(size >= 0 && size <= double(kMaxTensorElements)))
        return im.fail(node, "scales give a dimension of more than 2^56");
      outShape[axis] = static_cast<int64_t>(size);
    }
  }
  for (double s : scales)
    scaleAttrs.push_back(im.builder.getF64FloatAttr(s));
  auto result = RankedTensorType::get(outShape, type.getElementType());
  im.define(node.output(0),
            graph::ResizeOp::create(
                im.builder, im.locOf(node), result, x,
                im.builder.getStringAttr(mode),
                im.builder.getStringAttr(coordinate),
                im.builder.getStringAttr(nearest),
                im.builder.getArrayAttr(scaleAttrs),
                im.builder.getF64FloatAttr(
                    floatAttr(im, node, "cubic_coeff_a", -0.75f)),
                im.builder.getBoolAttr(im.intAttr(node, "exclude_outside", 0)))
                ->getResult(0));
  return success();
}

LogicalResult convertConvTranspose(Importer &im, const onnx::NodeProto &node) {
  Value x = im.input(node, 0), w = im.input(node, 1);
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  if (xType.getRank() != 4)
    return im.unsupported(node,
                          llvm::formatv("{0}-D transposed convolution is not "
                                        "supported (2-D only)",
                                        xType.getRank() - 2)
                              .str());
  auto ints = [&](const char *name, SmallVector<int64_t> fallback) {
    return im.intsAttr(node, name).value_or(fallback);
  };
  SmallVector<int64_t> strides = ints("strides", {1, 1});
  SmallVector<int64_t> dilations = ints("dilations", {1, 1});
  SmallVector<int64_t> outputPadding = ints("output_padding", {0, 0});
  SmallVector<int64_t> pads = ints("pads", {0, 0, 0, 0});
  int64_t group = im.intAttr(node, "group", 1);
  std::string autoPad = im.stringAttr(node, "auto_pad", "NOTSET");
  auto outputShape = im.intsAttr(node, "output_shape");
  // The padding arithmetic below indexes these and multiplies them.
  auto moderate = [](ArrayRef<int64_t> values) {
    return llvm::all_of(values, [](int64_t v) {
      return v > -(int64_t(1) << 31) && v < (int64_t(1) << 31);
    });
  };
  if (wType.getRank() != 4 || strides.size() != 2 || dilations.size() != 2 ||
      outputPadding.size() != 2 || pads.size() != 4 ||
      (outputShape && outputShape->size() < 2))
    return im.fail(node, "needs a 4-D weight, 2 strides, dilations and "
                         "output paddings, 4 pads and an output_shape of at "
                         "least 2 values");
  if (!moderate(strides) || !moderate(dilations) || !moderate(outputPadding) ||
      !moderate(pads) || (outputShape && !moderate(*outputShape)) ||
      !moderate(xType.getShape().drop_front(2)) ||
      !moderate(wType.getShape().drop_front(2)))
    return im.fail(node, "strides, dilations, paddings or sizes out of range");
  if (outputShape || autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    // The padding that yields the requested (or input * stride) size.
    for (int axis = 0; axis < 2; ++axis) {
      int64_t in = xType.getDimSize(2 + axis), k = wType.getDimSize(2 + axis);
      if (ShapedType::isDynamic(in) || ShapedType::isDynamic(k))
        return im.fail(node, "output_shape/auto_pad need static sizes");
      int64_t want = outputShape
                         ? (*outputShape)[outputShape->size() - 2 + axis]
                         : in * strides[axis];
      int64_t total = strides[axis] * (in - 1) + outputPadding[axis] +
                      (k - 1) * dilations[axis] + 1 - want;
      if (total < 0) { // A larger output grows at the end (output padding).
        outputPadding[axis] -= total;
        total = 0;
      }
      bool upper = autoPad == "SAME_UPPER";
      pads[axis] = upper ? total - total / 2 : total / 2;
      pads[axis + 2] = total - pads[axis];
      if (upper)
        std::swap(pads[axis], pads[axis + 2]);
    }
  } else if (autoPad == "VALID") {
    pads = {0, 0, 0, 0};
  }
  Value bias = im.hasInput(node, 2) ? im.input(node, 2) : Value();
  auto arr = [&](ArrayRef<int64_t> v) {
    return im.builder.getDenseI64ArrayAttr(v);
  };
  im.define(node.output(0),
            graph::ConvTranspose2dOp::create(
                im.builder, im.locOf(node), x, w, bias, arr(strides), arr(pads),
                arr(dilations), arr(outputPadding),
                im.builder.getI64IntegerAttr(group))
                ->getResult(0));
  return success();
}

} // namespace

void registerConvPoolConverters(ConverterTable &table) {
  addConverter(table, "AveragePool", convertVia2d<convertPool>);
  addConverter(table, "Conv", convertVia2d<convertConv>);
  addConverter(table, "ConvTranspose", convertVia2d<convertConvTranspose>);
  addConverter(table, "MaxPool", convertVia2d<convertPool>);
  addConverter(table, "Resize", convertResize);
  addConverter(table, "Upsample", convertResize);
}

} // namespace sinan::frontend::detail
