//===- GraphOps.cpp - Graph dialect operations ----------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Folders and canonicalizations. The ops' verifiers and type inference are
// their shape rules (GraphShapeRule.h), not code here.
//
//===----------------------------------------------------------------------===//

#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Dialect/Graph/IR/ShapeInference.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"

#include <cstring>

using namespace mlir;
using namespace sinan::graph;

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

namespace {
/// Applies `fn` elementwise when both operands are constants of the result
/// type (no broadcasting is folded).
template <typename FloatFn, typename IntFn>
Attribute foldBinary(Attribute lhs, Attribute rhs, Type resultType,
                     FloatFn floatFn, IntFn intFn) {
  auto lhsAttr = dyn_cast_if_present<DenseElementsAttr>(lhs);
  auto rhsAttr = dyn_cast_if_present<DenseElementsAttr>(rhs);
  if (!lhsAttr || !rhsAttr || lhsAttr.getType() != resultType ||
      rhsAttr.getType() != resultType)
    return {};
  auto type = cast<ShapedType>(resultType);
  if (isa<FloatType>(type.getElementType())) {
    SmallVector<APFloat> values;
    for (auto [a, b] :
         llvm::zip(lhsAttr.getValues<APFloat>(), rhsAttr.getValues<APFloat>()))
      values.push_back(floatFn(a, b));
    return DenseElementsAttr::get(type, values);
  }
  SmallVector<APInt> values;
  for (auto [a, b] :
       llvm::zip(lhsAttr.getValues<APInt>(), rhsAttr.getValues<APInt>()))
    values.push_back(intFn(a, b));
  return DenseElementsAttr::get(type, values);
}

/// True when `attr` is a splat whose every element equals the float `f` (for
/// float element types, compared bitwise so -0.0 and +0.0 differ) or the
/// integer `i`.
bool isSplatOf(Attribute attr, double f, int64_t i) {
  auto splat = dyn_cast_if_present<SplatElementsAttr>(attr);
  if (!splat)
    return false;
  Type elementType = splat.getElementType();
  if (auto floatType = dyn_cast<FloatType>(elementType)) {
    APFloat expected(f);
    bool lostInfo;
    expected.convert(floatType.getFloatSemantics(),
                     APFloat::rmNearestTiesToEven, &lostInfo);
    return splat.getSplatValue<APFloat>().bitwiseIsEqual(expected);
  }
  return splat.getSplatValue<APInt>().getSExtValue() == i;
}
} // namespace

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// AddOp / MulOp
//===----------------------------------------------------------------------===//

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  // x + (-0.0) is x for every float x (+0.0 is not: -0.0 + +0.0 is +0.0).
  if (getLhs().getType() == getType() && isSplatOf(adaptor.getRhs(), -0.0, 0))
    return getLhs();
  if (getRhs().getType() == getType() && isSplatOf(adaptor.getLhs(), -0.0, 0))
    return getRhs();
  return foldBinary(
      adaptor.getLhs(), adaptor.getRhs(), getType(),
      [](APFloat a, const APFloat &b) {
        a.add(b, APFloat::rmNearestTiesToEven);
        return a;
      },
      [](const APInt &a, const APInt &b) { return a + b; });
}

