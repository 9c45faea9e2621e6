//===- ImportIndexing.cpp - ONNX gather, scatter, OneHot, TopK ------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Converts the ops that read or write by index: Gather, GatherElements,
// GatherND, Scatter, ScatterElements, ScatterND, OneHot and TopK.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "sinan/Dialect/Graph/IR/ShapeInference.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace sinan::frontend::detail {
namespace {

LogicalResult convertGather(Importer &im, const onnx::NodeProto &node) {
  im.define(node.output(0),
            graph::GatherOp::create(
                im.builder, im.locOf(node), im.input(node, 0),
                im.input(node, 1),
                im.builder.getI64IntegerAttr(im.intAttr(node, "axis", 0))));
  return success();
}

LogicalResult convertGatherElements(Importer &im, const onnx::NodeProto &node) {
  im.define(node.output(0),
            graph::GatherElementsOp::create(
                im.builder, im.locOf(node),
                RankedTensorType::get(shapeOf(im.input(node, 1)),
                                      getElementTypeOrSelf(im.input(node, 0))),
                im.input(node, 0), im.input(node, 1),
                im.builder.getI64IntegerAttr(im.intAttr(node, "axis", 0)))
                ->getResult(0));
  return success();
}

/// Indices as i64 (ONNX allows i32 for some index inputs).
Value indicesI64(Importer &im, Location loc, Value indices) {
  return castElements(im, loc, indices, im.builder.getI64Type());
}

LogicalResult convertGatherNd(Importer &im, const onnx::NodeProto &node) {
  Location loc = im.locOf(node);
  Value data = im.input(node, 0),
        indices = indicesI64(im, loc, im.input(node, 1));
  int64_t batchDims = im.intAttr(node, "batch_dims", 0);
  auto shape =
      graph::inferGatherNdShape(shapeOf(data), shapeOf(indices), batchDims);
  if (failed(shape))
    return im.fail(
        node,
        llvm::formatv(
            "indices of shape [{0}] do not "
            "address data of shape [{1}] with "
            "batch_dims {2}",
            llvm::make_range(shapeOf(indices).begin(), shapeOf(indices).end()),
            llvm::make_range(shapeOf(data).begin(), shapeOf(data).end()),
            batchDims)
            .str());
  im.define(node.output(0),
            graph::GatherNdOp::create(
                im.builder, loc,
                RankedTensorType::get(*shape, getElementTypeOrSelf(data)), data,
                indices, im.builder.getI64IntegerAttr(batchDims)));
  return success();
}

/// ScatterND, ScatterElements and the older Scatter.
LogicalResult convertScatter(Importer &im, const onnx::NodeProto &node) {
  Location loc = im.locOf(node);
  Value data = im.input(node, 0), indices = im.input(node, 1),
        updates = im.input(node, 2);
  std::string reduction = im.stringAttr(node, "reduction", "none");
  if (reduction != "none" && reduction != "add" && reduction != "mul" &&
      reduction != "max" && reduction != "min")
    return im.fail(node, "reduction must be none, add, mul, max or min, got '" +
                             reduction + "'");
  Value y;
  if (node.op_type() == "ScatterND")
    y = graph::ScatterNdOp::create(im.builder, loc, data.getType(), data,
                                   indicesI64(im, loc, indices), updates,
                                   reduction);
  else
    y = graph::ScatterElementsOp::create(
        im.builder, loc, data.getType(), data, indices, updates,
        im.builder.getI64IntegerAttr(im.intAttr(node, "axis", 0)),
        im.builder.getStringAttr(reduction));
  im.define(node.output(0), y);
  return success();
}

/// OneHot: select(expand(indices) == range(depth), on, off), with negative
/// indices counting from depth; indices out of range give all-off rows.
LogicalResult convertOneHot(Importer &im, const onnx::NodeProto &node) {
  Location loc = im.locOf(node);
  auto depthValues = constantInts(im.input(node, 1));
  if (!depthValues) {
    // Depth may be a float constant.
    auto constant = im.input(node, 1).getDefiningOp<graph::ConstantOp>();
    auto dense =
        constant ? dyn_cast<DenseElementsAttr>(constant.getValue()) : nullptr;
    if (!dense || !isa<FloatType>(dense.getElementType()))
      return im.needsConstant(node,
                              "a depth computed at run time is not supported");
    depthValues = SmallVector<int64_t>();
    for (const APFloat &v : dense.getValues<APFloat>())
      depthValues->push_back(static_cast<int64_t>(v.convertToDouble()));
  }
  if (depthValues->size() != 1 || depthValues->front() < 1)
    return im.fail(node, "depth must be one positive value");
  int64_t depth = depthValues->front();
  Value indices = im.input(node, 0), values = im.input(node, 2);
  ArrayRef<int64_t> inShape = shapeOf(indices);
  int64_t rank = inShape.size() + 1;
  auto axis = graph::normalizeAxis(im.intAttr(node, "axis", -1), rank);
  if (!axis)
    return im.fail(node, "axis out of range");
  Type i64 = im.builder.getI64Type();
  indices = indicesI64(im, loc, indices);
  Emitter e{im, loc, i64};
  indices =
      e.select(e.less(indices, e.c(0)), e.add(indices, e.c(depth)), indices);
  SmallVector<int64_t> expanded(inShape);
  expanded.insert(expanded.begin() + *axis, 1);
  SmallVector<int64_t> rangeShape(rank, 1);
  rangeShape[*axis] = depth;
  SmallVector<int64_t> range;
  for (int64_t j = 0; j < depth; ++j)
    range.push_back(j);
  Value classes = graph::ConstantOp::create(
      im.builder, loc,
      DenseElementsAttr::get(RankedTensorType::get(rangeShape, i64),
                             ArrayRef(range)));
  Value hot = graph::EqualOp::create(
      im.builder, loc, reshapeTo(im, loc, indices, expanded), classes);
  auto pick = [&](int64_t which) -> Value {
    Value index = scalarConstant(im, loc, i64, which);
    return graph::GatherOp::create(im.builder, loc, values, index,
                                   im.builder.getI64IntegerAttr(0));
  };
  im.define(node.output(0), e.select(hot, pick(1), pick(0)));
  return success();
}

/// TopK with a constant k (the input of opset 10+, the attribute before).
LogicalResult convertTopK(Importer &im, const onnx::NodeProto &node) {
  Value x = im.input(node, 0);
  int64_t k = im.intAttr(node, "k", -1);
  if (im.hasInput(node, 1)) {
    auto values = constantInts(im.input(node, 1));
    if (!values || values->size() != 1)
      return im.needsConstant(node,
                              "a k computed at run time is not supported");
    k = values->front();
  }
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  auto axis = graph::normalizeAxis(im.intAttr(node, "axis", -1), rank);
  if (!axis)
    return im.fail(node, "axis out of range");
  int64_t extent = type.getDimSize(*axis);
  if (k < 0 || (!ShapedType::isDynamic(extent) && k > extent))
    return im.fail(node, llvm::formatv("k = {0} is out of range for an axis "
                                       "of size {1}",
                                       k, extent)
                             .str());
  SmallVector<int64_t> shape(type.getShape());
  shape[*axis] = k;
  auto topK = graph::TopKOp::create(
      im.builder, im.locOf(node),
      RankedTensorType::get(shape, type.getElementType()),
      RankedTensorType::get(shape, im.builder.getI64Type()), x,
      im.builder.getI64IntegerAttr(k), im.builder.getI64IntegerAttr(*axis),
      im.builder.getBoolAttr(im.intAttr(node, "largest", 1) != 0));
  im.define(node.output(0), topK.getValues());
  if (node.output_size() > 1)
    im.define(node.output(1), topK.getIndices());
  return success();
}

} // namespace

void registerIndexingConverters(ConverterTable &table) {
  addConverter(table, "Gather", convertGather);
  addConverter(table, "GatherElements", convertGatherElements);
  addConverter(table, "GatherND", convertGatherNd);
  addConverter(table, "OneHot", convertOneHot);
  addConverter(table, "Scatter", convertScatter);
  addConverter(table, "ScatterElements", convertScatter);
  addConverter(table, "ScatterND", convertScatter);
  addConverter(table, "TopK", convertTopK);
}

} // namespace sinan::frontend::detail
