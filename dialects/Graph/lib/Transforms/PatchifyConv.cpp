//===- PatchifyConv.cpp - Convolutions over patches as products -----------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A convolution over non-overlapping patches (kernel = stride) is a matrix
// product of the image's patches with the weights; see Passes.td.
//
//===----------------------------------------------------------------------===//

#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Dialect/Graph/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace sinan::graph {
#define GEN_PASS_DEF_GRAPHPATCHIFYCONV
#include "sinan/Dialect/Graph/Transforms/Passes.h.inc"
} // namespace sinan::graph

using namespace mlir;
using namespace sinan::graph;

namespace {

/// Patches of fewer elements gather cheaply enough as a convolution
/// (Swin's and ConvNeXt's 4 x 4 stems).
constexpr int64_t kMinPatchElements = 64;

/// The only user of `value` if it is an `Op`, else null.
template <typename Op> Op soleUserOf(Value value) {
  return value.hasOneUse() ? dyn_cast<Op>(*value.getUsers().begin()) : Op();
}

struct PatchifyConv : OpRewritePattern<Conv2dOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(Conv2dOp conv,
                                PatternRewriter &rewriter) const override {
    auto inType = dyn_cast<RankedTensorType>(conv.getInput().getType());
    auto outType = dyn_cast<RankedTensorType>(conv.getType());
    auto constant = conv.getWeight().getDefiningOp<ConstantOp>();
    auto weights =
        constant ? dyn_cast<DenseElementsAttr>(constant.getValue()) : nullptr;
    if (!inType || !outType || !inType.hasStaticShape() ||
        !outType.hasStaticShape() || inType.getRank() != 4 || !weights ||
        !inType.getElementType().isF32() ||
        weights.getElementType() != inType.getElementType())
      return rewriter.notifyMatchFailure(conv, "not an f32 image and weights");
    ArrayRef<int64_t> wShape = weights.getType().getShape();
    int64_t n = inType.getDimSize(0), c = inType.getDimSize(1),
            h = inType.getDimSize(2), w = inType.getDimSize(3);
    int64_t f = wShape[0], p = wShape[2], q = wShape[3];
    if (conv.getGroup() != 1 || wShape[1] != c ||
        conv.getStrides() != ArrayRef<int64_t>{p, q} ||
        llvm::any_of(conv.getPads(), [](int64_t pad) { return pad != 0; }) ||
        llvm::any_of(conv.getDilations(), [](int64_t d) { return d != 1; }) ||
        h % p || w % q || p * q < kMinPatchElements)
      return rewriter.notifyMatchFailure(conv, "not a patch embedding");
    int64_t ho = h / p, wo = w / q, k = c * p * q, rows = n * ho * wo;
    Location loc = conv.getLoc();
    Type element = inType.getElementType();
    auto type = [&](ArrayRef<int64_t> shape) {
      return RankedTensorType::get(shape, element);
    };
    // The image's patches as rows of C x P x Q.
    Value patches = ReshapeOp::create(rewriter, loc, type({n, c, ho, p, wo, q}),
                                      conv.getInput());
    patches =
        TransposeOp::create(rewriter, loc, patches,
                            rewriter.getDenseI64ArrayAttr({0, 2, 4, 1, 3, 5}))
            ->getResult(0);
    patches = ReshapeOp::create(rewriter, loc, type({rows, k}), patches);
    // The weights as [C x P x Q, F].
    SmallVector<APFloat> values(weights.getValues<APFloat>());
    SmallVector<APFloat> turned;
    turned.reserve(values.size());
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < f; ++j)
        turned.push_back(values[j * k + i]);
    Value matrix = ConstantOp::create(
        rewriter, constant.getLoc(),
        DenseElementsAttr::get(type({k, f}), ArrayRef(turned)));
    Value product =
        MatMulOp::create(rewriter, loc, type({rows, f}), patches, matrix);
    if (Value bias = conv.getBias())
      product = AddOp::create(rewriter, loc, type({rows, f}), product, bias);
    // Tokens: the rows are them already.
    if (auto flat = soleUserOf<ReshapeOp>(conv.getResult());
        flat && cast<RankedTensorType>(flat.getType()).getShape() ==
                    ArrayRef<int64_t>{n, f, ho * wo})
      if (auto tokens = soleUserOf<TransposeOp>(flat.getResult());
          tokens && tokens.getPermutation() == ArrayRef<int64_t>{0, 2, 1}) {
        rewriter.replaceOpWithNewOp<ReshapeOp>(tokens, tokens.getType(),
                                               product);
        rewriter.eraseOp(flat);
        rewriter.eraseOp(conv);
        return success();
      }
    Value grid =
        ReshapeOp::create(rewriter, loc, type({n, ho, wo, f}), product);
    rewriter.replaceOpWithNewOp<TransposeOp>(
        conv, grid, rewriter.getDenseI64ArrayAttr({0, 3, 1, 2}));
    return success();
  }
};

struct GraphPatchifyConvPass
    : public sinan::graph::impl::GraphPatchifyConvBase<GraphPatchifyConvPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<PatchifyConv>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