namespace {
/// Whether `value` is a matrix product, or a product plus something (its
/// bias): a result whose epilogue an add of a residual may join.
bool isProductOrBiasedProduct(Value value) {
  if (value.getDefiningOp<MatMulOp>())
    return true;
  auto add = value.getDefiningOp<AddOp>();
  return add && (add.getLhs().getDefiningOp<MatMulOp>() ||
                 add.getRhs().getDefiningOp<MatMulOp>());
}

/// Whether `value` is such a result or a reshape of one.
bool isMaybeReshapedProduct(Value value) {
  if (auto reshape = value.getDefiningOp<ReshapeOp>())
    value = reshape.getInput();
  return isProductOrBiasedProduct(value);
}

/// add(reshape(p), r) -> reshape(add(p, reshape(r))) for a product p (see
/// the op's description), when the reshape has no other user and neither
/// operand broadcasts. Not when r is (a reshape of) a product too: the sum
/// could then join either epilogue, and sinking one reshape would only
/// expose the other (Swin's residual stream ping-ponged between the two).
/// The operands keep their order (the kernels' and the reference's sums
/// read them in that order).
struct SinkProductReshape : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp op,
                                PatternRewriter &rewriter) const override {
    auto type = dyn_cast<RankedTensorType>(op.getType());
    if (!type || !type.hasStaticShape())
      return failure();
    for (unsigned index : {0u, 1u}) {
      Value reshaped = op->getOperand(index);
      Value residual = op->getOperand(1 - index);
      auto reshape = reshaped.getDefiningOp<ReshapeOp>();
      if (!reshape || !reshape->hasOneUse() || reshaped.getType() != type ||
          residual.getType() != type)
        continue;
      Value product = reshape.getInput();
      auto inner = dyn_cast<RankedTensorType>(product.getType());
      if (!inner || !inner.hasStaticShape() ||
          !isProductOrBiasedProduct(product) ||
          isMaybeReshapedProduct(residual))
        continue;
      Value narrowed =
          ReshapeOp::create(rewriter, residual.getLoc(), inner, residual);
      Value lhs = index == 0 ? product : narrowed;
      Value rhs = index == 0 ? narrowed : product;
      Value sum = AddOp::create(rewriter, op.getLoc(), inner, lhs, rhs);
      rewriter.replaceOpWithNewOp<ReshapeOp>(op, type, sum);
      return success();
    }
    return failure();
  }
};
} // namespace

void AddOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                        MLIRContext *context) {
  results.add<SinkProductReshape>(context);
}

namespace {
/// The value of a float splat constant of at most 32 bits, as f32 (exact).
std::optional<float> splatBound(Value value) {
  auto constant = value.getDefiningOp<ConstantOp>();
  auto splat = constant ? dyn_cast<SplatElementsAttr>(constant.getValue())
                        : SplatElementsAttr();
  auto type = splat ? dyn_cast<FloatType>(splat.getElementType()) : nullptr;
  if (!type || type.getWidth() > 32)
    return std::nullopt;
  APFloat bound = splat.getSplatValue<APFloat>();
  bool lost = false;
  bound.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
  if (lost || bound.isNaN())
    return std::nullopt;
  return bound.convertToFloat();
}

/// `outer(inner(x, a), b)` with one bound each (constants last, as folding
/// leaves a commutative op) -> graph.clip. With lo <= hi both orders select
/// x, lo or hi by the same comparisons (std::max(x, lo) and std::min(x, hi)
/// return x on a tie, whatever the zeros' signs), so the clip is exact.
template <typename Outer, typename Inner>
struct BoundsToClip : OpRewritePattern<Outer> {
  using OpRewritePattern<Outer>::OpRewritePattern;
  LogicalResult matchAndRewrite(Outer op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getLhs().template getDefiningOp<Inner>();
    if (!inner || !inner->hasOneUse())
      return failure();
    Value x = inner.getLhs();
    std::optional<float> a = splatBound(inner.getRhs());
    std::optional<float> b = splatBound(op.getRhs());
    if (!a || !b || x.getType() != op.getType() ||
        inner.getType() != op.getType())
      return failure();
    constexpr bool maxOuter = std::is_same_v<Outer, MaxOp>;
    float lo = maxOuter ? *b : *a, hi = maxOuter ? *a : *b;
    if (!(lo <= hi))
      return failure();
    rewriter.replaceOpWithNewOp<ClipOp>(op, op.getType(), x,
                                        rewriter.getF32FloatAttr(lo),
                                        rewriter.getF32FloatAttr(hi));
    return success();
  }
};
} // namespace

void MaxOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                        MLIRContext *context) {
  results.add<BoundsToClip<MaxOp, MinOp>>(context);
}

void MinOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                        MLIRContext *context) {
  results.add<BoundsToClip<MinOp, MaxOp>>(context);
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  if (getLhs().getType() == getType() && isSplatOf(adaptor.getRhs(), 1.0, 1))
    return getLhs();
  if (getRhs().getType() == getType() && isSplatOf(adaptor.getLhs(), 1.0, 1))
    return getRhs();
  // x * 0 is 0 for integers only (a float x may be NaN, infinite or
  // negative); a dynamic result shape has no constant to fold to.
  if (!isa<FloatType>(getType().getElementType()) &&
      getType().hasStaticShape()) {
    for (Attribute operand : adaptor.getOperands())
      if (isSplatOf(operand, 0.0, 0))
        return DenseElementsAttr::get(
            getType(),
            cast<SplatElementsAttr>(operand).getSplatValue<Attribute>());
  }
  return foldBinary(
      adaptor.getLhs(), adaptor.getRhs(), getType(),
      [](APFloat a, const APFloat &b) {
        a.multiply(b, APFloat::rmNearestTiesToEven);
        return a;
      },
      [](const APInt &a, const APInt &b) { return a * b; });
}

//===----------------------------------------------------------------------===//
// Layout
//===----------------------------------------------------------------------===//

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  // reshape(reshape(x)) is one reshape.
  if (auto inner = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(inner.getInput());
    return getResult();
  }
  if (auto dense = dyn_cast_if_present<DenseElementsAttr>(adaptor.getInput()))
    if (getType().hasStaticShape())
      return dense.reshape(getType());
  return {};
}

/// `dense` with its dimensions permuted (result dimension i is input
/// dimension perm[i]), byte by byte; null for bit-packed element types.
static DenseElementsAttr transposeConstant(DenseElementsAttr dense,
                                           ArrayRef<int64_t> perm,
                                           ShapedType type) {
  Type element = dense.getElementType();
  unsigned bits =
      llvm::isa<ComplexType>(element) ? 0 : element.getIntOrFloatBitWidth();
  if (bits == 0 || bits % 8)
    return {};
  size_t bytes = bits / 8;
  ArrayRef<int64_t> inShape = dense.getType().getShape();
  int64_t rank = inShape.size();
  SmallVector<int64_t> inStrides(rank, 1);
  for (int64_t d = rank - 1; d > 0; --d)
    inStrides[d - 1] = inStrides[d] * inShape[d];
  ArrayRef<char> in = dense.getRawData();
  std::vector<char> out(in.size());
  SmallVector<int64_t> index(rank, 0); // Over the result's dimensions.
  for (int64_t at = 0, count = type.getNumElements(); at < count; ++at) {
    int64_t from = 0;
    for (int64_t d = 0; d < rank; ++d)
      from += index[d] * inStrides[perm[d]];
    std::memcpy(out.data() + at * bytes, in.data() + from * bytes, bytes);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < type.getDimSize(d))
        break;
      index[d] = 0;
    }
  }
  return DenseElementsAttr::getFromRawBuffer(
      RankedTensorType::get(type.getShape(), element), out);
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  ArrayRef<int64_t> perm = getPermutation();
  if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())) &&
      getInput().getType() == getType())
    return getInput();
  // transpose(transpose(x, inner), outer) is transpose(x, inner[outer[i]]).
  if (auto inner = getInput().getDefiningOp<TransposeOp>()) {
    ArrayRef<int64_t> first = inner.getPermutation();
    SmallVector<int64_t> composed;
    for (int64_t p : perm)
      composed.push_back(first[p]);
    getInputMutable().assign(inner.getInput());
    setPermutation(composed);
    return getResult();
  }
  auto dense = dyn_cast_if_present<DenseElementsAttr>(adaptor.getInput());
  if (!dense || !getType().hasStaticShape())
    return {};
  if (dense.isSplat())
    return dense.resizeSplat(getType());
  return transposeConstant(dense, perm, getType());
}

