//===- Decompose.cpp - Expand composite graph ops -------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The importer keeps LayerNormalization and Gelu whole (one op a backend
// may fuse); backends that run small ops get them back here, in the order
// and with the constants of the reference kernels (runtime/ref), so the
// expansion computes the same values bit for bit.
//
//===----------------------------------------------------------------------===//

#include "sinan/Bridge/RuntimeBridge.h"
#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Dialect/Graph/IR/ShapeInference.h"
#include "sinan/Dialect/Graph/Transforms/Passes.h"
#include "sinan/runtime/ref/Kernels.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>
#include <limits>

namespace sinan::graph {
#define GEN_PASS_DEF_GRAPHDECOMPOSE
#include "sinan/Dialect/Graph/Transforms/Passes.h.inc"
} // namespace sinan::graph

using namespace mlir;
using namespace sinan::graph;

namespace {

/// Builds elementwise ops on one element type at one location.
struct Expander {
  OpBuilder &b;
  Location loc;
  Type element;

  /// A rank-0 constant of the element type.
  Value c(double value) {
    auto type = RankedTensorType::get({}, element);
    return ConstantOp::create(
        b, loc, DenseElementsAttr::get(type, b.getFloatAttr(element, value)));
  }
  template <typename OpTy> Value op(Value x, Value y) {
    return OpTy::create(b, loc, x, y)->getResult(0);
  }
  template <typename OpTy> Value op(Value x) {
    return OpTy::create(b, loc, x)->getResult(0);
  }
  Value add(Value x, Value y) { return op<AddOp>(x, y); }
  Value sub(Value x, Value y) { return op<SubOp>(x, y); }
  Value mul(Value x, Value y) { return op<MulOp>(x, y); }
};

// Each op is built by its own statement: the order of C++ argument
// evaluation is unspecified, and the IR should not depend on the compiler.
Value expand(GeluOp gelu, OpBuilder &b) {
  Value x = gelu.getInput();
  Expander e{b, gelu.getLoc(), getElementTypeOrSelf(x)};
  Value inner;
  if (gelu.getApproximate() == "tanh") {
    Value square = e.mul(x, x);
    Value cube = e.mul(x, square);
    Value k = e.c(0.044715);
    Value sum = e.add(x, e.mul(k, cube));
    Value scale = e.c(0.7978845608028654);
    inner = e.op<TanhOp>(e.mul(scale, sum));
  } else {
    Value scale = e.c(0.7071067811865476);
    inner = e.op<ErfOp>(e.mul(x, scale));
  }
  Value one = e.c(1);
  Value onePlus = e.add(one, inner);
  Value half = e.c(0.5);
  return e.mul(e.mul(half, x), onePlus);
}

/// The axes from `axis` (negative counts from the end) to the last.
SmallVector<int64_t> axesFrom(int64_t axis, Value x) {
  int64_t rank = cast<ShapedType>(x.getType()).getRank();
  SmallVector<int64_t> axes;
  for (int64_t d = *normalizeAxis(axis, rank); d < rank; ++d)
    axes.push_back(d);
  return axes;
}

Value reduceMean(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> axes) {
  return ReduceMeanOp::create(b, loc, v, b.getDenseI64ArrayAttr(axes),
                              b.getBoolAttr(true))
      ->getResult(0);
}

/// `(x - mean) * (1 / sqrt(var + epsilon))` over `axes`: the part layer
/// and group normalization share, in their reference kernels' order.
struct Standardized {
  Value normalized, mean, invStdDev;
};

Standardized standardize(Expander &e, Value x, ArrayRef<int64_t> axes,
                         APFloat epsilon) {
  Value mean = reduceMean(e.b, e.loc, x, axes);
  Value centred = e.sub(x, mean);
  Value var = reduceMean(e.b, e.loc, e.mul(centred, centred), axes);
  Value eps = e.c(epsilon.convertToFloat());
  Value invStd = e.op<ReciprocalOp>(e.op<SqrtOp>(e.add(var, eps)));
  return {e.mul(centred, invStd), mean, invStd};
}

} // namespace

LayerNormPieces sinan::graph::expandLayerNorm(LayerNormOp norm, OpBuilder &b) {
  Value x = norm.getInput();
  Expander e{b, norm.getLoc(), getElementTypeOrSelf(x)};
  Standardized s =
      standardize(e, x, axesFrom(norm.getAxis(), x), norm.getEpsilon());
  Value y = e.mul(s.normalized, norm.getScale());
  if (norm.getBias())
    y = e.add(y, norm.getBias());
  return {y, s.mean, s.invStdDev};
}

