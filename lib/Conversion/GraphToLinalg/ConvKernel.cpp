//===- ConvKernel.cpp - conv2d as an implicit GEMM on the CPU -------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A convolution is a GEMM per image and group: out[F, P] = W[F, K] x
// X[K, P], with K = input channels x taps and P the output positions. The
// kernel's work units are (image, group, block of positions, chunk of
// output channels). A unit runs K in passes of whole channels; each pass
// copies its rows of the block's X (the im2col of those positions, padding
// as zeros) into a scratch that stays in the core's L2 cache, then, per
// register tile of MR output channels, runs every panel of two vectors of
// positions over the pass's K: per k, two vector loads of X, MR broadcasts
// of W and 2 MR fused multiply-adds into accumulators that stay in
// registers (the tile's rows of W are read from memory once per pass). The
// last block's positions past its panels take a one-vector tile and a
// masked one. A 1x1 convolution with unit strides and no padding reads X
// in place. Every output sums from the bias over k = (channel, tap row,
// tap column) in ascending order, as the reference kernel's f32 path does,
// so results differ from it only by the rounding of fused multiply-adds,
// and equal inputs give equal outputs at every position (dot products
// along K for the last few positions, tried, broke that: a classifier's
// 1,000 equal logits came out a few ulp apart, and its softmax one-hot).
//
// A plane of few positions (ResNet-50's layer4: 49, which vectors of 16
// positions compute as 64; layer3: 196) turns the tile around: the lanes
// hold output channels and each position's X is broadcast. The weights are
// then read as panels of 2 vectors of output channels, [F / panel][K]
// [panel], which the runtime lays out once per session
// (module::CpuPackingDesc), and the sums go out by scatters. Each output still
// sums over k in ascending order with one fused multiply-add per k, so both
// forms give the same bits.
//===----------------------------------------------------------------------===//

#include "CpuKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinTypes.h"

#include <algorithm>

using namespace mlir;

namespace sinan {
namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t roundUp(int64_t a, int64_t b) { return ceilDiv(a, b) * b; }

/// Bytes of a unit's X that one pass over its tiles reads: a quarter of
/// the core's L2 cache, which leaves room for the weights' rows and the
/// output.
int64_t passBytes(const CpuKernelOptions &options) {
  return options.l2Bytes / 4;
}

struct ConvShape : Window2d {
  int64_t n, c, h, w, f, oh, ow, groups, cg, fg;
  bool bias;
  /// A matmul's A[..., M, K] takes W's place (F = M, C = K, one tap) and
  /// its B[..., K, N] X's (H = 1, W = N); `n` counts the result's matrices,
  /// `batch` is its batch shape, and each operand's matrix index is the
  /// sum over batch dimensions of the index times its stride (0 where the
  /// operand broadcasts).
  bool matmul = false;
  SmallVector<int64_t> batch, batchStrideW, batchStrideX;
  int64_t matricesW = 1, matricesX = 1;
  int64_t k() const { return cg * kh * kw; }
  int64_t p() const { return oh * ow; }
  /// X is the input itself, [C, H x W] per image.
  bool direct() const {
    // A matmul's B is packed (rows N apart, often a multiple of 4 KiB,
    // would fall into a few L1 sets), unless the product has so few rows
    // that each element of B serves a handful of multiply-adds: packing
    // ResNet-50's classifier, 1 x 2048 by 2048 x 1000, took 1.3 ms.
    if (matmul)
      return f <= 8;
    return kh == 1 && kw == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0 &&
           oh == h && ow == w;
  }
};

std::optional<ConvShape> convShapeOf(Operation *op) {
  if (op->getName().stripDialect() != "conv2d" || op->getNumResults() != 1 ||
      op->getNumOperands() < 2 || op->getNumOperands() > 3)
    return std::nullopt;
  auto x = staticF32(op->getOperand(0).getType(), 4);
  auto wt = staticF32(op->getOperand(1).getType(), 4);
  auto y = staticF32(op->getResult(0).getType(), 4);
  bool bias = op->getNumOperands() == 3;
  if (!x || !wt || !y || (bias && !staticF32(op->getOperand(2).getType(), 1)))
    return std::nullopt;
  int64_t groups = 1;
  if (auto attr = op->getAttrOfType<IntegerAttr>("group"))
    groups = attr.getInt();
  std::optional<Window2d> window =
      windowOf(op, {wt.getDimSize(2), wt.getDimSize(3)});
  if (!window || groups < 1)
    return std::nullopt;
  ConvShape s{};
  static_cast<Window2d &>(s) = *window;
  s.n = x.getDimSize(0);
  s.c = x.getDimSize(1);
  s.h = x.getDimSize(2);
  s.w = x.getDimSize(3);
  s.f = wt.getDimSize(0);
  s.cg = wt.getDimSize(1);
  s.oh = y.getDimSize(2);
  s.ow = y.getDimSize(3);
  s.groups = groups;
  s.bias = bias;
  // The verifier's rules, restated because the kernel's indexing relies on
  // them (windowOf checked the window's).
  if (s.c != s.cg * groups || s.f % groups != 0 || y.getDimSize(0) != s.n ||
      y.getDimSize(1) != s.f)
    return std::nullopt;
  s.fg = s.f / groups;
  return s;
}

/// C = A B with static f32 operands of rank >= 2 whose batch dimensions
/// broadcast NumPy-style onto the result's.
std::optional<ConvShape> matmulShapeOf(Operation *op) {
  if (op->getName().stripDialect() != "matmul" || op->getNumOperands() != 2 ||
      op->getNumResults() != 1)
    return std::nullopt;
  auto a = dyn_cast<RankedTensorType>(op->getOperand(0).getType());
  auto bt = dyn_cast<RankedTensorType>(op->getOperand(1).getType());
  auto c = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!a || !bt || !c || a.getRank() < 2 || bt.getRank() < 2 ||
      !staticF32(a, a.getRank()) || !staticF32(bt, bt.getRank()) ||
      !staticF32(c, c.getRank()))
    return std::nullopt;
  ArrayRef<int64_t> cs = c.getShape();
  int64_t m = cs.end()[-2], n = cs.back(), k = a.getShape().back();
  if (a.getShape().end()[-2] != m || bt.getShape().end()[-2] != k ||
      bt.getShape().back() != n)
    return std::nullopt;
  ConvShape s{};
  s.matmul = true;
  ArrayRef<int64_t> batch = cs.drop_back(2);
  s.batch.assign(batch.begin(), batch.end());
  // Each operand's matrix stride per result batch dimension (0 where it
  // broadcasts), from its own trailing batch dimensions.
  auto strides = [&](RankedTensorType t, SmallVector<int64_t> &out) {
    ArrayRef<int64_t> own = t.getShape().drop_back(2);
    if (own.size() > batch.size())
      return false;
    out.assign(batch.size(), 0);
    int64_t stride = 1;
    for (size_t i = own.size(); i-- > 0;) {
      size_t d = i + batch.size() - own.size();
      if (own[i] != 1 && own[i] != batch[d])
        return false;
      out[d] = own[i] == 1 ? 0 : stride;
      stride *= own[i];
    }
    return true;
  };
  if (!strides(a, s.batchStrideW) || !strides(bt, s.batchStrideX))
    return std::nullopt;
  s.n = 1;
  for (int64_t d : batch)
    s.n *= d;
  s.c = s.cg = k;
  s.h = s.oh = 1;
  s.w = s.ow = n;
  s.f = s.fg = m;
  s.kh = s.kw = 1;
  s.groups = 1;
  s.sh = s.sw = s.dh = s.dw = 1;
  s.pt = s.pl = s.pb = s.pr = 0;
  s.bias = false;
  // One B for every batch and an A of its own per batch: one matrix of
  // batches x M rows, so that tiles span batches (PyTorch's sequence-first
  // attention projections multiply A [L, 1, E]: L products of one row).
  if (s.n > 1 && llvm::all_of(s.batchStrideX, [](int64_t v) { return !v; }) &&
      a.getNumElements() == s.n * m * k) {
    s.f = s.fg = s.n * m;
    s.n = 1;
    s.batch.clear();
    s.batchStrideW.clear();
    s.batchStrideX.clear();
  }
  s.matricesW = a.getNumElements() / (s.f * k);
  s.matricesX = bt.getNumElements() / (k * n);
  return s;
}