namespace {
/// A transpose that moves only unit dimensions keeps the elements' order:
/// a reshape.
struct TransposeOfUnitDims : public OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto type = dyn_cast<RankedTensorType>(op.getInput().getType());
    auto result = dyn_cast<RankedTensorType>(op.getType());
    if (!type || !result || !type.hasStaticShape() || !result.hasStaticShape())
      return failure();
    SmallVector<int64_t> order;
    for (int64_t p : op.getPermutation())
      if (type.getDimSize(p) != 1)
        order.push_back(p);
    if (!llvm::is_sorted(order))
      return failure();
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, result, op.getInput());
    return success();
  }
};
} // namespace

void TransposeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<TransposeOfUnitDims>(context);
}

namespace {
/// The [top, left, bottom, right] padding a zero `graph.pad` adds to the
/// image of an NCHW tensor (none to the batch or channels), or nullopt.
std::optional<SmallVector<int64_t, 4>> imagePadding(Value input) {
  auto pad = input.getDefiningOp<PadOp>();
  if (!pad || pad.getMode() != "constant" ||
      pad.getValue().convertToDouble() != 0.0 || pad.getLow().size() != 4)
    return std::nullopt;
  ArrayRef<int64_t> low = pad.getLow(), high = pad.getHigh();
  if (low[0] || low[1] || high[0] || high[1] ||
      llvm::any_of(low, [](int64_t p) { return p < 0; }) ||
      llvm::any_of(high, [](int64_t p) { return p < 0; }))
    return std::nullopt;
  return SmallVector<int64_t, 4>{low[2], low[3], high[2], high[3]};
}

/// `op`'s pads plus the explicit pad's, reading the pad's input instead.
template <typename OpTy>
LogicalResult absorbPad(OpTy op, PatternRewriter &rewriter) {
  std::optional<SmallVector<int64_t, 4>> extra = imagePadding(op.getInput());
  if (!extra || op.getPads().size() != 4)
    return failure();
  SmallVector<int64_t, 4> pads;
  for (auto [own, more] : llvm::zip(op.getPads(), *extra))
    pads.push_back(own + more);
  rewriter.modifyOpInPlace(op, [&] {
    op.setPads(pads);
    op.getInputMutable().assign(
        op.getInput().template getDefiningOp<PadOp>().getInput());
  });
  return success();
}

/// PyTorch writes `avg_pool2d(x, 3, 1, padding=1)` as a Pad of zeros and an
/// AveragePool without padding (Inception-v3): every window counts its
/// padded zeros, which is the pooling's own padding with count_include_pad.
/// (Not in ceil mode, where a window past the padding counts less; nor when
/// the pooling pads by itself without counting it.)
struct AvgPoolOfPad : OpRewritePattern<AvgPool2dOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AvgPool2dOp op,
                                PatternRewriter &rewriter) const override {
    bool ownPads = llvm::any_of(op.getPads(), [](int64_t p) { return p; });
    if (op.getCeilMode() || (ownPads && !op.getCountIncludePad()))
      return failure();
    if (failed(absorbPad(op, rewriter)))
      return failure();
    rewriter.modifyOpInPlace(op, [&] { op.setCountIncludePad(true); });
    return success();
  }
};

/// A convolution of a zero-padded image (ZeroPad2d before a Conv2d) pads
/// it by itself: every tap of a padded position adds a zero product.
struct ConvOfPad : OpRewritePattern<Conv2dOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(Conv2dOp op,
                                PatternRewriter &rewriter) const override {
    return absorbPad(op, rewriter);
  }
};
} // namespace

void AvgPool2dOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<AvgPoolOfPad>(context);
}