namespace {

Value expand(RmsNormOp norm, OpBuilder &b) {
  Value x = norm.getInput();
  Expander e{b, norm.getLoc(), getElementTypeOrSelf(x)};
  Value meanSquare =
      reduceMean(b, e.loc, e.mul(x, x), axesFrom(norm.getAxis(), x));
  Value epsilon = e.c(norm.getEpsilon().convertToFloat());
  Value factor = e.op<ReciprocalOp>(e.op<SqrtOp>(e.add(meanSquare, epsilon)));
  return e.mul(e.mul(x, factor), norm.getScale());
}

/// `v` reshaped to `shape` (itself when it has that shape already).
Value reshaped(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape) {
  auto type = RankedTensorType::get(shape, getElementTypeOrSelf(v));
  if (type == v.getType())
    return v;
  return ReshapeOp::create(b, loc, type, v);
}

Value expand(GroupNormOp norm, OpBuilder &b) {
  Value x = norm.getInput();
  Expander e{b, norm.getLoc(), getElementTypeOrSelf(x)};
  ArrayRef<int64_t> shape = cast<ShapedType>(x.getType()).getShape();
  int64_t groups = norm.getNumGroups(), channels = shape[1];
  // One channel per group (instance normalization): statistics over the
  // spatial axes; else over [N, G, C / G * spatial].
  SmallVector<int64_t> grouped(shape), axes;
  if (groups == channels) {
    for (int64_t d = 2; d < static_cast<int64_t>(shape.size()); ++d)
      axes.push_back(d);
  } else {
    int64_t perGroup = channels / groups;
    for (int64_t d : shape.drop_front(2))
      perGroup *= d;
    grouped = {shape[0], groups, perGroup};
    axes = {2};
  }
  Value view = reshaped(b, e.loc, x, grouped);
  Value normalized =
      reshaped(b, e.loc,
               standardize(e, view, axes, norm.getEpsilon()).normalized, shape);
  SmallVector<int64_t> perChannel{channels};
  perChannel.append(shape.size() - 2, 1);
  // One statement per op: argument evaluation order would shuffle them.
  Value scaled =
      e.mul(normalized, reshaped(b, e.loc, norm.getScale(), perChannel));
  Value bias = reshaped(b, e.loc, norm.getBias(), perChannel);
  return e.add(scaled, bias);
}

/// `x` ([B, Hkv, S, D]) with each head repeated `group` times in a row.
Value repeatHeads(OpBuilder &b, Location loc, Value x, int64_t group) {
  if (group == 1)
    return x;
  ArrayRef<int64_t> s = cast<ShapedType>(x.getType()).getShape();
  Value wide = reshaped(b, loc, x, {s[0], s[1], 1, s[2], s[3]});
  auto type = RankedTensorType::get({s[0], s[1], group, s[2], s[3]},
                                    getElementTypeOrSelf(x));
  Value tiled = BroadcastOp::create(b, loc, type, wide)->getResult(0);
  return reshaped(b, loc, tiled, {s[0], s[1] * group, s[2], s[3]});
}

Value expand(AttentionOp attention, OpBuilder &b) {
  Value q = attention.getQuery();
  Expander e{b, attention.getLoc(), getElementTypeOrSelf(q)};
  ArrayRef<int64_t> qs = cast<ShapedType>(q.getType()).getShape();
  ArrayRef<int64_t> ks =
      cast<ShapedType>(attention.getKey().getType()).getShape();
  int64_t group = qs[1] / ks[1];
  Value kAll = repeatHeads(b, e.loc, attention.getKey(), group);
  Value vAll = repeatHeads(b, e.loc, attention.getValue(), group);
  Value keysT =
      TransposeOp::create(b, e.loc, kAll, b.getDenseI64ArrayAttr({0, 1, 3, 2}))
          ->getResult(0);
  Value products = MatMulOp::create(b, e.loc, q, keysT)->getResult(0);
  Value scale = e.c(attention.getScale().convertToFloat());
  Value scores = e.mul(products, scale);
  double negInf = -std::numeric_limits<double>::infinity();
  if (Value mask = attention.getMask()) {
    if (getElementTypeOrSelf(mask).isInteger(1)) {
      Value blocked = e.c(negInf);
      scores = SelectOp::create(b, e.loc, mask, scores, blocked)->getResult(0);
    } else {
      scores = e.add(scores, mask);
    }
  }
  if (attention.getIsCausal()) {
    int64_t offset = attention.getCausalOffset();
    auto maskType = RankedTensorType::get({qs[2], ks[2]}, b.getI1Type());
    SmallVector<bool> allowed;
    for (int64_t i = 0; i < qs[2]; ++i)
      for (int64_t j = 0; j < ks[2]; ++j)
        allowed.push_back(j <= i + offset);
    Value causal =
        ConstantOp::create(b, e.loc, DenseElementsAttr::get(maskType, allowed));
    Value blocked = e.c(negInf);
    scores = SelectOp::create(b, e.loc, causal, scores, blocked)->getResult(0);
  }
  if (float cap = attention.getSoftcap().convertToFloat(); cap > 0) {
    Value c = e.c(cap);
    Value bounded = e.op<TanhOp>(e.op<DivOp>(scores, c));
    Value c2 = e.c(cap);
    scores = e.mul(c2, bounded);
  }
  Value probs = SoftmaxOp::create(b, e.loc, scores, b.getI64IntegerAttr(-1))
                    ->getResult(0);
  return MatMulOp::create(b, e.loc, probs, vAll)->getResult(0);
}

/// An average pooling (floor mode) as the depthwise convolution that sums
/// each window, then the division by each window's count, as the
/// reference kernel computes it: the convolution's first tap is a product
/// by 1 and each other tap one addition in the same row-major order (a
/// padded position adds a zero), and the division is the same f32 one.
/// When every window counts the same power of two of positions, the
/// division is folded into the weights instead (1 / count: scaling by a
/// power of two is exact). Null in ceil mode.
Value expand(AvgPool2dOp pool, OpBuilder &b) {
  auto type = dyn_cast<RankedTensorType>(pool.getInput().getType());
  auto resultType = dyn_cast<RankedTensorType>(pool.getType());
  ArrayRef<int64_t> kernel = pool.getKernel(), strides = pool.getStrides(),
                    pads = pool.getPads(), dilations = pool.getDilations();
  if (!type || !resultType || !type.hasStaticShape() ||
      !resultType.hasStaticShape() || type.getRank() != 4 ||
      !type.getElementType().isF32() || kernel.size() != 2 ||
      strides.size() != 2 || pads.size() != 4 || dilations.size() != 2 ||
      pool.getCeilMode())
    return {};
  int64_t h = type.getDimSize(2), w = type.getDimSize(3);
  int64_t oh = resultType.getDimSize(2), ow = resultType.getDimSize(3);
  // Each window's divisor: its positions inside the image, or with
  // count_include_pad inside the explicit padding too (the reference's).
  SmallVector<float> counts;
  for (int64_t y = 0; y < oh; ++y)
    for (int64_t x = 0; x < ow; ++x) {
      int64_t inside = 0, padded = 0;
      for (int64_t i = 0; i < kernel[0]; ++i)
        for (int64_t j = 0; j < kernel[1]; ++j) {
          int64_t iy = y * strides[0] - pads[0] + i * dilations[0];
          int64_t ix = x * strides[1] - pads[1] + j * dilations[1];
          padded += iy >= -pads[0] && iy < h + pads[2] && ix >= -pads[1] &&
                    ix < w + pads[3];
          inside += iy >= 0 && iy < h && ix >= 0 && ix < w;
        }
      counts.push_back(float(pool.getCountIncludePad() ? padded : inside));
    }
  if (llvm::is_contained(counts, 0.0f))
    return {};
  bool uniform = llvm::all_equal(counts);
  bool folded = uniform && llvm::isPowerOf2_64(uint64_t(counts.front()));
  int64_t channels = type.getDimSize(1);
  Location loc = pool.getLoc();
  auto weightType = RankedTensorType::get({channels, 1, kernel[0], kernel[1]},
                                          b.getF32Type());
  Value weights = ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(
          weightType,
          llvm::ArrayRef<float>(folded ? 1.0f / counts.front() : 1.0f)));
  Value sums =
      Conv2dOp::create(b, loc, resultType, pool.getInput(), weights, Value(),
                       pool.getStridesAttr(), pool.getPadsAttr(),
                       pool.getDilationsAttr(), b.getI64IntegerAttr(channels))
          .getResult();
  if (folded)
    return sums;
  // The divisors: one for every window, or a map over the output's rows
  // and columns that every image and channel shares.
  auto countType = uniform
                       ? RankedTensorType::get({}, b.getF32Type())
                       : RankedTensorType::get({1, 1, oh, ow}, b.getF32Type());
  Value divisors = ConstantOp::create(
      b, loc,
      uniform ? DenseElementsAttr::get(countType,
                                       llvm::ArrayRef<float>(counts.front()))
              : DenseElementsAttr::get(countType, llvm::ArrayRef(counts)));
  return DivOp::create(b, loc, sums, divisors)->getResult(0);
}