std::optional<ConvShape> gemmShapeOf(Operation *op) {
  if (isCpuPlane(op))
    return std::nullopt; // One input channel per group: PlaneKernel.cpp.
  if (auto s = convShapeOf(op))
    return s;
  return matmulShapeOf(op);
}

/// Whether the kernel's lanes hold output channels rather than positions:
/// for planes of at most 256 positions, in one block, whose channels come
/// in whole panels (of two vectors). Measured on ResNet-50's layers, one
/// thread: 49 positions waste no lanes (layer4's 3x3 2.72 -> 2.22 ms),
/// and at 196 the broadcasts beat rows of W read a plane apart (layer3's
/// 1x1 reduce 1.06-1.28 -> 0.92 ms, its 3x3 2.41 -> 2.15 ms); at 784
/// (layer2) the block no longer fits the L2 cache (its 1x1 expand 0.97 ->
/// 1.14-1.5 ms).
bool channelLanes(const ConvShape &s, const CpuKernelOptions &options) {
  int64_t vl = options.vectorBits / 32;
  return !s.matmul && options.vectorBits >= 256 && s.fg % (2 * vl) == 0 &&
         s.p() <= 256;
}

/// How the work is cut into units.
struct ConvPlan {
  ConvShape s;
  /// With output channels in the lanes: channels per panel of the packed
  /// weights (two vectors), and positions per register tile. Else 0.
  int64_t panel = 0, tile = 0;
  int64_t block;   ///< Positions per unit: the scratch's row length.
  int64_t pBlocks; ///< Blocks of positions per image and group.
  int64_t mChunk;  ///< Output channels per unit (a multiple of 4).
  int64_t mChunks;
  /// Rows of K per pass over a unit's tiles: the block's rows of X that a
  /// pass reads stay in the core's L2 cache while every tile reads them.
  int64_t kc;
  int64_t extent() const { return s.n * s.groups * pBlocks * mChunks; }
};

ConvPlan planConv(const ConvShape &s, const CpuKernelOptions &options) {
  ConvPlan plan;
  plan.s = s;
  int64_t k = s.k(), p = s.p();
  if (channelLanes(s, options)) {
    plan.panel = options.vectorBits / 16;
    // 2 x 12 accumulators and 2 vectors of weights in AVX-512's 32
    // registers (the broadcasts are memory operands), 2 x 6 in AVX2's 16.
    plan.tile = options.vectorBits >= 512 ? 12 : 6;
  }
  // A block of X of about the L2 cache's size stays in it beside a tile's
  // rows of W while every tile of output channels reads it (its passes
  // below read a quarter each).
  int64_t block = (options.l2Bytes / 4 / k) / 32 * 32;
  // Units for the threads come from blocks of positions first (a unit packs
  // its own block, so splitting output channels packs again), down to 64
  // positions; 16 of them, since oneTBB balances small units better than
  // one per thread when a worker wakes late.
  block = std::min(block, roundUp(ceilDiv(p, 16), 32));
  // But where the weights outweigh the input, one block: every block reads
  // all of W, from memory in a network (ResNet-50's layer3 1x1s read their
  // 1 MiB four times over for blocks of 64 of 196 positions).
  if (s.fg * k > k * p || plan.panel)
    block = roundUp(p, 32);
  plan.block = std::clamp<int64_t>(block, std::min<int64_t>(64, roundUp(p, 32)),
                                   roundUp(p, 32));
  plan.pBlocks = ceilDiv(p, plan.block);
  // Then output channels, to reach 8 units where they allow, or only 2
  // where every unit would pack the same block (ResNet-50's layer4, 49
  // positions: 8 units took 1.2x the time of 2 on two threads, packing 4
  // times as often). Chunks of equal height, a multiple of 4, for balance.
  int64_t units = s.n * s.groups * plan.pBlocks;
  int64_t target = plan.pBlocks == 1 && !s.direct() ? 2 : 8;
  int64_t chunks =
      std::min(ceilDiv(target, units), std::max<int64_t>(1, s.fg / 24));
  plan.mChunk = roundUp(ceilDiv(s.fg, chunks), plan.panel ? plan.panel : 4);
  plan.mChunks = ceilDiv(s.fg, plan.mChunk);
  // Passes over K of at most passBytes of X each (several of even
  // size): ResNet-50's layer4 (K = 4608) streamed its 1.2 MiB block of X
  // from memory once per tile.
  // With channels in the lanes a pass's sums go out (and come back) by
  // scatters and gathers, so passes are twice as long: its X and the
  // panel's weights still fit a 1 MiB L2.
  int64_t passes = ceilDiv(k * (plan.block + 16) * 4,
                           (plan.panel ? 2 : 1) * passBytes(options));
  // Whole channels' taps per pass (each pass packs its own).
  int64_t taps = s.kh * s.kw;
  plan.kc = ceilDiv(s.cg, passes) * taps;
  return plan;
}

class ConvEmitter {
public:
  ConvEmitter(OpBuilder &b, Location loc, const ConvPlan &plan,
              const CpuKernelOptions &options, const CpuEpilogue &epilogue)
      : b(b), loc(loc), plan(plan), s(plan.s), epilogue(epilogue) {
    vl = std::max<int64_t>(4, options.vectorBits / 32);
    nr = 2 * vl;
    // Accumulators: 2 MR vectors, plus two of X and a broadcast, within
    // the register file (32 registers with AVX-512, 16 below).
    mr = options.vectorBits >= 512 ? 12 : options.vectorBits >= 256 ? 6 : 4;
    vectorType = VectorType::get({vl}, b.getF32Type());
  }

