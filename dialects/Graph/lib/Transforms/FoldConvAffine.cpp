//===- FoldConvAffine.cpp - Fold per-channel affine ops into conv2d -------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// An inference BatchNormalization imports as `x * a + b` with per-channel
// constants; after a convolution both fold into its weights and bias, which
// removes two elementwise passes over the activation.
//
//===----------------------------------------------------------------------===//

#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Dialect/Graph/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/Passes.h"

namespace sinan::graph {
#define GEN_PASS_DEF_GRAPHFOLDCONVAFFINE
#include "sinan/Dialect/Graph/Transforms/Passes.h.inc"
} // namespace sinan::graph

using namespace mlir;
using namespace sinan::graph;

namespace {

/// The values of a constant that broadcasts against a conv2d result
/// [N, M, H, W] along the channel axis only ([], [1], [M, 1, 1],
/// [1, M, 1, 1], ...), expanded to M entries.
FailureOr<SmallVector<APFloat>> channelValues(Value value, int64_t channels,
                                              Type element) {
  auto constant = value.getDefiningOp<ConstantOp>();
  if (!constant)
    return failure();
  auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
  if (!dense || dense.getElementType() != element)
    return failure();
  ArrayRef<int64_t> shape = dense.getType().getShape();
  if (shape.size() > 4)
    return failure();
  int64_t channelDim = static_cast<int64_t>(shape.size()) - 3;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d)
    if (shape[d] != 1 && !(d == channelDim && shape[d] == channels))
      return failure();
  SmallVector<APFloat> values(dense.getValues<APFloat>());
  if (values.size() == 1)
    values.assign(channels, values.front());
  return values;
}

/// The constant values of a conv2d operand, or failure.
FailureOr<DenseElementsAttr> constantOf(Value value) {
  auto constant = value ? value.getDefiningOp<ConstantOp>() : nullptr;
  auto dense =
      constant ? dyn_cast<DenseElementsAttr>(constant.getValue()) : nullptr;
  if (!dense)
    return failure();
  return dense;
}

/// Matches `conv op constant` (either operand order) with a single-use conv
/// whose weights (and bias, if any) are constants.
struct Match {
  Conv2dOp conv;
  SmallVector<APFloat> channel;
  DenseElementsAttr weight;
  DenseElementsAttr bias; // Null when the conv has none.
};

FailureOr<Match> matchConvAndChannel(Operation *op) {
  if (op->getNumOperands() != 2)
    return failure();
  for (int i = 0; i < 2; ++i) {
    auto conv = op->getOperand(i).getDefiningOp<Conv2dOp>();
    if (!conv || !conv->hasOneUse() ||
        conv.getType() != op->getResult(0).getType())
      continue;
    Type element = conv.getType().getElementType();
    int64_t channels = conv.getType().getDimSize(1);
    auto channel = channelValues(op->getOperand(1 - i), channels, element);
    auto weight = constantOf(conv.getWeight());
    if (failed(channel) || failed(weight))
      continue;
    DenseElementsAttr bias;
    if (conv.getBias()) {
      auto constant = constantOf(conv.getBias());
      if (failed(constant))
        continue;
      bias = *constant;
    }
    return Match{conv, std::move(*channel), *weight, bias};
  }
  return failure();
}

void replaceWithConv(PatternRewriter &rewriter, Operation *op, Match &m,
                     DenseElementsAttr weight, DenseElementsAttr bias) {
  Location loc = op->getLoc();
  Value w = ConstantOp::create(rewriter, loc, weight);
  Value b = bias ? Value(ConstantOp::create(rewriter, loc, bias)) : Value();
  auto conv = Conv2dOp::create(
      rewriter, rewriter.getFusedLoc({m.conv.getLoc(), loc}), m.conv.getType(),
      m.conv.getInput(), w, b, m.conv.getStridesAttr(), m.conv.getPadsAttr(),
      m.conv.getDilationsAttr(), m.conv.getGroupAttr());
  rewriter.replaceOp(op, conv.getResult());
}

/// conv2d(x, W, b) * s -> conv2d(x, W * s, b * s).
struct FoldScale : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp op,
                                PatternRewriter &rewriter) const override {
    auto m = matchConvAndChannel(op);
    if (failed(m))
      return rewriter.notifyMatchFailure(op, "not conv2d times a channel "
                                             "constant");
    SmallVector<APFloat> weights(m->weight.getValues<APFloat>());
    int64_t perChannel = weights.size() / m->channel.size();
    for (size_t i = 0; i < weights.size(); ++i)
      weights[i].multiply(m->channel[i / perChannel],
                          APFloat::rmNearestTiesToEven);
    DenseElementsAttr bias;
    if (m->bias) {
      SmallVector<APFloat> values(m->bias.getValues<APFloat>());
      for (size_t i = 0; i < values.size(); ++i)
        values[i].multiply(m->channel[i], APFloat::rmNearestTiesToEven);
      bias = DenseElementsAttr::get(m->bias.getType(), values);
    }
    replaceWithConv(rewriter, op, *m,
                    DenseElementsAttr::get(m->weight.getType(), weights), bias);
    return success();
  }
};

/// conv2d(x, W, b) + t -> conv2d(x, W, b + t).
struct FoldShift : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp op,
                                PatternRewriter &rewriter) const override {
    auto m = matchConvAndChannel(op);
    if (failed(m))
      return rewriter.notifyMatchFailure(op, "not conv2d plus a channel "
                                             "constant");
    SmallVector<APFloat> values = m->channel;
    if (m->bias) {
      values.assign(m->bias.getValues<APFloat>().begin(),
                    m->bias.getValues<APFloat>().end());
      for (size_t i = 0; i < values.size(); ++i)
        values[i].add(m->channel[i], APFloat::rmNearestTiesToEven);
    }
    auto biasType = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                          m->conv.getType().getElementType());
    replaceWithConv(rewriter, op, *m, m->weight,
                    DenseElementsAttr::get(biasType, values));
    return success();
  }
};

struct GraphFoldConvAffine
    : sinan::graph::impl::GraphFoldConvAffineBase<GraphFoldConvAffine> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldScale, FoldShift>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void sinan::graph::buildGraphOptimizationPipeline(OpPassManager &pm) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createGraphFoldConvAffine());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}