/// A local response normalization as a backend with a matrix unit runs it:
/// the squares, their sum over each channel's window as a 1x1 convolution
/// with a band of ones (a square, rounded to the convolution's precision,
/// times one, in the reference's ascending channel order; a channel past
/// either end adds nothing), then `x * exp(-beta * log(sum * alpha / size +
/// bias))`, the power as the exponential units compute it. Not the
/// reference's values bit for bit (its power and division are other
/// roundings): only for a backend that names it.
Value expand(LrnOp lrn, OpBuilder &b) {
  Value x = lrn.getInput();
  auto type = dyn_cast<RankedTensorType>(x.getType());
  if (!type || !type.hasStaticShape() || type.getRank() != 4 ||
      !type.getElementType().isF32() || lrn.getSize() < 1)
    return {};
  int64_t channels = type.getDimSize(1), size = lrn.getSize();
  int64_t before = (size - 1) / 2, after = size - 1 - before;
  SmallVector<float> band(channels * channels, 0.0f);
  for (int64_t f = 0; f < channels; ++f)
    for (int64_t c = std::max<int64_t>(f - before, 0);
         c <= std::min<int64_t>(f + after, channels - 1); ++c)
      band[f * channels + c] = 1.0f;
  Expander e{b, lrn.getLoc(), type.getElementType()};
  Value squares = e.mul(x, x);
  Value ones = ConstantOp::create(
      b, e.loc,
      DenseElementsAttr::get(
          RankedTensorType::get({channels, channels, 1, 1}, b.getF32Type()),
          llvm::ArrayRef(band)));
  auto window = Conv2dOp::create(
      b, e.loc, type, squares, ones, Value(), b.getDenseI64ArrayAttr({1, 1}),
      b.getDenseI64ArrayAttr({0, 0, 0, 0}), b.getDenseI64ArrayAttr({1, 1}),
      b.getI64IntegerAttr(1));
  // A normalization has no MACs of the network's (as on the host, where
  // an lrn counts none): the products are the matrix unit's overhead.
  window->setAttr(sinan::kNetworkMacsAttrName, b.getI64IntegerAttr(0));
  Value sums = window.getResult();
  Value scale = e.c(lrn.getAlpha().convertToFloat() / float(size));
  Value scaled = e.mul(sums, scale);
  Value bias = e.c(lrn.getBias().convertToFloat());
  Value base = e.add(scaled, bias);
  Value logs = e.op<LogOp>(base);
  Value exponent = e.c(-lrn.getBeta().convertToFloat());
  Value power = e.op<ExpOp>(e.mul(logs, exponent));
  return e.mul(x, power);
}