  void emit(ValueRange buffers, Value begin, Value end);

private:
  /// Where a unit's operands are.
  struct Unit {
    Value x;     ///< X as rows of K: the input's [N C, H W] or the scratch.
    Value xRow;  ///< X's row of k = 0.
    Value xCol;  ///< X's column of the block's first position.
    Value width; ///< Positions in the block.
    Value wRow;  ///< W's row of the unit's first output channel.
    Value outRow, outCol;
    Value rows; ///< Output channels of the unit.
    /// The pass's rows of K, [kBegin, kEnd); whether it is the first (the
    /// sums start from the bias) and the last (the epilogue follows).
    Value kBegin, kEnd, first, last;
  };

  void pack(Value input, Value scratch, Value n, Value g, Value p0, Value width,
            Value c0, Value c1);
  /// body(v, tap, offsets, mask) per vector `v` of the block's positions
  /// [p0, p0 + width) and tap: the lanes' offsets into a channel's plane
  /// and whether they read it (inside the plane and the block).
  void forTapVectors(
      Value p0, Value width,
      llvm::function_ref<void(OpBuilder &, Value, Value, Value, Value)> body);
  /// The block's offsets and masks into offsetTable and maskTable.
  void fillPackTables(Value p0, Value width);
  /// `value` with its leading dimensions merged, keeping the last `keep`.
  Value collapseAll(Value value, unsigned keep) {
    auto type = cast<MemRefType>(value.getType());
    unsigned rank = type.getRank();
    ReassociationIndices lead;
    for (unsigned d = 0; d + keep < rank; ++d)
      lead.push_back(d);
    SmallVector<ReassociationIndices> groups = {lead};
    for (unsigned d = rank - keep; d < rank; ++d)
      groups.push_back({int64_t(d)});
    return memref::CollapseShapeOp::create(b, loc, value, groups);
  }
  /// [matrices x K, N] as [matrices, K, 1, N].
  Value expandTo4d(Value rows) {
    auto type = MemRefType::get({s.matricesX, s.c, 1, s.w}, b.getF32Type());
    return memref::ExpandShapeOp::create(
        b, loc, type, rows, SmallVector<ReassociationIndices>{{0, 1}, {2, 3}});
  }
  /// An operand's matrix for the result's matrix `n`.
  Value matrixOf(Value n, ArrayRef<int64_t> strides) {
    IndexMath m{b, loc};
    Value index = m.c(0), rest = n;
    for (size_t d = s.batch.size(); d-- > 0;) {
      if (strides[d])
        index = m.add(index, m.mul(m.rem(rest, s.batch[d]), strides[d]));
      rest = m.div(rest, s.batch[d]);
    }
    return index;
  }
  /// The epilogue on one stored vector at `indices` of the output: the
  /// residual added (as the reference's add), then relu or clip.
  Value applyEpilogue(Value value, ArrayRef<Value> indices, Value mask,
                      Value zeros) {
    if (residual) {
      SmallVector<Value> at(indices);
      if (residualRow)
        at = {indices[1]};
      Value r = mask ? vector::MaskedLoadOp::create(b, loc, vectorType,
                                                    residual, at, mask, zeros)
                           .getResult()
                     : vector::LoadOp::create(b, loc, vectorType, residual, at)
                           .getResult();
      value = arith::AddFOp::create(b, loc, value, r);
    }
    return applyActivation(b, loc, epilogue, value);
  }
  /// The accumulators' values before K's pass: `start`'s (the bias or
  /// zeros) on the first pass, `partial`'s (the sums so far) on the others.
  SmallVector<Value>
  initialSums(const Unit &u, int64_t count,
              llvm::function_ref<SmallVector<Value>(OpBuilder &)> start,
              llvm::function_ref<SmallVector<Value>(OpBuilder &)> partial);
  /// `store(last)`: through the epilogue after K's last pass, as they are
  /// after the others.
  void storeSums(const Unit &u, llvm::function_ref<void(bool)> store);
  void emitPanels(const Unit &u);
  /// With output channels in the lanes: per panel of the unit's channels,
  /// tiles of plan.tile positions, then the rest.
  void emitChannelPanels(const Unit &u);
  void emitChannelTile(const Unit &u, Value channel, Value col,
                       int64_t positions);
  void emitTile(const Unit &u, int64_t rows, Value rowOffset, Value col,
                Value remaining, int64_t vectors);
  /// Row blocks of `rows` over the unit's output channels: whole ones,
  /// then the last chunk's partial one.
  void forRowBlocks(const Unit &u, int64_t rows,
                    llvm::function_ref<void(int64_t, Value)> tile);
  /// Positions in the last block of positions.
  int64_t lastWidth() const { return s.p() - (plan.pBlocks - 1) * plan.block; }

  OpBuilder &b;
  Location loc;
  const ConvPlan &plan;
  const ConvShape &s;
  int64_t vl, nr, mr;
  VectorType vectorType;
  const CpuEpilogue &epilogue;
  Value weight, bias, output;
  /// With output channels in the lanes: the packed weights, the output and
  /// the residual as rows of elements.
  Value weightFlat, outputFlat, residualFlat;
  /// And the sums between K's passes: [unit's channels / vl][P][vl].
  Value sums;
  /// pack's lanes per (tap, vector of the block): their offsets into a
  /// channel's plane and whether they read it (0 or -1), as i32.
  Value offsetTable, maskTable;
  int64_t blockVectors() const { return plan.block / vl; }
  /// Whether a vector's lanes read consecutive elements of the input
  /// (unit column stride and rows as wide as the output's), or every
  /// other one of a row (column stride 2 and output rows of whole vectors,
  /// so that no vector spans two rows: blocks are whole vectors).
  bool contiguous() const { return s.sw == 1 && s.ow == s.w; }
  bool pairs() const { return s.sw == 2 && s.ow % vl == 0; }
  bool packTables() const { return s.cg >= 16; }
  /// The epilogue's residual, as the output's rows or one row.
  Value residual;
  bool residualRow = false;
};

