//===- ImportReduction.cpp - ONNX reductions and losses -------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Converts the Reduce* ops (those with a graph op, and ReduceL1, ReduceL2,
// ReduceSumSquare, ReduceLogSum and ReduceLogSumExp built from them),
// GlobalAveragePool and GlobalMaxPool, ArgMax, ArgMin, CumSum, and the
// losses NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

using namespace mlir;

namespace sinan::frontend::detail {
namespace {

/// ReduceL1, ReduceL2, ReduceSumSquare, ReduceLogSum, ReduceLogSumExp.
LogicalResult convertReduceComposite(Importer &im,
                                     const onnx::NodeProto &node) {
  Value x = im.input(node, 0);
  Type element = getElementTypeOrSelf(x);
  if (!isa<FloatType>(element))
    return im.unsupported(node, "integer inputs are not supported");
  bool dynamic;
  auto given = axesOf(im, node, 1, dynamic);
  if (dynamic)
    return im.needsConstant(node,
                            "axes computed at run time are not supported");
  SmallVector<int64_t> axes = given.value_or(SmallVector<int64_t>{});
  if (axes.empty() && im.intAttr(node, "noop_with_empty_axes", 0)) {
    im.define(node.output(0), x);
    return success();
  }
  bool keep = im.intAttr(node, "keepdims", 1);
  Emitter e{im, im.locOf(node), element};
  auto reduce = [&](auto tag, Value v, bool keepDims) {
    using OpTy = decltype(tag);
    return OpTy::create(im.builder, e.loc, v,
                        im.builder.getDenseI64ArrayAttr(axes),
                        im.builder.getBoolAttr(keepDims))
        ->getResult(0);
  };
  const std::string &type = node.op_type();
  Value y;
  if (type == "ReduceL1")
    y = reduce(graph::ReduceSumOp(), e.op<graph::AbsOp>(x), keep);
  else if (type == "ReduceL2")
    y = e.op<graph::SqrtOp>(reduce(graph::ReduceSumOp(), e.mul(x, x), keep));
  else if (type == "ReduceSumSquare")
    y = reduce(graph::ReduceSumOp(), e.mul(x, x), keep);
  else if (type == "ReduceLogSum")
    y = e.op<graph::LogOp>(reduce(graph::ReduceSumOp(), x, keep));
  else { // ReduceLogSumExp, shifted by the max for stability.
    Value max = reduce(graph::ReduceMaxOp(), x, true);
    Value sum =
        reduce(graph::ReduceSumOp(), e.op<graph::ExpOp>(e.sub(x, max)), true);
    y = e.add(e.op<graph::LogOp>(sum), max);
    if (!keep)
      y = reshapeTo(im, e.loc, y,
                    cast<RankedTensorType>(
                        reduce(graph::ReduceSumOp(), x, false).getType())
                        .getShape());
  }
  im.define(node.output(0), y);
  return success();
}

LogicalResult convertArg(Importer &im, const onnx::NodeProto &node) {
  auto axis = im.builder.getI64IntegerAttr(im.intAttr(node, "axis", 0));
  auto keep = im.builder.getBoolAttr(im.intAttr(node, "keepdims", 1));
  auto last = im.builder.getBoolAttr(im.intAttr(node, "select_last_index", 0));
  Value x = im.input(node, 0);
  Value y = node.op_type() == "ArgMax"
                ? graph::ArgMaxOp::create(im.builder, im.locOf(node), x, axis,
                                          keep, last)
                      ->getResult(0)
                : graph::ArgMinOp::create(im.builder, im.locOf(node), x, axis,
                                          keep, last)
                      ->getResult(0);
  im.define(node.output(0), y);
  return success();
}

LogicalResult convertCumSum(Importer &im, const onnx::NodeProto &node) {
  auto axis = constantInts(im.input(node, 1));
  if (!axis || axis->size() != 1)
    return im.needsConstant(node,
                            "an axis computed at run time is not supported");
  im.define(node.output(0),
            graph::CumSumOp::create(
                im.builder, im.locOf(node), im.input(node, 0),
                im.builder.getI64IntegerAttr((*axis)[0]),
                im.builder.getBoolAttr(im.intAttr(node, "exclusive", 0)),
                im.builder.getBoolAttr(im.intAttr(node, "reverse", 0)))
                ->getResult(0));
  return success();
}

/// NegativeLogLikelihoodLoss on given log-probabilities [N, C, d...] and
/// targets [N, d...]; shared by SoftmaxCrossEntropyLoss.
FailureOr<Value> emitNllLoss(Importer &im, const onnx::NodeProto &node,
                             Value input, Value target, Value weight) {
  Type element = getElementTypeOrSelf(input);
  if (!isa<FloatType>(element))
    return im.unsupported(node, "integer inputs are not supported");
  Location loc = im.locOf(node);
  Emitter e{im, loc, element};
  Type targetType = getElementTypeOrSelf(target);
  ArrayRef<int64_t> targetShape = shapeOf(target);
  SmallVector<int64_t> expanded(targetShape);
  expanded.insert(expanded.begin() + 1, 1);
  Value t = reshapeTo(im, loc, target, expanded);
  // Targets equal to ignore_index pick class 0 and get weight 0.
  Value keep = e.c(1);
  if (const onnx::AttributeProto *ignore = im.attribute(node, "ignore_index")) {
    Value ignored =
        graph::EqualOp::create(im.builder, loc, t,
                               scalarConstant(im, loc, targetType, ignore->i()))
            ->getResult(0);
    t = e.select(ignored, scalarConstant(im, loc, targetType, 0), t);
    keep = reshapeTo(im, loc, e.select(ignored, e.c(0), e.c(1)), targetShape);
  }
  Value picked =
      reshapeTo(im, loc,
                graph::GatherElementsOp::create(
                    im.builder, loc, RankedTensorType::get(expanded, element),
                    input, t, im.builder.getI64IntegerAttr(1))
                    ->getResult(0),
                targetShape);
  Value w = keep;
  if (weight) {
    Value flat = reshapeTo(im, loc, t, targetShape);
    Value classWeight = graph::GatherOp::create(im.builder, loc, weight, flat,
                                                im.builder.getI64IntegerAttr(0))
                            ->getResult(0);
    w = e.mul(classWeight, keep);
  }
  Value loss = e.mul(e.op<graph::NegOp>(picked), w);
  std::string reduction = im.stringAttr(node, "reduction", "mean");
  auto sumAll = [&](Value v) {
    return graph::ReduceSumOp::create(im.builder, loc, v,
                                      im.builder.getDenseI64ArrayAttr({}),
                                      im.builder.getBoolAttr(false))
        ->getResult(0);
  };
  if (reduction == "none")
    return loss;
  if (reduction == "sum")
    return sumAll(loss);
  if (reduction != "mean")
    return im.fail(node, "unknown reduction '" + reduction + "'");
  // Mean over the weights actually applied (a broadcast weight of 1 when
  // there is neither a weight input nor an ignore_index).
  Value total = sumAll(w);
  if (!weight && !im.attribute(node, "ignore_index")) {
    int64_t count = 1;
    for (int64_t d : targetShape) {
      if (ShapedType::isDynamic(d))
        return im.unsupported(node,
                              "mean reduction over unknown dimensions is not "
                              "supported");
      count *= d;
    }
    total = e.c(static_cast<double>(count));
  }
  return e.div(sumAll(loss), total);
}

LogicalResult convertLoss(Importer &im, const onnx::NodeProto &node) {
  Value input = im.input(node, 0);
  Value weight = im.hasInput(node, 2) ? im.input(node, 2) : Value();
  if (node.op_type() == "SoftmaxCrossEntropyLoss") {
    if (!isa<FloatType>(getElementTypeOrSelf(input)))
      return im.unsupported(node, "integer inputs are not supported");
    input = graph::LogSoftmaxOp::create(im.builder, im.locOf(node), input,
                                        im.builder.getI64IntegerAttr(1))
                ->getResult(0);
    if (node.output_size() > 1 && !node.output(1).empty())
      im.define(node.output(1), input);
  }
  auto loss = emitNllLoss(im, node, input, im.input(node, 1), weight);
  if (failed(loss))
    return failure();
  im.define(node.output(0), *loss);
  return success();
}

} // namespace

void registerReductionConverters(ConverterTable &table) {
  addConverter(table, "ArgMax", convertArg);
  addConverter(table, "ArgMin", convertArg);
  addConverter(table, "CumSum", convertCumSum);
  addConverter(table, "GlobalAveragePool", convertReduce<graph::ReduceMeanOp>);
  addConverter(table, "GlobalMaxPool", convertReduce<graph::ReduceMaxOp>);
  addConverter(table, "NegativeLogLikelihoodLoss", convertLoss);
  addConverter(table, "ReduceL1", convertReduceComposite);
  addConverter(table, "ReduceL2", convertReduceComposite);
  addConverter(table, "ReduceLogSum", convertReduceComposite);
  addConverter(table, "ReduceLogSumExp", convertReduceComposite);
  addConverter(table, "ReduceMax", convertReduce<graph::ReduceMaxOp>);
  addConverter(table, "ReduceMean", convertReduce<graph::ReduceMeanOp>);
  addConverter(table, "ReduceMin", convertReduce<graph::ReduceMinOp>);
  addConverter(table, "ReduceProd", convertReduce<graph::ReduceProdOp>);
  addConverter(table, "ReduceSum", convertReduce<graph::ReduceSumOp>);
  addConverter(table, "ReduceSumSquare", convertReduceComposite);
  addConverter(table, "SoftmaxCrossEntropyLoss", convertLoss);
}

} // namespace sinan::frontend::detail