/// One dimension's resampling as the matrix [in x out] whose column o
/// holds the weights the reference's taps (ref::resizeTaps) give output o.
SmallVector<float>
resizeMatrix(const std::vector<std::vector<std::pair<int64_t, double>>> &taps,
             int64_t in) {
  int64_t out = int64_t(taps.size());
  SmallVector<float> matrix(in * out, 0.0f);
  for (int64_t o = 0; o < out; ++o)
    for (auto [i, weight] : taps[o])
      matrix[i * out + o] += float(weight);
  return matrix;
}

/// Whether `taps` take input o / (out / in) with weight 1 for every output
/// o: an integer nearest upsampling, whose rows can be repeated instead.
bool repeats(const std::vector<std::vector<std::pair<int64_t, double>>> &taps,
             int64_t in) {
  int64_t out = int64_t(taps.size());
  if (out % in)
    return false;
  for (int64_t o = 0; o < out; ++o)
    if (taps[o].size() != 1 || taps[o][0].first != o / (out / in) ||
        taps[o][0].second != 1.0)
      return false;
  return true;
}

/// The largest constant a resize's height product may replicate over the
/// images (each image's product takes the same [oh x h] matrix).
constexpr int64_t kMaxHeightMatrixBytes = 4 << 20;

} // namespace