void ConvEmitter::emit(ValueRange buffers, Value begin, Value end) {
  Value input = buffers[0];
  bias = s.bias ? buffers[2] : Value();
  if (epilogue.residual) {
    Value r = buffers[buffers.size() - 2];
    auto type = cast<MemRefType>(r.getType());
    residualRow = type != buffers.back().getType();
    // The output's collapsed view (below), or the row's elements.
    residual =
        residualRow
            ? collapseAll(r, 0)
            : (s.matmul ? collapseAll(r, 1)
                        : memref::CollapseShapeOp::create(
                              b, loc, r,
                              SmallVector<ReassociationIndices>{{0, 1}, {2, 3}})
                              .getResult());
  }
  if (s.matmul) {
    // As a convolution: A (buffers[0]) is W, [batches x M, K]; B is X,
    // [batches, K, 1, N]; C is [batches x M, N].
    weight = collapseAll(buffers[0], 1);
    input = expandTo4d(collapseAll(buffers[1], 1));
    output = collapseAll(buffers.back(), 1);
  } else {
    weight = memref::CollapseShapeOp::create(
        b, loc, buffers[1], SmallVector<ReassociationIndices>{{0}, {1, 2, 3}});
    output = memref::CollapseShapeOp::create(
        b, loc, buffers.back(),
        SmallVector<ReassociationIndices>{{0, 1}, {2, 3}});
  }
  if (plan.panel) {
    weightFlat = collapseAll(buffers[1], 0);
    outputFlat = collapseAll(buffers.back(), 0);
    if (epilogue.residual)
      residualFlat = collapseAll(buffers[buffers.size() - 2], 0);
    if (s.k() > plan.kc)
      sums = memref::AllocOp::create(
          b, loc, MemRefType::get({plan.mChunk * s.p()}, b.getF32Type()),
          b.getI64IntegerAttr(64));
  }
  bool direct = s.direct();
  Value x, scratch;
  if (direct) {
    x = memref::CollapseShapeOp::create(
        b, loc, input, SmallVector<ReassociationIndices>{{0, 1}, {2, 3}});
  } else {
    // Rows an odd number of cache lines apart, so that a tile's walk down
    // its columns spreads over the L1 cache's sets.
    auto type = MemRefType::get({plan.kc, plan.block + 16}, b.getF32Type());
    scratch = memref::AllocOp::create(b, loc, type, b.getI64IntegerAttr(64));
    x = scratch;
    if (packTables()) {
      // pack's tables (for many channels; see there).
      auto tableType =
          MemRefType::get({s.kh * s.kw * blockVectors(), vl}, b.getI32Type());
      offsetTable =
          memref::AllocOp::create(b, loc, tableType, b.getI64IntegerAttr(64));
      maskTable =
          memref::AllocOp::create(b, loc, tableType, b.getI64IntegerAttr(64));
    }
  }
  forLoop(b, loc, begin, end, [&](OpBuilder &nb, Value t) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
    IndexMath m{b, loc};
    Value mc = m.rem(t, plan.mChunks), rest = m.div(t, plan.mChunks);
    Value pb = m.rem(rest, plan.pBlocks);
    rest = m.div(rest, plan.pBlocks);
    Value g = m.rem(rest, s.groups), n = m.div(rest, s.groups);
    Value p0 = m.mul(pb, plan.block);
    Value width = m.min(m.c(plan.block), m.sub(m.c(s.p()), p0));
    Value m0 = m.mul(mc, plan.mChunk);
    Value firstChannel = m.add(m.mul(g, s.fg), m0);
    Unit u;
    u.x = x;
    u.width = width;
    u.wRow = s.matmul
                 ? m.add(m.mul(matrixOf(n, s.batchStrideW), s.f), firstChannel)
                 : firstChannel;
    Value xImage = s.matmul ? matrixOf(n, s.batchStrideX) : n;
    u.outRow = m.add(m.mul(n, s.f), firstChannel);
    u.outCol = p0;
    u.xRow = direct ? m.add(m.mul(xImage, s.c), m.mul(g, s.cg)) : m.c(0);
    u.xCol = direct ? p0 : m.c(0);
    u.rows = m.min(m.c(plan.mChunk), m.sub(m.c(s.fg), m0));
    int64_t passes = ceilDiv(s.k(), plan.kc);
    // In one pass the scratches hold the previous unit's block of X: output
    // channel chunks vary fastest, so a thread's range of units packs each
    // block once. Over several, each pass packs its own rows of K (a
    // scratch of all of K would go through the L3 cache and back between
    // the packing and the tiles).
    Value repack;
    if (!direct && passes == 1)
      repack = arith::OrIOp::create(b, loc,
                                    m.cmp(arith::CmpIPredicate::eq, mc, m.c(0)),
                                    m.cmp(arith::CmpIPredicate::eq, t, begin));
    // Under `repack` in one pass, each time over several.
    auto packing = [&](llvm::function_ref<void()> emitPack) {
      OpBuilder::InsertionGuard inner(b);
      if (repack) {
        auto branch = scf::IfOp::create(b, loc, repack, /*withElse=*/false);
        b.setInsertionPointToStart(&branch.getThenRegion().front());
      }
      emitPack();
    };
    // The block's pack tables, once for all the passes.
    if (!direct && packTables())
      packing([&] { fillPackTables(p0, width); });
    auto runPass = [&](Value pass) {
      IndexMath km{b, loc};
      u.kBegin = passes == 1 ? km.c(0) : km.mul(pass, plan.kc);
      u.kEnd = passes == 1 ? km.c(s.k())
                           : km.min(km.add(u.kBegin, plan.kc), km.c(s.k()));
      if (!direct) {
        u.xRow = km.sub(km.c(0), u.kBegin); // The scratch's row of kBegin.
        packing([&] {
          IndexMath im{b, loc};
          pack(input, scratch, xImage, g, p0, width,
               im.div(u.kBegin, s.kh * s.kw), im.div(u.kEnd, s.kh * s.kw));
        });
      }
      if (plan.panel)
        emitChannelPanels(u);
      else
        emitPanels(u);
    };
    if (passes == 1) {
      runPass(m.c(0));
    } else {
      forLoop(b, loc, m.c(0), m.c(passes), [&](OpBuilder &nb, Value pass) {
        OpBuilder::InsertionGuard inner(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        IndexMath km{b, loc};
        u.first = km.cmp(arith::CmpIPredicate::eq, pass, km.c(0));
        u.last = km.cmp(arith::CmpIPredicate::eq, pass, km.c(passes - 1));
        runPass(pass);
      });
    }
  });
  for (Value buffer : {scratch, offsetTable, maskTable, sums})
    if (buffer)
      memref::DeallocOp::create(b, loc, buffer);
}