void Conv2dOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                           MLIRContext *context) {
  results.add<ConvOfPad>(context);
}

OpFoldResult SliceOp::fold(FoldAdaptor) {
  // Every element in order (PyTorch's x[:, :H, :W] after a window padding
  // of nothing): the input.
  auto zero = [](int64_t start) { return start == 0; };
  auto one = [](int64_t step) { return step == 1; };
  if (getInput().getType() == getType() && getType().hasStaticShape() &&
      llvm::all_of(getStarts(), zero) && llvm::all_of(getSteps(), one))
    return getInput();
  return {};
}

OpFoldResult PadOp::fold(FoldAdaptor) {
  auto zero = [](int64_t pad) { return pad == 0; };
  if (getInput().getType() == getType() && llvm::all_of(getLow(), zero) &&
      llvm::all_of(getHigh(), zero))
    return getInput();
  return {};
}

namespace {
/// A gather of constant, consecutive indices (a, a + 1, ..., or one index)
/// along a static axis is a slice, reshaped to drop the axis for a scalar
/// index: PyTorch exports `qkv[0]` so, and a slice is rows the backends
/// move (the SNPU has no gather).
struct GatherOfConsecutiveIndices : public OpRewritePattern<GatherOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GatherOp op,
                                PatternRewriter &rewriter) const override {
    auto data = dyn_cast<RankedTensorType>(op.getData().getType());
    auto result = dyn_cast<RankedTensorType>(op.getType());
    DenseIntElementsAttr indices;
    if (!data || !result || !data.hasStaticShape() ||
        !result.hasStaticShape() ||
        !matchPattern(op.getIndices(), m_Constant(&indices)) ||
        indices.getType().getRank() > 1 || indices.getNumElements() < 1)
      return failure();
    int64_t rank = data.getRank();
    std::optional<int64_t> axis = normalizeAxis(op.getAxis(), rank);
    if (!axis)
      return failure();
    int64_t extent = data.getDimSize(*axis), first = 0, count = 0;
    for (const APInt &value : indices.getValues<APInt>()) {
      int64_t index = value.getSExtValue();
      if (index < 0)
        index += extent;
      if (index < 0 || index >= extent || (count && index != first + count))
        return failure();
      if (!count)
        first = index;
      ++count;
    }
    SmallVector<int64_t> starts(rank, 0), limits(data.getShape()),
        steps(rank, 1);
    starts[*axis] = first;
    limits[*axis] = first + count;
    Value slice = SliceOp::create(rewriter, op.getLoc(), op.getData(), starts,
                                  limits, steps);
    if (slice.getType() != result)
      slice = ReshapeOp::create(rewriter, op.getLoc(), result, slice);
    rewriter.replaceOp(op, slice);
    return success();
  }
};
} // namespace

void GatherOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                           MLIRContext *context) {
  results.add<GatherOfConsecutiveIndices>(context);
}

//===----------------------------------------------------------------------===//
// ReluOp
//===----------------------------------------------------------------------===//

OpFoldResult ReluOp::fold(FoldAdaptor adaptor) {
  // relu is idempotent.
  if (getInput().getDefiningOp<ReluOp>())
    return getInput();
  auto input = dyn_cast_if_present<DenseElementsAttr>(adaptor.getInput());
  if (!input)
    return {};
  if (isa<FloatType>(getType().getElementType())) {
    return input.mapValues(getType().getElementType(), [](const APFloat &x) {
      APFloat result =
          x.isNegative() && !x.isNaN() ? APFloat::getZero(x.getSemantics()) : x;
      return result.bitcastToAPInt();
    });
  }
  return input.mapValues(getType().getElementType(), [](const APInt &x) {
    return x.isNegative() ? APInt::getZero(x.getBitWidth()) : x;
  });
}

#define GET_OP_CLASSES
#include "sinan/Dialect/Graph/IR/GraphOps.cpp.inc"