/// A resize of the last two dimensions of [N, C, H, W], as a backend with a
/// matrix unit runs it: the width as the product of the input's rows with
/// the matrix of the reference's taps (ref::resizeTaps: its coordinate
/// rules, nearest rounding, linear and cubic weights); then an integer
/// nearest upsampling of the height repeats each row (a concatenation), any
/// other height is a batch of products, the [oh x h] matrix of its taps
/// with each image's rows (no transposes: the rows stay rows). The products
/// take their operands at the matrix unit's precision, so not the
/// reference's values bit for bit: only for a backend that names it.
namespace {

/// A transposed convolution as the convolution it is: the input with
/// s - 1 zeros after each element along each axis (a reshape, a pad, a
/// reshape), padded by d (k - 1) - p before and that plus the output
/// padding, less the s - 1 trailing zeros, after (cropped where negative),
/// then convolved at stride 1 with the weights turned ([Cin, Cout / g] to
/// [Cout, Cin / g]) and flipped. The nonzero products are the transposed
/// convolution's; the zeros' add nothing to a sum but the sign of a zero.
/// Null unless f32 with constant weights.
Value expand(ConvTranspose2dOp conv, OpBuilder &b) {
  auto in = dyn_cast<RankedTensorType>(conv.getInput().getType());
  auto out = dyn_cast<RankedTensorType>(conv.getType());
  auto constant = conv.getWeight().getDefiningOp<ConstantOp>();
  auto weights =
      constant ? dyn_cast<DenseElementsAttr>(constant.getValue()) : nullptr;
  if (!in || !out || !in.hasStaticShape() || !out.hasStaticShape() ||
      in.getRank() != 4 || !in.getElementType().isF32() || !weights ||
      !weights.getElementType().isF32() || weights.getType().getRank() != 4)
    return {};
  ArrayRef<int64_t> ws = weights.getType().getShape();
  int64_t n = in.getDimSize(0), c = in.getDimSize(1), h = in.getDimSize(2),
          w = in.getDimSize(3);
  int64_t g = conv.getGroup(), fg = ws[1], kh = ws[2], kw = ws[3];
  ArrayRef<int64_t> st = conv.getStrides(), pads = conv.getPads(),
                    dil = conv.getDilations(), extra = conv.getOutputPadding();
  if (g < 1 || c % g || ws[0] != c || st.size() != 2 || pads.size() != 4 ||
      dil.size() != 2 || extra.size() != 2)
    return {};
  int64_t cg = c / g, f = fg * g;
  Location loc = conv.getLoc();
  auto tensor = [&](ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, b.getF32Type());
  };
  Value x = conv.getInput();
  int64_t hz = h * st[0], wz = w * st[1];
  if (st[0] > 1 || st[1] > 1) {
    x = ReshapeOp::create(b, loc, tensor({n, c, h, 1, w, 1}), x).getResult();
    x = PadOp::create(
            b, loc, x, b.getDenseI64ArrayAttr({0, 0, 0, 0, 0, 0}),
            b.getDenseI64ArrayAttr({0, 0, 0, st[0] - 1, 0, st[1] - 1}),
            b.getF64FloatAttr(0.0), b.getStringAttr("constant"))
            ->getResult(0);
    x = ReshapeOp::create(b, loc, tensor({n, c, hz, wz}), x).getResult();
  }
  // The convolution's padding: top, left, bottom, right.
  SmallVector<int64_t> around = {
      dil[0] * (kh - 1) - pads[0], dil[1] * (kw - 1) - pads[1],
      dil[0] * (kh - 1) - pads[2] + extra[0] - (st[0] - 1),
      dil[1] * (kw - 1) - pads[3] + extra[1] - (st[1] - 1)};
  if (llvm::any_of(around, [](int64_t v) { return v < 0; })) {
    SmallVector<int64_t> starts = {0, 0, std::max<int64_t>(-around[0], 0),
                                   std::max<int64_t>(-around[1], 0)};
    SmallVector<int64_t> limits = {n, c, hz - std::max<int64_t>(-around[2], 0),
                                   wz - std::max<int64_t>(-around[3], 0)};
    if (limits[2] <= starts[2] || limits[3] <= starts[3])
      return {};
    x = SliceOp::create(b, loc, x, b.getDenseI64ArrayAttr(starts),
                        b.getDenseI64ArrayAttr(limits),
                        b.getDenseI64ArrayAttr({1, 1, 1, 1}))
            ->getResult(0);
    for (int64_t &v : around)
      v = std::max<int64_t>(v, 0);
  }
  // [Cin, Cout / g, kh, kw] -> [Cout, Cin / g, kh, kw], flipped.
  SmallVector<float> values(weights.getValues<float>());
  SmallVector<float> turned(values.size());
  for (int64_t gi = 0; gi < g; ++gi)
    for (int64_t o = 0; o < fg; ++o)
      for (int64_t ci = 0; ci < cg; ++ci)
        for (int64_t i = 0; i < kh; ++i)
          for (int64_t j = 0; j < kw; ++j)
            turned[(((gi * fg + o) * cg + ci) * kh + i) * kw + j] =
                values[(((gi * cg + ci) * fg + o) * kh + (kh - 1 - i)) * kw +
                       (kw - 1 - j)];
  Value kernel = ConstantOp::create(
      b, constant.getLoc(),
      DenseElementsAttr::get(tensor({f, cg, kh, kw}), ArrayRef(turned)));
  return Conv2dOp::create(b, loc, out, x, kernel, conv.getBias(),
                          b.getDenseI64ArrayAttr({1, 1}),
                          b.getDenseI64ArrayAttr(around),
                          conv.getDilationsAttr(), b.getI64IntegerAttr(g))
      .getResult();
}

} // namespace