/// Per tile of output channels, every full panel of `nr` positions of the
/// block, then, in the last block, the rest: a whole vector's tile and a
/// masked vector's. The tile's rows of W stay in the core's caches
/// across the panels: W is read from memory once per pass (ResNet-50's
/// layer4 reads 9.4 MB of weights for 49 positions).
void ConvEmitter::emitPanels(const Unit &u) {
  IndexMath m{b, loc};
  Value panels = m.div(u.width, nr);
  // Only the last block is partial (blocks are whole panels), so the
  // rest's size is known here.
  int64_t rest = lastWidth() % nr;
  Value partial =
      rest ? m.cmp(arith::CmpIPredicate::ne, m.rem(u.width, nr), m.c(0))
           : Value();
  forRowBlocks(u, mr, [&](int64_t rows, Value rowOffset) {
    forLoop(b, loc, m.c(0), panels, [&](OpBuilder &pb, Value panel) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(pb.getInsertionBlock(), pb.getInsertionPoint());
      emitTile(u, rows, rowOffset, IndexMath{b, loc}.mul(panel, nr), Value(),
               2);
    });
    if (!rest)
      return;
    auto branch = scf::IfOp::create(b, loc, partial, /*withElse=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&branch.getThenRegion().front());
    IndexMath im{b, loc};
    Value col = im.mul(panels, nr);
    int64_t left = rest;
    if (left >= vl) {
      emitTile(u, rows, rowOffset, col, Value(), 1);
      col = im.add(col, vl);
      left -= vl;
    }
    if (left)
      emitTile(u, rows, rowOffset, col, im.c(left), 1);
  });
}

SmallVector<Value> ConvEmitter::initialSums(
    const Unit &u, int64_t count,
    llvm::function_ref<SmallVector<Value>(OpBuilder &)> start,
    llvm::function_ref<SmallVector<Value>(OpBuilder &)> partial) {
  if (!u.first)
    return start(b);
  auto branch =
      scf::IfOp::create(b, loc, SmallVector<Type>(count, vectorType), u.first,
                        /*withElseRegion=*/true);
  OpBuilder tb = branch.getThenBodyBuilder();
  scf::YieldOp::create(tb, loc, start(tb));
  OpBuilder eb = branch.getElseBodyBuilder();
  scf::YieldOp::create(eb, loc, partial(eb));
  return SmallVector<Value>(branch.getResults());
}

void ConvEmitter::storeSums(const Unit &u,
                            llvm::function_ref<void(bool)> store) {
  if (!u.last) {
    store(true);
    return;
  }
  auto branch = scf::IfOp::create(b, loc, u.last, /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&branch.getThenRegion().front());
  store(true);
  b.setInsertionPointToStart(&branch.getElseRegion().front());
  store(false);
}

void ConvEmitter::emitChannelPanels(const Unit &u) {
  IndexMath m{b, loc};
  // One block holds every position (planConv), in tiles of as even sizes
  // as their count allows: `wide` tiles of size + 1, then the others (49
  // positions as 10, 10, 10, 10, 9: a last tile of one position would
  // wait on each of its two sums' latency at every k).
  int64_t positions = s.p(), tiles = ceilDiv(positions, plan.tile);
  int64_t size = positions / tiles, wide = positions % tiles;
  forLoop(
      b, loc, m.c(0), m.div(u.rows, plan.panel),
      [&](OpBuilder &pb, Value panel) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(pb.getInsertionBlock(), pb.getInsertionPoint());
        IndexMath pm{b, loc};
        Value channel = pm.mul(panel, plan.panel);
        auto run = [&](int64_t first, int64_t count, int64_t width) {
          forLoop(b, loc, pm.c(0), pm.c(count), [&](OpBuilder &tb, Value tile) {
            OpBuilder::InsertionGuard inner(b);
            b.setInsertionPoint(tb.getInsertionBlock(), tb.getInsertionPoint());
            IndexMath tm{b, loc};
            emitChannelTile(u, channel, tm.add(tm.mul(tile, width), first),
                            width);
          });
        };
        if (wide)
          run(0, wide, size + 1);
        run(wide * (size + 1), tiles - wide, size);
      });
}

/// A panel of output channels from the unit's `channel` x `positions`
/// positions from column `col` of the block: per k, the panel's vectors of
/// packed weights times each position's broadcast X.
void ConvEmitter::emitChannelTile(const Unit &u, Value channel, Value col,
                                  int64_t positions) {
  IndexMath m{b, loc};
  int64_t vectors = plan.panel / vl, k = s.k(), p = s.p();
  Value zeros = arith::ConstantOp::create(
      b, loc, vectorType,
      DenseElementsAttr::get(vectorType, b.getF32FloatAttr(0.0f)));
  auto i32Vector = VectorType::get({vl}, b.getI32Type());
  auto maskType = VectorType::get({vl}, b.getI1Type());
  // A vector's lanes are output channels, a plane of p elements apart.
  SmallVector<int32_t> strides;
  for (int64_t lane = 0; lane < vl; ++lane)
    strides.push_back(int32_t(lane * p));
  Value laneOffsets = arith::ConstantOp::create(
      b, loc, i32Vector, DenseElementsAttr::get(i32Vector, ArrayRef(strides)));
  Value all = arith::ConstantOp::create(b, loc, maskType,
                                        DenseElementsAttr::get(maskType, true));
  Value firstChannel = m.add(u.wRow, channel);
  Value outRow = m.add(u.outRow, channel);
  // Output element (row r of the tile's vector v, position j).
  auto flatAt = [&](IndexMath &im, int64_t v, int64_t j) {
    return im.add(im.mul(im.add(outRow, v * vl), p),
                  im.add(im.add(u.outCol, col), j));
  };
  auto startValues = [&](OpBuilder &sb) {
    IndexMath sm{sb, loc};
    SmallVector<Value> start;
    for (int64_t v = 0; v < vectors; ++v)
      start.push_back(bias ? vector::LoadOp::create(
                                 sb, loc, vectorType, bias,
                                 ValueRange{sm.add(firstChannel, v * vl)})
                                 .getResult()
                           : zeros);
    SmallVector<Value> init;
    for (int64_t j = 0; j < positions; ++j)
      init.append(start);
    return init;
  };
  auto gather = [&](OpBuilder &gb, Value from, Value at) -> Value {
    return vector::GatherOp::create(gb, loc, vectorType, from, ValueRange{at},
                                    laneOffsets, all, zeros);
  };
  // Between K's passes the sums wait in the unit's scratch, a vector per
  // (channel vector, position): only the last pass scatters them into the
  // output's planes (a scatter and a gather per vector and pass cost
  // ResNet-50's layer4 3x3s 10-15 % of their time).
  auto sumsAt = [&](IndexMath &im, int64_t v, int64_t j) {
    Value vector = im.add(im.div(channel, vl), v);
    return im.mul(im.add(im.mul(vector, p), im.add(col, j)), vl);
  };
  auto partialSums = [&](OpBuilder &sb) {
    IndexMath sm{sb, loc};
    SmallVector<Value> init;
    for (int64_t j = 0; j < positions; ++j)
      for (int64_t v = 0; v < vectors; ++v)
        init.push_back(vector::LoadOp::create(sb, loc, vectorType, sums,
                                              ValueRange{sumsAt(sm, v, j)}));
    return init;
  };
  SmallVector<Value> init =
      initialSums(u, vectors * positions, startValues, partialSums);
  // The panel's row of k = 0 in the packed weights, and the distance to
  // the next panel's (0 in the unit's last panel, which prefetches its own
  // rows: the address stays inside the weights).
  Value panelBase = m.mul(m.div(firstChannel, plan.panel), k * plan.panel);
  Value nextPanel = m.select(
      m.cmp(arith::CmpIPredicate::slt, m.add(channel, plan.panel), u.rows),
      m.c(k * plan.panel), m.c(0));
  auto loop = scf::ForOp::create(
      b, loc, u.kBegin, u.kEnd, m.c(1), init,
      [&](OpBuilder &kb, Location, Value kk, ValueRange acc) {
        IndexMath km{kb, loc};
        Value wAt = km.add(panelBase, km.mul(kk, plan.panel));
        // The next panel's row of k, fetched while this panel's tiles run:
        // its first tile would otherwise wait on memory for every line (a
        // network's weights are not in the caches; ResNet-50's layer4
        // 1x1s took 1.5x their time in the network).
        for (int64_t v = 0; v < plan.panel; v += 64 / 4)
          memref::PrefetchOp::create(
              kb, loc, weightFlat,
              ValueRange{km.add(km.add(wAt, nextPanel), v)},
              /*isWrite=*/false, /*localityHint=*/2, /*isDataCache=*/true);
        SmallVector<Value> wv;
        for (int64_t v = 0; v < vectors; ++v)
          wv.push_back(vector::LoadOp::create(kb, loc, vectorType, weightFlat,
                                              ValueRange{km.add(wAt, v * vl)}));
        Value xRow = km.add(u.xRow, kk);
        Value xCol = km.add(u.xCol, col);
        SmallVector<Value> next;
        for (int64_t j = 0; j < positions; ++j) {
          Value xs = memref::LoadOp::create(kb, loc, u.x,
                                            ValueRange{xRow, km.add(xCol, j)});
          Value xv = vector::BroadcastOp::create(kb, loc, vectorType, xs);
          for (int64_t v = 0; v < vectors; ++v)
            next.push_back(vector::FMAOp::create(kb, loc, vectorType, wv[v], xv,
                                                 acc[vectors * j + v]));
        }
        scf::YieldOp::create(kb, loc, next);
      });
  auto store = [&](bool last) {
    for (int64_t j = 0; j < positions; ++j)
      for (int64_t v = 0; v < vectors; ++v) {
        Value value = loop.getResult(vectors * j + v);
        if (!last) {
          vector::StoreOp::create(b, loc, value, sums,
                                  ValueRange{sumsAt(m, v, j)});
          continue;
        }
        Value at = flatAt(m, v, j);
        if (residualFlat)
          value =
              arith::AddFOp::create(b, loc, value, gather(b, residualFlat, at));
        value = applyActivation(b, loc, epilogue, value);
        vector::ScatterOp::create(b, loc, Type(), outputFlat, ValueRange{at},
                                  laneOffsets, all, value);
      }
  };
  storeSums(u, store);
}

void ConvEmitter::forRowBlocks(const Unit &u, int64_t rows,
                               llvm::function_ref<void(int64_t, Value)> tile) {
  IndexMath m{b, loc};
  Value fullBlocks = m.div(u.rows, rows);
  forLoop(b, loc, m.c(0), fullBlocks, [&](OpBuilder &rb, Value block) {
    OpBuilder::InsertionGuard inner(b);
    b.setInsertionPoint(rb.getInsertionBlock(), rb.getInsertionPoint());
    tile(rows, IndexMath{b, loc}.mul(block, rows));
  });
  // A chunk has mChunk rows but for the last, so the partial block's
  // height is one of two known here.
  int64_t tail = plan.mChunk % rows;
  int64_t lastTail = (s.fg - (plan.mChunks - 1) * plan.mChunk) % rows;
  if (!tail && !lastTail)
    return;
  Value last = m.cmp(arith::CmpIPredicate::ne, u.rows, m.c(plan.mChunk));
  auto branch = scf::IfOp::create(b, loc, last, /*withElse=*/true);
  OpBuilder::InsertionGuard inner(b);
  for (auto [region, height] : {std::pair(&branch.getThenRegion(), lastTail),
                                {&branch.getElseRegion(), tail}}) {
    if (!height)
      continue;
    b.setInsertionPointToStart(&region->front());
    tile(height, IndexMath{b, loc}.mul(fullBlocks, rows));
  }
}