Value sinan::graph::expandResize(ResizeOp resize, OpBuilder &b) {
  auto type = dyn_cast<RankedTensorType>(resize.getInput().getType());
  auto resultType = dyn_cast<RankedTensorType>(resize.getType());
  std::optional<sinan::ref::ResizeParams> params =
      sinan::resizeParamsOf(resize);
  if (!type || !resultType || !params || !type.hasStaticShape() ||
      !resultType.hasStaticShape() || type.getRank() != 4 ||
      !type.getElementType().isF32() ||
      type.getDimSize(0) != resultType.getDimSize(0) ||
      type.getDimSize(1) != resultType.getDimSize(1) ||
      type.getNumElements() == 0)
    return {};
  std::vector<int64_t> in(type.getShape().begin(), type.getShape().end()),
      out(resultType.getShape().begin(), resultType.getShape().end());
  sinan::ref::ResizeTaps taps = sinan::ref::resizeTaps(in, out, *params);
  int64_t batch = in[0] * in[1], h = in[2], w = in[3], oh = out[2], ow = out[3];
  bool repeated = repeats(taps[2], h);
  if (!repeated && batch * oh * h * 4 > kMaxHeightMatrixBytes)
    return {};
  Location loc = resize.getLoc();
  Type f32 = b.getF32Type();
  auto tensor = [&](ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, f32);
  };
  auto reshape = [&](Value v, ArrayRef<int64_t> shape) -> Value {
    return ReshapeOp::create(b, loc, tensor(shape), v).getResult();
  };
  auto product = [&](Value rows, int64_t k, ArrayRef<float> matrix,
                     int64_t n) -> Value {
    Value weights = ConstantOp::create(
        b, loc, DenseElementsAttr::get(tensor({k, n}), matrix));
    Operation *matmul = MatMulOp::create(b, loc, rows, weights);
    // A resize has no MACs of the network's (as on the host).
    matmul->setAttr(sinan::kNetworkMacsAttrName, b.getI64IntegerAttr(0));
    return matmul->getResult(0);
  };
  // The width: [batch * h, w] x [w, ow].
  Value y = resize.getInput();
  if (w != ow || !repeats(taps[3], w)) {
    y = reshape(y, {batch * h, w});
    y = product(y, w, resizeMatrix(taps[3], w), ow);
  }
  if (h == oh)
    return reshape(y, out);
  if (!repeated) {
    // The height: per image [oh, h] x [h, ow], the matrix the same for
    // every image (a batch of products with equal batch dimensions).
    SmallVector<float> columns = resizeMatrix(taps[2], h), rows;
    rows.reserve(batch * oh * h);
    for (int64_t image = 0; image < batch; ++image)
      for (int64_t o = 0; o < oh; ++o)
        for (int64_t i = 0; i < h; ++i)
          rows.push_back(columns[i * oh + o]);
    Value matrix = ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(tensor({batch, oh, h}), ArrayRef<float>(rows)));
    Operation *matmul =
        MatMulOp::create(b, loc, matrix, reshape(y, {batch, h, ow}));
    matmul->setAttr(sinan::kNetworkMacsAttrName, b.getI64IntegerAttr(0));
    return reshape(matmul->getResult(0), out);
  }
  // The height: each row repeated oh / h times.
  y = reshape(y, {batch, h, 1, ow});
  SmallVector<Value> copies(oh / h, y);
  y = ConcatOp::create(b, loc, copies, b.getI64IntegerAttr(2))->getResult(0);
  return reshape(y, out);
}