/// `rows` output channels x `vectors` vectors of positions from column
/// `col` of the block; with `remaining`, only that many positions are
/// loaded (when X is the input itself) and stored.
void ConvEmitter::emitTile(const Unit &u, int64_t rows, Value rowOffset,
                           Value col, Value remaining, int64_t vectors) {
  IndexMath m{b, loc};
  Value wRow = m.add(u.wRow, rowOffset);
  SmallVector<Value> masks;
  Value zeros = arith::ConstantOp::create(
      b, loc, vectorType,
      DenseElementsAttr::get(vectorType, b.getF32FloatAttr(0.0f)));
  if (remaining)
    for (int64_t v = 0; v < vectors; ++v) {
      Value count = m.max(m.sub(remaining, m.c(v * vl)), m.c(0));
      masks.push_back(vector::CreateMaskOp::create(
          b, loc, VectorType::get({vl}, b.getI1Type()), ValueRange{count}));
    }
  Value outRow = m.add(u.outRow, rowOffset);
  auto outAt = [&](IndexMath &im, int64_t i, int64_t v) {
    return SmallVector<Value>{im.add(outRow, i),
                              im.add(im.add(u.outCol, col), v * vl)};
  };
  // The sums start from the bias, or, past K's first pass, from the
  // previous passes' sums in the output (the same order of additions).
  auto startValues = [&](OpBuilder &sb) {
    IndexMath sm{sb, loc};
    SmallVector<Value> init;
    for (int64_t i = 0; i < rows; ++i) {
      Value start = zeros;
      if (bias) {
        Value scalar =
            memref::LoadOp::create(sb, loc, bias, ValueRange{sm.add(wRow, i)});
        start = vector::BroadcastOp::create(sb, loc, vectorType, scalar);
      }
      init.append(vectors, start);
    }
    return init;
  };
  auto partialSums = [&](OpBuilder &sb) {
    IndexMath sm{sb, loc};
    SmallVector<Value> init;
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t v = 0; v < vectors; ++v)
        init.push_back(
            remaining
                ? vector::MaskedLoadOp::create(sb, loc, vectorType, output,
                                               outAt(sm, i, v), masks[v], zeros)
                      .getResult()
                : vector::LoadOp::create(sb, loc, vectorType, output,
                                         outAt(sm, i, v))
                      .getResult());
    return init;
  };
  SmallVector<Value> init =
      initialSums(u, vectors * rows, startValues, partialSums);
  // The lines the epilogue reads and writes, fetched while the products
  // run: a tile's rows are a plane apart, too many streams for the
  // hardware prefetchers (ResNet-50's layer1 1x1s, whose residual and
  // output planes are 3 MiB each).
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t v = 0; v < vectors; ++v) {
      SmallVector<Value> at = outAt(m, i, v);
      memref::PrefetchOp::create(b, loc, output, at, /*isWrite=*/true,
                                 /*localityHint=*/3, /*isDataCache=*/true);
      if (residual && !residualRow)
        memref::PrefetchOp::create(b, loc, residual, at, /*isWrite=*/false,
                                   /*localityHint=*/3, /*isDataCache=*/true);
    }
  bool maskLoads = remaining && s.direct();
  auto loop = scf::ForOp::create(
      b, loc, u.kBegin, u.kEnd, m.c(1), init,
      [&](OpBuilder &kb, Location, Value k, ValueRange acc) {
        IndexMath km{kb, loc};
        Value xRow = km.add(u.xRow, k);
        Value xv[2];
        for (int64_t v = 0; v < vectors; ++v) {
          Value xCol = km.add(km.add(u.xCol, col), v * vl);
          xv[v] = maskLoads
                      ? vector::MaskedLoadOp::create(kb, loc, vectorType, u.x,
                                                     ValueRange{xRow, xCol},
                                                     masks[v], zeros)
                            .getResult()
                      : vector::LoadOp::create(kb, loc, vectorType, u.x,
                                               ValueRange{xRow, xCol})
                            .getResult();
        }
        SmallVector<Value> next;
        for (int64_t i = 0; i < rows; ++i) {
          Value w = memref::LoadOp::create(kb, loc, weight,
                                           ValueRange{km.add(wRow, i), k});
          Value wv = vector::BroadcastOp::create(kb, loc, vectorType, w);
          for (int64_t v = 0; v < vectors; ++v)
            next.push_back(vector::FMAOp::create(kb, loc, vectorType, wv, xv[v],
                                                 acc[vectors * i + v]));
        }
        scf::YieldOp::create(kb, loc, next);
      });
  // The sums go out, through the epilogue after K's last pass.
  auto store = [&](bool last) {
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t v = 0; v < vectors; ++v) {
        Value value = loop.getResult(vectors * i + v);
        SmallVector<Value> indices = outAt(m, i, v);
        if (last)
          value = applyEpilogue(value, indices, remaining ? masks[v] : Value(),
                                zeros);
        if (remaining)
          vector::MaskedStoreOp::create(b, loc, output, indices, masks[v],
                                        value);
        else
          vector::StoreOp::create(b, loc, value, output, indices);
      }
  };
  storeSums(u, store);
}

void ConvEmitter::forTapVectors(
    Value p0, Value width,
    llvm::function_ref<void(OpBuilder &, Value, Value, Value, Value)> body) {
  IndexMath m{b, loc};
  auto i32Vector = VectorType::get({vl}, b.getI32Type());
  auto splat = [&](OpBuilder &sb, int64_t v) -> Value {
    return arith::ConstantOp::create(
        sb, loc, i32Vector, DenseElementsAttr::get(i32Vector, int32_t(v)));
  };
  auto toI32 = [&](OpBuilder &sb, Value index) -> Value {
    Value i = arith::IndexCastOp::create(sb, loc, sb.getI32Type(), index);
    return vector::BroadcastOp::create(sb, loc, i32Vector, i);
  };
  Value lanes =
      vector::StepOp::create(b, loc, VectorType::get({vl}, b.getIndexType()));
  lanes = arith::IndexCastOp::create(b, loc, i32Vector, lanes);
  bool firstLaneBased = contiguous() || pairs();
  Value vectors = m.div(m.add(width, vl - 1), vl);
  forLoop(b, loc, m.c(0), vectors, [&](OpBuilder &vb, Value v) {
    IndexMath vm{vb, loc};
    // The lanes' positions, their output rows and columns.
    Value p = arith::AddIOp::create(
        vb, loc, toI32(vb, vm.add(p0, vm.mul(v, vl))), lanes);
    Value inBlock = arith::CmpIOp::create(vb, loc, arith::CmpIPredicate::slt, p,
                                          toI32(vb, vm.add(p0, width)));
    Value oh = arith::DivUIOp::create(vb, loc, p, splat(vb, s.ow));
    Value ow = arith::RemUIOp::create(vb, loc, p, splat(vb, s.ow));
    Value y0 = arith::SubIOp::create(
        vb, loc, arith::MulIOp::create(vb, loc, oh, splat(vb, s.sh)),
        splat(vb, s.pt));
    Value x0 = arith::SubIOp::create(
        vb, loc, arith::MulIOp::create(vb, loc, ow, splat(vb, s.sw)),
        splat(vb, s.pl));
    auto inside = [&](OpBuilder &ib, Value at, int64_t size) -> Value {
      Value lo = arith::CmpIOp::create(ib, loc, arith::CmpIPredicate::sge, at,
                                       splat(ib, 0));
      Value hi = arith::CmpIOp::create(ib, loc, arith::CmpIPredicate::slt, at,
                                       splat(ib, size));
      return arith::AndIOp::create(ib, loc, lo, hi);
    };
    forLoop(vb, loc, vm.c(0), vm.c(s.kh), [&](OpBuilder &ib, Value i) {
      IndexMath im{ib, loc};
      Value iy = arith::AddIOp::create(ib, loc, y0, toI32(ib, im.mul(i, s.dh)));
      Value rowMask =
          arith::AndIOp::create(ib, loc, inBlock, inside(ib, iy, s.h));
      Value rowBase = arith::MulIOp::create(ib, loc, iy, splat(ib, s.w));
      forLoop(ib, loc, im.c(0), im.c(s.kw), [&](OpBuilder &jb, Value j) {
        IndexMath jm{jb, loc};
        Value ix =
            arith::AddIOp::create(jb, loc, x0, toI32(jb, jm.mul(j, s.dw)));
        Value mask =
            arith::AndIOp::create(jb, loc, rowMask, inside(jb, ix, s.w));
        Value offsets = arith::AddIOp::create(jb, loc, rowBase, ix);
        // A gather's lanes outside read offset 0, so that no address
        // leaves the input; consecutive lanes (or every other element)
        // keep the first lane's own offset (valid or not), where their
        // masked loads start.
        if (!firstLaneBased)
          offsets =
              arith::SelectOp::create(jb, loc, mask, offsets, splat(jb, 0));
        body(jb, v, jm.add(jm.mul(i, s.kw), j), offsets, mask);
      });
    });
  });
}