namespace {

struct GraphDecompose
    : public sinan::graph::impl::GraphDecomposeBase<GraphDecompose> {
  using GraphDecomposeBase::GraphDecomposeBase;

  bool wanted(StringRef name) const {
    return ops.empty() || llvm::is_contained(ops, name.str());
  }

  void runOnOperation() override {
    SmallVector<Operation *> composite;
    getOperation()->walk([&](Operation *op) {
      // (An average pooling, a local response normalization or a resize
      // only when named: none is a composite the reference defines by
      // pieces, only one a backend may run as convolutions, products and
      // elementwise ops.)
      bool named =
          (isa<AvgPool2dOp>(op) &&
           llvm::is_contained(ops, std::string("avg_pool2d"))) ||
          (isa<LrnOp>(op) && llvm::is_contained(ops, std::string("lrn"))) ||
          (isa<ResizeOp>(op) && llvm::is_contained(ops, std::string("resize")));
      // (A transposed convolution is no composite of the reference either;
      // decomposed wherever ops are not named: the host's convolution is
      // native code, its transposed one the reference kernel.)
      if ((named || isa<GeluOp, LayerNormOp, RmsNormOp, GroupNormOp,
                        AttentionOp, ConvTranspose2dOp>(op)) &&
          wanted(op->getName().stripDialect()) &&
          (placed.empty() || sinan::isPlacedOn(op, placed)))
        composite.push_back(op);
    });
    OpBuilder b(&getContext());
    for (Operation *op : composite) {
      b.setInsertionPoint(op);
      // The pieces, created between `before` and `op`, follow its placement.
      Operation *before = op->getPrevNode();
      Value result =
          TypeSwitch<Operation *, Value>(op)
              .Case([&](GeluOp gelu) { return expand(gelu, b); })
              .Case([&](LayerNormOp n) { return expandLayerNorm(n, b).output; })
              .Case([&](RmsNormOp n) { return expand(n, b); })
              .Case([&](GroupNormOp n) { return expand(n, b); })
              .Case([&](AttentionOp a) { return expand(a, b); })
              .Case([&](AvgPool2dOp p) { return expand(p, b); })
              .Case([&](LrnOp n) { return expand(n, b); })
              .Case([&](ConvTranspose2dOp c) { return expand(c, b); })
              .Case([&](ResizeOp r) { return expandResize(r, b); });
      if (!result)
        continue;
      SmallVector<Operation *> pieces;
      for (Operation *piece = before ? before->getNextNode()
                                     : &op->getBlock()->front();
           piece != op; piece = piece->getNextNode())
        pieces.push_back(piece);
      if (Attribute where = op->getAttr(sinan::kPlacementAttrName))
        for (Operation *piece : pieces)
          piece->setAttr(sinan::kPlacementAttrName, where);
      // The host's modeled time of a composite placed there (the timeline
      // charges each host step its own), shared by its pieces that are
      // steps (a reshape is a view of its operand's bytes).
      SmallVector<Operation *> steps;
      for (Operation *piece : pieces)
        if (!isa<ReshapeOp, ConstantOp>(piece))
          steps.push_back(piece);
      if (auto cycles =
              op->getAttrOfType<IntegerAttr>(sinan::kHostCyclesAttrName);
          cycles && !steps.empty()) {
        int64_t count = int64_t(steps.size());
        for (Operation *piece : steps)
          piece->setAttr(
              sinan::kHostCyclesAttrName,
              b.getI64IntegerAttr((cycles.getInt() + count - 1) / count));
      }
      op->getResult(0).replaceAllUsesWith(result);
      op->erase();
    }
  }
};

} // namespace