void ConvEmitter::fillPackTables(Value p0, Value width) {
  auto i32Vector = VectorType::get({vl}, b.getI32Type());
  forTapVectors(
      p0, width,
      [&](OpBuilder &tb, Value v, Value tap, Value offsets, Value mask) {
        IndexMath tm{tb, loc};
        Value row = tm.add(tm.mul(tap, blockVectors()), v);
        vector::StoreOp::create(tb, loc, offsets, offsetTable,
                                ValueRange{row, tm.c(0)});
        vector::StoreOp::create(
            tb, loc, arith::ExtSIOp::create(tb, loc, i32Vector, mask),
            maskTable, ValueRange{row, tm.c(0)});
      });
}

/// Copies the block [p0, p0 + width) of X for image `n`, group `g`, its
/// channels [c0, c1), into the scratch's rows of k = (channel - c0, tap
/// row, tap column), with zeros where a tap falls in the padding and after
/// `width` up to a whole vector (so that a tile's loads never see stale
/// data): a masked load when the lanes read consecutive elements (unit
/// column stride and rows as wide as the output's), else a gather. The
/// lanes' offsets and masks are the same for every channel: with many
/// channels they come from the tables (fillPackTables, once per block) and
/// each channel's taps fill consecutive rows of the scratch; with a few (a
/// stem's 3), each (vector, tap) computes them and copies every channel.
void ConvEmitter::pack(Value input, Value scratch, Value n, Value g, Value p0,
                       Value width, Value c0, Value c1) {
  IndexMath m{b, loc};
  auto i32Vector = VectorType::get({vl}, b.getI32Type());
  Value zeros = arith::ConstantOp::create(
      b, loc, vectorType,
      DenseElementsAttr::get(vectorType, b.getF32FloatAttr(0.0f)));
  // The input as one row of elements; channel `c`'s plane starts at
  // ((n C) + g cg + c) H W.
  Value flat = memref::CollapseShapeOp::create(
      b, loc, input, SmallVector<ReassociationIndices>{{0, 1, 2, 3}});
  int64_t plane = s.h * s.w;
  Value firstPlane = m.mul(m.add(m.mul(n, s.c), m.mul(g, s.cg)), plane);
  int64_t taps = s.kh * s.kw;
  // One vector of a channel's tap.
  auto copy = [&](OpBuilder &cb, Value c, Value tap, Value offsets, Value mask,
                  Value v) {
    IndexMath cm{cb, loc};
    Value base = cm.add(firstPlane, cm.mul(c, plane));
    Value value;
    auto firstLane = [&] {
      return cm.add(base, arith::IndexCastOp::create(
                              cb, loc, cb.getIndexType(),
                              vector::ExtractOp::create(cb, loc, offsets,
                                                        ArrayRef<int64_t>{0})));
    };
    if (contiguous()) {
      value = vector::MaskedLoadOp::create(
          cb, loc, vectorType, flat, ValueRange{firstLane()}, mask, zeros);
    } else if (pairs()) {
      // Every other element of 2 vl: two masked loads (a lane's element
      // where the lane reads, never the odd ones between) and their even
      // elements (a stride-2 stem's gathers took a quarter of its time).
      Value first = firstLane();
      auto maskType = VectorType::get({vl}, cb.getI1Type());
      Value none = arith::ConstantOp::create(
          cb, loc, maskType, DenseElementsAttr::get(maskType, false));
      Value halves[2];
      for (int64_t half = 0; half < 2; ++half) {
        SmallVector<int64_t> spread;
        for (int64_t e = 0; e < vl; ++e)
          spread.push_back(e % 2 ? vl : half * vl / 2 + e / 2);
        Value halfMask = vector::ShuffleOp::create(cb, loc, mask, none, spread);
        halves[half] = vector::MaskedLoadOp::create(
            cb, loc, vectorType, flat, ValueRange{cm.add(first, half * vl)},
            halfMask, zeros);
      }
      SmallVector<int64_t> even;
      for (int64_t e = 0; e < vl; ++e)
        even.push_back(2 * e);
      value = vector::ShuffleOp::create(cb, loc, halves[0], halves[1], even);
    } else {
      value = vector::GatherOp::create(cb, loc, vectorType, flat,
                                       ValueRange{base}, offsets, mask, zeros);
    }
    Value k = cm.add(cm.mul(cm.sub(c, c0), taps), tap);
    vector::StoreOp::create(cb, loc, value, scratch,
                            ValueRange{k, cm.mul(v, vl)});
  };
  if (!packTables()) {
    forTapVectors(
        p0, width,
        [&](OpBuilder &tb, Value v, Value tap, Value offsets, Value mask) {
          forLoop(tb, loc, c0, c1, [&](OpBuilder &cb, Value c) {
            copy(cb, c, tap, offsets, mask, v);
          });
        });
    return;
  }
  Value vectors = m.div(m.add(width, vl - 1), vl);
  forLoop(b, loc, c0, c1, [&](OpBuilder &cb, Value c) {
    forLoop(cb, loc, IndexMath{cb, loc}.c(0), IndexMath{cb, loc}.c(taps),
            [&](OpBuilder &tb, Value tap) {
              IndexMath tm{tb, loc};
              Value row0 = tm.mul(tap, blockVectors());
              forLoop(tb, loc, tm.c(0), vectors, [&](OpBuilder &vb, Value v) {
                IndexMath vm{vb, loc};
                Value row = vm.add(row0, v);
                Value mask = arith::CmpIOp::create(
                    vb, loc, arith::CmpIPredicate::ne,
                    vector::LoadOp::create(vb, loc, i32Vector, maskTable,
                                           ValueRange{row, vm.c(0)}),
                    arith::ConstantOp::create(
                        vb, loc, i32Vector,
                        DenseElementsAttr::get(i32Vector, int32_t(0))));
                Value offsets = vector::LoadOp::create(
                    vb, loc, i32Vector, offsetTable, ValueRange{row, vm.c(0)});
                copy(vb, c, tap, offsets, mask, v);
              });
            });
  });
}

} // namespace

bool isCpuGemm(Operation *op) { return gemmShapeOf(op).has_value(); }

int64_t gemmKernelExtent(Operation *op, const CpuKernelOptions &options) {
  return planConv(*gemmShapeOf(op), options).extent();
}

int64_t gemmKernelUnitWork(Operation *op, const CpuKernelOptions &options) {
  ConvPlan plan = planConv(*gemmShapeOf(op), options);
  return plan.mChunk * plan.s.k() * plan.block;
}

int64_t gemmWeightPanel(Operation *op, const CpuKernelOptions &options) {
  return planConv(*gemmShapeOf(op), options).panel;
}

void buildGemmKernelBody(OpBuilder &b, Location loc, Operation *op,
                         ValueRange buffers, Value begin, Value end,
                         const CpuKernelOptions &options,
                         const CpuEpilogue &epilogue) {
  ConvPlan plan = planConv(*gemmShapeOf(op), options);
  ConvEmitter(b, loc, plan, options, epilogue).emit(buffers, begin, end);
}

} // namespace sinan
