//===- AttentionToNpu.cpp - graph.attention as one SNPU kernel ------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// softmax(Q K^T * scale + mask) V for a block of query rows at a time, with
// the block's scores and probabilities kept in local memory: the matrix
// unit forms the scores into `acc`, the vector unit scales, masks and
// normalizes them into `vbuf` and rounds them to bf16, the DMA moves them
// into `ibuf`, and the matrix unit weighs the values with them. Each head's
// keys (transposed on the vector unit) and values stay in `wbuf` for all
// its query blocks. The cores take heads, or the query blocks of each head
// when there are fewer heads than cores.
//
//===----------------------------------------------------------------------===//

#include "Conv.h"
#include "Tiling.h"

#include "sinan/Conversion/GraphToNpu.h"
#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Dialect/Npu/IR/NpuOps.h"
#include "sinan/runtime/Numerics.h"
#include "sinan/runtime/Target.h"

#include "llvm/Support/FormatVariadic.h"

#include <array>
#include <cmath>

using namespace mlir;
using namespace sinan;
using namespace sinan::tiling;

namespace {

/// What the kernel computes, from the op's types.
struct AttentionShape {
  int64_t batch = 0, heads = 0, kvHeads = 0, group = 0;
  int64_t queries = 0, keys = 0, depth = 0, valueDepth = 0;
  float scale = 1;
  bool mask = false;
  /// Element strides of the mask over [B, H, Sq, Sk] (0: broadcast).
  std::array<int64_t, 4> maskStrides = {0, 0, 0, 0};
};

/// Block sizes and the split over cores.
struct AttentionPlan {
  /// Query rows per block, a multiple of the matrix tile's m.
  int64_t rows = 0;
  /// The cores take whole heads (else every head's query blocks).
  bool splitHeads = true;
  /// The cores take whole batch indices, each every head of its own
  /// (Swin's 64 windows of three heads).
  bool splitBatch = false;
  int64_t cores = 1;
  double cycles = 0;
  /// Copies of each head's and each block's buffers (1: the loop over
  /// them is npu.buffered, so loads wait for the buffers' last use).
  int64_t headCopies = 2, blockCopies = 2;
  /// A core's blocks of one head are software-pipelined: the head's
  /// queries (and mask rows) load at once, and each block's scores are
  /// computed before the block ahead of it takes its P V product, so the
  /// matrix unit works while the vector unit runs the softmax before
  /// (AttentionTiler::pipelinedHead). Only where a core runs whole heads.
  bool pipelined = false;
};

/// A strided view of a row-major buffer: `shape` and `strides` (elements)
/// from element `offset`. How the kernel reads an operand that reshapes,
/// transposes and slices made from a kernel argument (and writes a result
/// that they turn into one), without moving it.
struct StridedView {
  int64_t offset = 0;
  SmallVector<int64_t, 4> shape, strides;

  static StridedView contiguous(ArrayRef<int64_t> shape) {
    StridedView view;
    view.shape.assign(shape.begin(), shape.end());
    view.strides.assign(shape.size(), 1);
    for (int64_t d = int64_t(shape.size()) - 2; d >= 0; --d)
      view.strides[d] = view.strides[d + 1] * shape[d + 1];
    return view;
  }
};

/// `view` seen as `shape` (same elements in row-major order), or nullopt
/// when that needs a copy: merged dimensions must be contiguous together.
std::optional<StridedView> reshaped(const StridedView &view,
                                    ArrayRef<int64_t> shape) {
  SmallVector<std::pair<int64_t, int64_t>> from; // Non-unit dims.
  for (auto [size, stride] : llvm::zip(view.shape, view.strides))
    if (size != 1)
      from.push_back({size, stride});
  StridedView out;
  out.offset = view.offset;
  out.shape.assign(shape.begin(), shape.end());
  out.strides.assign(shape.size(), 0);
  size_t i = 0, j = 0;
  while (j < shape.size()) {
    if (shape[j] == 1) {
      ++j;
      continue;
    }
    if (i == from.size())
      return std::nullopt;
    // A group: source dims [i, i2) and target dims [j, j2) of one size.
    size_t i2 = i + 1, j2 = j + 1;
    int64_t a = from[i].first, b = shape[j];
    while (a != b) {
      if (a < b) {
        if (i2 == from.size() ||
            from[i2 - 1].second != from[i2].second * from[i2].first)
          return std::nullopt;
        a *= from[i2++].first;
      } else {
        while (j2 < shape.size() && shape[j2] == 1)
          ++j2;
        if (j2 == shape.size())
          return std::nullopt;
        b *= shape[j2++];
      }
    }
    int64_t stride = from[i2 - 1].second;
    for (size_t d = j2; d-- > j;) {
      out.strides[d] = stride;
      stride *= shape[d];
    }
    i = i2;
    j = j2;
  }
  if (i != from.size())
    return std::nullopt;
  return out;
}

/// The view of `op`'s result from its operand's (a reshape, a transpose or
/// a unit-step slice), or nullopt.
std::optional<StridedView> forward(Operation *op, const StridedView &in) {
  auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!type || !type.hasStaticShape())
    return std::nullopt;
  if (llvm::isa<graph::ReshapeOp>(op))
    return reshaped(in, type.getShape());
  if (auto transpose = dyn_cast<graph::TransposeOp>(op)) {
    StridedView out;
    out.offset = in.offset;
    for (int64_t p : transpose.getPermutation()) {
      out.shape.push_back(in.shape[p]);
      out.strides.push_back(in.strides[p]);
    }
    return out;
  }
  if (auto slice = dyn_cast<graph::SliceOp>(op)) {
    if (llvm::any_of(slice.getSteps(), [](int64_t s) { return s != 1; }) ||
        slice.getStarts().size() != in.shape.size())
      return std::nullopt;
    StridedView out = in;
    for (auto [d, start] : llvm::enumerate(slice.getStarts())) {
      out.offset += start * in.strides[d];
      out.shape[d] = type.getDimSize(d);
    }
    return out;
  }
  return std::nullopt;
}

/// The view of `op`'s operand from its result's (a reshape or a transpose
/// that the kernel writes through), or nullopt.
std::optional<StridedView> backward(Operation *op, const StridedView &out) {
  auto type = dyn_cast<RankedTensorType>(op->getOperand(0).getType());
  if (!type || !type.hasStaticShape())
    return std::nullopt;
  if (llvm::isa<graph::ReshapeOp>(op))
    return reshaped(out, type.getShape());
  if (auto transpose = dyn_cast<graph::TransposeOp>(op)) {
    StridedView in = out;
    for (auto [i, p] : llvm::enumerate(transpose.getPermutation())) {
      in.shape[p] = out.shape[i];
      in.strides[p] = out.strides[i];
    }
    return in;
  }
  return std::nullopt;
}

bool isViewOp(Operation *op) {
  return op &&
         llvm::isa<graph::ReshapeOp, graph::TransposeOp, graph::SliceOp>(op);
}

/// The longest run `chain[0, keep)` of view ops leading away from `value`
/// whose view of `value`, from the contiguous layout of the tensor at the
/// run's far end (`far` of its last op) and through `step` of each op back
/// towards `value`, keeps the innermost dimension contiguous; with that view.
/// An empty run and `value`'s own layout when none does.
std::pair<SmallVector<Operation *>, StridedView> longestRun(
    Value value, ArrayRef<Operation *> chain,
    function_ref<Value(Operation *)> far,
    function_ref<std::optional<StridedView>(Operation *, const StridedView &)>
        step) {
  for (size_t keep = chain.size(); keep > 0; --keep) {
    auto type = cast<RankedTensorType>(far(chain[keep - 1]).getType());
    if (!type.hasStaticShape())
      continue;
    std::optional<StridedView> view = StridedView::contiguous(type.getShape());
    for (size_t i = keep; view && i-- > 0;)
      view = step(chain[i], *view);
    if (view && view->strides.back() == 1)
      return {SmallVector<Operation *>(chain.take_front(keep)), *view};
  }
  auto type = cast<RankedTensorType>(value.getType());
  return {{}, StridedView::contiguous(type.getShape())};
}

/// The view ops from `value` back to where the kernel reads it (nearest
/// first) and its view of that source: the longest run of single-use view
/// ops `allowed` takes whose view keeps the innermost dimension contiguous.
std::pair<SmallVector<Operation *>, StridedView>
readThrough(Value value, function_ref<bool(Operation *)> allowed) {
  SmallVector<Operation *> chain;
  for (Operation *def = value.getDefiningOp();
       isViewOp(def) && def->hasOneUse() && allowed(def);
       def = def->getOperand(0).getDefiningOp())
    chain.push_back(def);
  return longestRun(
      value, chain, [](Operation *op) { return op->getOperand(0); }, forward);
}

/// The view ops from `value` forward to what the kernel writes (each the
/// only user of the one before: reshapes and transposes) and `value`'s view
/// of that result.
std::pair<SmallVector<Operation *>, StridedView>
writeThrough(Value value, function_ref<bool(Operation *)> allowed) {
  SmallVector<Operation *> chain;
  for (Value at = value; at.hasOneUse();) {
    Operation *user = *at.getUsers().begin();
    if (!llvm::isa<graph::ReshapeOp, graph::TransposeOp>(user) ||
        !allowed(user))
      break;
    chain.push_back(user);
    at = user->getResult(0);
  }
  return longestRun(
      value, chain, [](Operation *op) { return op->getResult(0); }, backward);
}

/// Bytes per element of a kernel argument or result as stored in DRAM.
int64_t elementBytesOf(Type type) {
  return bytesOf(getElementTypeOrSelf(type));
}

/// Where the kernel reads Q, K and V and writes the result: a kernel
/// argument (or the result) each, the [B, H, S, X] view of it, and its
/// bytes per element in DRAM.
struct Operand {
  unsigned arg = 0;
  StridedView view;
  int64_t bytes = 4;
};
/// The product a QKV group's kernel (sinan-form-layer-groups) computes Q,
/// K and V from, in local memory: x (its first argument, [S, model]) times
/// the weights, plus the bias row (its third argument); per operand (Q, K,
/// V) head h's columns of the product start at column first + h * step.
struct Projection {
  graph::MatMulOp matmul;
  int64_t model = 0, width = 0, xBytes = 4;
  std::array<int64_t, 3> first = {0, 0, 0}, step = {0, 0, 0};
};

struct Operands {
  Operand q, k, v, out;
  std::optional<unsigned> mask;
  std::optional<Projection> projection;
};

FailureOr<AttentionShape> shapeOf(graph::AttentionOp op, std::string &why) {
  auto fail = [&](StringRef text) {
    why = text.str();
    return failure();
  };
  auto q = dyn_cast<RankedTensorType>(op.getQuery().getType());
  auto k = dyn_cast<RankedTensorType>(op.getKey().getType());
  auto v = dyn_cast<RankedTensorType>(op.getValue().getType());
  auto out = dyn_cast<RankedTensorType>(op.getType());
  for (RankedTensorType type : {q, k, v, out})
    if (!type || !type.hasStaticShape() || type.getRank() != 4 ||
        !type.getElementType().isF32() || type.getNumElements() == 0)
      return fail("the operands are not static non-empty 4-D f32 tensors");
  if (op.getIsCausal())
    return fail("is_causal (a causal mask is not generated on the device)");
  if (op.getSoftcap().convertToFloat() > 0)
    return fail("a softcap");
  AttentionShape shape;
  shape.batch = q.getDimSize(0);
  shape.heads = q.getDimSize(1);
  shape.queries = q.getDimSize(2);
  shape.depth = q.getDimSize(3);
  shape.kvHeads = k.getDimSize(1);
  shape.keys = k.getDimSize(2);
  shape.valueDepth = v.getDimSize(3);
  if (shape.kvHeads == 0 || shape.heads % shape.kvHeads)
    return fail("query heads that are not a multiple of the key heads");
  shape.group = shape.heads / shape.kvHeads;
  shape.scale = op.getScale().convertToFloat();
  if (Value mask = op.getMask()) {
    auto type = dyn_cast<RankedTensorType>(mask.getType());
    if (!type || !type.hasStaticShape() || !type.getElementType().isF32() ||
        type.getRank() > 4)
      return fail("a mask that is not a static f32 tensor of rank <= 4");
    std::array<int64_t, 4> full = {shape.batch, shape.heads, shape.queries,
                                   shape.keys};
    int64_t stride = 1;
    for (int64_t d = 3, m = type.getRank() - 1; m >= 0; --d, --m) {
      int64_t size = type.getDimSize(m);
      if (size != full[d] && size != 1)
        return fail("a mask that does not broadcast to the scores");
      shape.maskStrides[d] = size == 1 ? 0 : stride;
      stride *= size;
    }
    if (shape.keys > 1 && shape.maskStrides[3] != 1)
      return fail("a mask broadcast along the keys");
    // (Kernel formation would copy a one-element constant into the kernel.)
    if (type.getNumElements() == 1)
      return fail("a one-element mask");
    shape.mask = true;
  }
  return shape;
}

/// Padded sizes of the kernel's local tiles.
struct Tiles {
  int64_t depth, scoreCols, probCols, valueCols;
  Tiles(const AttentionShape &s, const MatrixTile &tile)
      : depth(roundUp(s.depth, tile.k)), scoreCols(roundUp(s.keys, tile.n)),
        probCols(roundUp(s.keys, tile.k)),
        valueCols(roundUp(s.valueDepth, tile.n)) {}
};

/// Whether the scale is a power of two, which applies to K exactly (bf16
/// keeps every bit of a product by it, and scaled products sum to the
/// scaled sum): one pass over K instead of one over every block's scores.
bool scaleFoldsIntoKeys(const AttentionShape &s) {
  int exponent = 0;
  return s.scale != 1 && std::isfinite(s.scale) && s.scale > 0 &&
         std::frexp(s.scale, &exponent) == 0.5f;
}

/// Whether the local buffers fit for blocks of `rows` query rows, with
/// `headCopies` of each head's buffers and `blockCopies` of each block's
/// (sinan-npu-multi-buffer gives a loop of two or more steps two copies of
/// the buffers it owns, unless it is marked npu.buffered).
bool fits(const AttentionShape &s, const TargetDesc &target, int64_t rows,
          int64_t headCopies, int64_t blockCopies) {
  const MatrixTile &tile = target.matrixTiles.at(DType::BF16);
  int64_t align = target.alignmentBytes;
  Tiles t(s, tile);
  auto bytes = [&](int64_t r, int64_t cols, int64_t element) {
    return r * pitch(cols, element, align) * element;
  };
  int64_t wbuf = headCopies * (bytes(t.depth, t.scoreCols, 2) +
                               bytes(t.probCols, t.valueCols, 2));
  int64_t ibuf =
      blockCopies * (bytes(rows, t.depth, 2) + bytes(rows, t.probCols, 2));
  int64_t acc =
      blockCopies * (bytes(rows, t.scoreCols, 4) + bytes(rows, t.valueCols, 4));
  int64_t vbuf =
      headCopies * (bytes(s.keys, s.depth, 2) + bytes(s.depth, s.keys, 2)) +
      blockCopies * (bytes(rows, s.keys, 4) + bytes(rows, s.keys, 2) +
                     bytes(1, rows, 4) + (s.mask ? bytes(rows, s.keys, 4) : 0));
  return wbuf <= int64_t(target.wbuf.sizeBytes) &&
         ibuf <= int64_t(target.ibuf.sizeBytes) &&
         acc <= int64_t(target.acc.sizeBytes) &&
         vbuf <= int64_t(target.vbuf.sizeBytes);
}

/// Whether the pipelined form's buffers fit (pipelinedHead): per head its
/// keys, values, queries and mask rows; two of each block buffer the
/// engines hand over (scores, rounded probabilities in vbuf and ibuf, the
/// weighted sums) and one of the vector unit's own; one copy of all of it
/// (a core's loop over heads is npu.buffered).
bool fitsPipelined(const AttentionShape &s, const TargetDesc &target,
                   int64_t rows, const Projection *projection = nullptr) {
  const MatrixTile &tile = target.matrixTiles.at(DType::BF16);
  int64_t align = target.alignmentBytes;
  Tiles t(s, tile);
  auto bytes = [&](int64_t r, int64_t cols, int64_t element) {
    return r * pitch(cols, element, align) * element;
  };
  int64_t padded = roundUp(rows, tile.m);
  int64_t maskRows = s.maskStrides[2] ? s.queries : 1;
  int64_t wbuf =
      bytes(t.depth, t.scoreCols, 2) + bytes(t.probCols, t.valueCols, 2);
  int64_t ibuf = bytes(roundUp(s.queries, tile.m), t.depth, 2) +
                 2 * bytes(padded, t.probCols, 2);
  int64_t acc =
      2 * (bytes(padded, t.scoreCols, 4) + bytes(padded, t.valueCols, 4));
  int64_t vbuf = bytes(s.keys, s.depth, 2) + bytes(s.depth, s.keys, 2) +
                 bytes(rows, s.keys, 4) + 2 * bytes(rows, s.keys, 2) +
                 bytes(1, rows, 4) + (s.mask ? bytes(maskRows, s.keys, 4) : 0);
  // The projection's x rows, a head's weights, its three products, the
  // bias rows, and each product's sum and rounding on the vector unit.
  if (projection) {
    int64_t padded = roundUp(s.queries, tile.m);
    ibuf += bytes(padded, projection->model, 2);
    wbuf += bytes(3 * projection->model, s.depth, 2);
    acc += 3 * bytes(padded, s.depth, 4);
    vbuf += 3 * bytes(1, s.depth, 4) + bytes(s.queries, s.depth, 4) +
            2 * bytes(s.queries, s.depth, 2);
  }
  return wbuf <= int64_t(target.wbuf.sizeBytes) &&
         ibuf <= int64_t(target.ibuf.sizeBytes) &&
         acc <= int64_t(target.acc.sizeBytes) &&
         vbuf <= int64_t(target.vbuf.sizeBytes);
}

/// Cycles of a DRAM transfer of `rows` rows of `rowBytes` each.
double dramCycles(const TargetDesc &target, int64_t rows, int64_t rowBytes,
                  int64_t cores) {
  double bandwidth = std::min<double>(target.dmaBytesPerCycle,
                                      double(target.dramBytesPerCycle) /
                                          double(std::max<int64_t>(cores, 1)));
  return target.dmaSetupCycles +
         std::max(double(rows * rowBytes) / bandwidth, double(rows));
}

/// The kernel's cycles per core for blocks of `rows` split as `plan` says:
/// per head its keys and values in, per query block the load, the two
/// products, the vector passes and the store, one after another (the next
/// block's load overlaps only the DRAM latency).
double estimate(const AttentionShape &s, const TargetDesc &target, int64_t rows,
                bool splitHeads, int64_t cores, int64_t qBytes, int64_t kBytes,
                int64_t vBytes, int64_t outBytes, bool splitBatch = false,
                bool pipelined = false,
                const Projection *projection = nullptr) {
  const MatrixTile &tile = target.matrixTiles.at(DType::BF16);
  Tiles t(s, tile);
  double vector = target.vectorBytesPerCycle;
  auto scoresMma = [&](int64_t r) {
    return double(roundUp(r, tile.m) / tile.m) * (t.depth / tile.k) *
               (t.scoreCols / tile.n) +
           target.matrixLatencyCycles;
  };
  auto valuesMma = [&](int64_t r) {
    return double(roundUp(r, tile.m) / tile.m) * (t.probCols / tile.k) *
               (t.valueCols / tile.n) +
           target.matrixLatencyCycles;
  };
  auto vec = [&](int64_t r) {
    int64_t passes =
        5 + (s.scale != 1 && !scaleFoldsIntoKeys(s) ? 1 : 0) + (s.mask ? 1 : 0);
    return passes * std::ceil(double(r * s.keys * 4) / vector) +
           std::ceil(double(r * s.keys * 4) / vector) +
           (passes + 1) * double(target.vectorLatencyCycles);
  };
  auto move = [&](int64_t r) {
    return target.dmaSetupCycles +
           std::max(double(r * t.probCols * 2) / target.dmaBytesPerCycle,
                    double(r));
  };
  auto store = [&](int64_t r) {
    return dramCycles(target, r, s.valueDepth * outBytes, cores);
  };
  auto block = [&](int64_t r) {
    double dma = dramCycles(target, r, s.depth * qBytes, cores) + store(r) +
                 move(r) +
                 (s.mask ? dramCycles(target, r, s.keys * 4, cores) : 0);
    return scoresMma(r) + valuesMma(r) + vec(r) + dma;
  };
  // The pipelined head: its queries and mask rows in at once, then the
  // engines' queues in the order pipelinedHead emits them: the matrix unit
  // takes block i + 1's scores before block i's P V (once the softmax two
  // blocks back has freed its accumulators), the vector unit each block's
  // softmax once its scores are in, DMA-in the move of P, DMA-out the
  // store.
  auto pipelinedBlocks = [&]() {
    int64_t n = ceilDiv(s.queries, rows);
    auto rowsOf = [&](int64_t i) {
      return std::min(rows, s.queries - i * rows);
    };
    double start =
        (projection ? 0.0
                    : dramCycles(target, s.queries, s.depth * qBytes, cores)) +
        (s.mask && s.maskStrides[2]
             ? dramCycles(target, s.queries, s.keys * 4, cores)
             : 0);
    SmallVector<double> scored(n, 0), softmaxed(n, 0);
    double matrix = start + scoresMma(rowsOf(0)), stored = 0;
    scored[0] = matrix;
    for (int64_t i = 0; i < n; ++i) {
      if (i + 1 < n) {
        matrix = std::max(matrix, i ? softmaxed[i - 1] : 0.0) +
                 scoresMma(rowsOf(i + 1));
        scored[i + 1] = matrix;
      }
      softmaxed[i] =
          std::max(i ? softmaxed[i - 1] : 0.0, scored[i]) + vec(rowsOf(i));
      matrix = std::max(matrix, softmaxed[i] + move(rowsOf(i))) +
               valuesMma(rowsOf(i));
      stored = std::max(stored, matrix) + store(rowsOf(i));
    }
    return stored;
  };
  // A QKV group's head: its weights in, three products from x (loaded once
  // per core), each one's bias and rounding, K's transpose and the moves
  // of Q, K^T and V into place, instead of the loads of K and V.
  if (projection) {
    int64_t padded = roundUp(s.queries, tile.m);
    double products = 3.0 * ((padded / tile.m) * (projection->model / tile.k) *
                                 (s.depth / tile.n) +
                             target.matrixLatencyCycles);
    double pass = std::ceil(double(s.queries * s.depth * 4) / vector) +
                  target.vectorLatencyCycles;
    double x = dramCycles(target, s.queries,
                          projection->model * projection->xBytes, cores) +
               target.dramLatencyCycles;
    double head =
        dramCycles(target, projection->model, 3 * s.depth * 2, cores) +
        target.dramLatencyCycles + std::max(products, 8.0 * pass) +
        3.0 * (target.dmaSetupCycles +
               double(s.queries * s.depth * 2) / target.dmaBytesPerCycle);
    int64_t heads = splitBatch ? ceilDiv(s.batch, cores) * s.kvHeads
                               : s.batch * ceilDiv(s.kvHeads, cores);
    return x + double(heads) * (head + pipelinedBlocks()) +
           target.dramLatencyCycles;
  }
  double head =
      dramCycles(target, s.keys, s.depth * kBytes, cores) +
      std::ceil(double(s.keys * s.depth * 2) / vector) + target.dmaSetupCycles +
      std::max(double(s.depth * t.scoreCols * 2) / target.dmaBytesPerCycle,
               double(s.depth)) +
      dramCycles(target, s.keys, s.valueDepth * vBytes, cores) +
      2.0 * target.dramLatencyCycles;
  int64_t full = s.queries / rows, edge = s.queries % rows;
  double latency = 2.0 * target.dramLatencyCycles;
  if (splitHeads || splitBatch) {
    double perHead =
        head + s.group * (pipelined
                              ? pipelinedBlocks()
                              : full * block(rows) + (edge ? block(edge) : 0));
    if (splitBatch)
      return latency + double(ceilDiv(s.batch, cores) * s.kvHeads) * perHead;
    return latency + double(s.batch) * ceilDiv(s.kvHeads, cores) * perHead;
  }
  double perHead = head + s.group * (ceilDiv(full, cores) * block(rows) +
                                     (edge ? block(edge) : 0));
  return latency + double(s.batch * s.kvHeads) * perHead;
}

/// Whether cores may store `out`'s parts concurrently: each part (a head,
/// or a block of `rows` query rows of one) covers whole granules of its own
/// (the hazard checker tracks granules of the alignment).
bool storesApart(const AttentionShape &s, const Operand &out, bool splitHeads,
                 int64_t rows, int64_t align) {
  auto aligned = [&](int64_t elements) {
    return (elements * out.bytes) % align == 0;
  };
  const SmallVector<int64_t, 4> &st = out.view.strides;
  bool rowsDense = st[2] == s.valueDepth || s.queries == 1;
  bool headsDense =
      rowsDense && (st[1] == s.queries * s.valueDepth || s.heads == 1);
  if (!aligned(out.view.offset) || (s.batch > 1 && !aligned(st[0])) ||
      (s.heads > 1 && !aligned(st[1])))
    return false;
  if (splitHeads)
    return headsDense ? aligned(s.queries * s.valueDepth)
                      : aligned(s.valueDepth) && aligned(st[2]);
  return rowsDense
             ? aligned(rows * s.valueDepth) && aligned(s.queries * s.valueDepth)
             : aligned(s.valueDepth) && aligned(st[2]);
}

/// Whether cores may store `out`'s parts for whole batch indices
/// concurrently: each index's part lies within its batch stride, which is
/// whole granules.
bool batchesApart(const AttentionShape &s, const Operand &out, int64_t align) {
  const SmallVector<int64_t, 4> &st = out.view.strides;
  int64_t extent = (s.heads - 1) * st[1] + (s.queries - 1) * st[2] +
                   (s.valueDepth - 1) * st[3] + 1;
  return s.batch > 1 && (out.view.offset * out.bytes) % align == 0 &&
         (st[0] * out.bytes) % align == 0 && extent <= st[0];
}

FailureOr<AttentionPlan> choosePlan(const AttentionShape &s,
                                    const TargetDesc &target, const Operands &o,
                                    std::string &why) {
  int64_t qBytes = o.q.bytes, kBytes = o.k.bytes, vBytes = o.v.bytes,
          outBytes = o.out.bytes;
  if (!target.matrixTiles.count(DType::BF16)) {
    why = "target " + target.name + " has no bf16 matrix unit";
    return failure();
  }
  const MatrixTile &tile = target.matrixTiles.at(DType::BF16);
  const Projection *projection = o.projection ? &*o.projection : nullptr;
  // A QKV group runs one batch of single-query-group heads, pipelined, the
  // cores taking whole heads, and a product's K in one step.
  if (projection && (s.batch != 1 || s.group != 1 || s.depth != s.valueDepth ||
                     s.depth % tile.n || projection->model % tile.k ||
                     !snpuPacksMatmulWeights(projection->matmul))) {
    why = "a QKV group the pipelined form does not take";
    return failure();
  }
  std::optional<AttentionPlan> best;
  // The pipelined form where a core runs whole heads of two blocks or more.
  auto considerPipelined = [&](int64_t rows, bool splitBatch, int64_t cores) {
    if (s.queries <= rows || (projection && splitBatch))
      return;
    // One copy of each head's buffers: a core's loop over heads is
    // npu.buffered (with two, the handoffs of two heads' slots outnumber
    // the target's semaphores and the sync pass falls back to barriers:
    // Swin's windows ran 3x slower).
    if (!fitsPipelined(s, target, rows, projection))
      return;
    double cycles = estimate(s, target, rows, !splitBatch, cores, qBytes,
                             kBytes, vBytes, outBytes, splitBatch,
                             /*pipelined=*/true, projection);
    if (!best || cycles < best->cycles)
      best = AttentionPlan{rows,   !splitBatch, splitBatch, cores,
                           cycles, 1,           2,          true};
  };
  // Blocks of the tile doubling, and all the queries at once.
  int64_t all = roundUp(s.queries, int64_t(tile.m));
  SmallVector<int64_t> candidates;
  for (int64_t rows = tile.m; rows < all; rows *= 2)
    candidates.push_back(rows);
  candidates.push_back(all);
  for (int64_t rows : candidates) {
    // Two copies of everything when they fit, else of the blocks' only.
    int64_t headCopies = 2, blockCopies = 2;
    if (!fits(s, target, rows, headCopies, blockCopies))
      headCopies = 1;
    if (!fits(s, target, rows, headCopies, blockCopies))
      blockCopies = 1;
    if (!fits(s, target, rows, headCopies, blockCopies))
      break;
    for (bool splitHeads : {true, false}) {
      int64_t units = splitHeads ? s.kvHeads : s.queries / rows;
      int64_t cores =
          std::min<int64_t>(target.cores, std::max<int64_t>(units, 1));
      if (!storesApart(s, o.out, splitHeads, rows, target.alignmentBytes))
        cores = 1;
      if (!splitHeads && cores == 1)
        continue;
      double cycles = estimate(s, target, rows, splitHeads, cores, qBytes,
                               kBytes, vBytes, outBytes);
      if (!projection && (!best || cycles < best->cycles))
        best = AttentionPlan{rows,   splitHeads, false,      cores,
                             cycles, headCopies, blockCopies};
      if (splitHeads)
        considerPipelined(rows, false, cores);
    }
    if (batchesApart(s, o.out, target.alignmentBytes)) {
      int64_t cores = std::min<int64_t>(target.cores, s.batch);
      double cycles = estimate(s, target, rows, false, cores, qBytes, kBytes,
                               vBytes, outBytes, /*splitBatch=*/true);
      if (!projection && (!best || cycles < best->cycles))
        best = AttentionPlan{rows,   false,      true,       cores,
                             cycles, headCopies, blockCopies};
      considerPipelined(rows, true, cores);
    }
  }
  if (!best) {
    why = llvm::formatv(
        "target {0}: a head's keys and values ({1} x {2} and {1} x {3} bf16) "
        "and one block of {4} query rows do not fit the local memories",
        target.name, s.keys, s.depth, s.valueDepth, tile.m);
    return failure();
  }
  return *best;
}

/// A kernel argument (a DRAM memref) and the [B, H, S, X] view of it the
/// kernel reads or writes.
struct BoundOperand {
  Value memref;
  StridedView view;
};

/// A QKV group's operands in the kernel: x, the bias row and the weights
/// packed per head ([heads * 3 * model, depth] bf16: Q's, K's and V's
/// columns of each head one block after the other, each block's rows at the
/// pitch the matrix unit reads).
struct BoundProjection {
  const Projection *projection = nullptr;
  Value x, bias, weights;
};

/// Emits the kernel body.
class AttentionTiler {
public:
  AttentionTiler(OpBuilder &builder, Location loc, const TargetDesc &target,
                 const AttentionShape &shape, const AttentionPlan &plan,
                 Block *entry, BoundOperand q, BoundOperand k, BoundOperand v,
                 Value mask, BoundOperand out, BoundProjection proj = {})
      : builder(builder), loc(loc), target(target), s(shape), plan(plan),
        tile(target.matrixTiles.at(DType::BF16)), t(shape, tile), entry(entry),
        q(q), k(k), v(v), mask(mask), out(out), proj(proj) {}

  void emit();

private:
  Value index(int64_t value) {
    return arith::ConstantIndexOp::create(builder, loc, value);
  }
  Value alloc(int64_t rows, int64_t cols, Type element,
              npu::MemorySpace space) {
    return allocTile(builder, loc, entry, rows, cols, element, space,
                     target.alignmentBytes);
  }
  /// rows x cols at (row, col) of a local buffer or a 2-D view.
  Value corner(Value buffer, int64_t rows, int64_t cols) {
    SmallVector<OpFoldResult> offsets(2, builder.getIndexAttr(0));
    SmallVector<OpFoldResult> sizes = {builder.getIndexAttr(rows),
                                       builder.getIndexAttr(cols)};
    SmallVector<OpFoldResult> strides(2, builder.getIndexAttr(1));
    return memref::SubViewOp::create(builder, loc, buffer, offsets, sizes,
                                     strides);
  }
  /// Rows [row, row + rows) of the matrix (b, h) of an operand's
  /// [B, H, S, X] view.
  Value matrix(const BoundOperand &operand, Value b, Value h, Value row,
               int64_t rows) {
    const StridedView &view = operand.view;
    Value offset = add(add(add(index(view.offset), mul(b, view.strides[0])),
                           mul(h, view.strides[1])),
                       mul(row, view.strides[2]));
    return reinterpretView(builder, loc, operand.memref, offset,
                           {rows, view.shape[3]},
                           {view.strides[2], view.strides[3]});
  }
  Value mul(Value a, int64_t b) {
    return arith::MulIOp::create(builder, loc, a, index(b));
  }
  Value add(Value a, Value b) {
    return arith::AddIOp::create(builder, loc, a, b);
  }

  void allocate();
  /// The keys (transposed) and values of key head (b, kvh) into wbuf.
  void loadHead(Value b, Value kvh);
  /// A QKV group's head kvh: Q, K and V as products of x and the head's
  /// weights, each plus its bias and rounded to bf16, into place (Q into
  /// ibuf, K^T and V into wbuf).
  void projectHead(Value kvh);
  /// K^T from vbuf into wbuf.
  void moveKeys();
  /// Every query block of query head h of batch b.
  void queryHead(Value b, Value h, bool splitRows);
  /// One block of `rows` query rows from `row`.
  void queryBlock(Value b, Value h, Value row, int64_t rows);
  /// Every query block of query head h of batch b, software-pipelined.
  void pipelinedHead(Value b, Value h);
  /// Rows [row, row + rows) of a local buffer's first `cols` columns.
  Value rowsAt(Value buffer, int64_t row, int64_t rows, int64_t cols) {
    int64_t pitch = pitchOf(buffer);
    return reinterpretView(builder, loc, buffer,
                           builder.getIndexAttr(row * pitch), {rows, cols},
                           {pitch, 1});
  }
  /// The row pitch of a local 2-D buffer, in elements.
  static int64_t pitchOf(Value buffer) {
    SmallVector<int64_t> strides;
    int64_t offset = 0;
    (void)cast<MemRefType>(buffer.getType())
        .getStridesAndOffset(strides, offset);
    return strides[0];
  }
  /// The scale and mask of rows `rows` of `running` (scores or their
  /// scaled copy), the softmax into `data`; the mask rows start at
  /// `maskRow` of maskRows when it has rows per query.
  void softmax(Value running, Value data, int64_t rows, int64_t maskRow);
  /// A loop over [0, count) unless count is 1.
  void each(int64_t count, function_ref<void(Value)> body,
            bool buffered = false) {
    scf::ForOp forOp =
        loopUnlessOnce(builder, loc, index(0), index(count), 1, body);
    if (buffered && forOp)
      forOp->setAttr(npu::kBufferedAttrName, builder.getUnitAttr());
  }

  OpBuilder &builder;
  Location loc;
  const TargetDesc &target;
  const AttentionShape &s;
  AttentionPlan plan;
  const MatrixTile &tile;
  Tiles t;
  Block *entry;
  BoundOperand q, k, v;
  Value mask;
  BoundOperand out;
  BoundProjection proj;
  /// The scale goes into K (a power of two), not the scores.
  bool keysScaled = false;
  /// K^T moves into wbuf after the head's one block's loads, or its whole
  /// queries' (the DMA-in engine runs in order: the move waits for the
  /// transpose, the loads need not).
  bool deferKeys = false;
  // Local buffers.
  Value keyRows, keyCols, keysT, values, queries, scores, probs, probsLeft,
      probsIbuf, weighted, scalars, maskRows;
  /// The pipelined form's two of each buffer the engines hand over.
  Value scoreSlots[2], leftSlots[2], ibufSlots[2], weightedSlots[2];
  /// A QKV group's x rows, head weights, products, bias rows, sum and its
  /// roundings (Q's and V's; K's goes into keyRows).
  Value xRows, headWeights, products[3], biasRows, sum, roundedQ, roundedV;
  /// A DMA's padding, or none when it is all zeros.
  DenseI64ArrayAttr padding(ArrayRef<int64_t> values) {
    if (llvm::all_of(values, [](int64_t v) { return v == 0; }))
      return DenseI64ArrayAttr();
    return builder.getDenseI64ArrayAttr(values);
  }
};

void AttentionTiler::allocate() {
  Type bf16 = builder.getBF16Type(), f32 = builder.getF32Type();
  using npu::MemorySpace;
  keyRows = alloc(s.keys, s.depth, bf16, MemorySpace::vbuf);
  keyCols = alloc(s.depth, s.keys, bf16, MemorySpace::vbuf);
  keysT = alloc(t.depth, t.scoreCols, bf16, MemorySpace::wbuf);
  values = alloc(t.probCols, t.valueCols, bf16, MemorySpace::wbuf);
  int64_t rows = roundUp(plan.rows, tile.m);
  if (plan.pipelined) {
    queries =
        alloc(roundUp(s.queries, tile.m), t.depth, bf16, MemorySpace::ibuf);
    probs = alloc(plan.rows, s.keys, f32, MemorySpace::vbuf);
    scalars = alloc(1, plan.rows, f32, MemorySpace::vbuf);
    for (int i = 0; i < 2; ++i) {
      scoreSlots[i] = alloc(rows, t.scoreCols, f32, MemorySpace::acc);
      leftSlots[i] = alloc(plan.rows, s.keys, bf16, MemorySpace::vbuf);
      ibufSlots[i] = alloc(rows, t.probCols, bf16, MemorySpace::ibuf);
      weightedSlots[i] = alloc(rows, t.valueCols, f32, MemorySpace::acc);
    }
    if (s.mask)
      maskRows = alloc(s.maskStrides[2] ? s.queries : 1, s.keys, f32,
                       MemorySpace::vbuf);
    if (const Projection *p = proj.projection) {
      int64_t padded = roundUp(s.queries, tile.m);
      xRows = alloc(padded, p->model, bf16, MemorySpace::ibuf);
      headWeights = alloc(3 * p->model, s.depth, bf16, MemorySpace::wbuf);
      for (Value &product : products)
        product = alloc(padded, s.depth, f32, MemorySpace::acc);
      biasRows = alloc(3, s.depth, f32, MemorySpace::vbuf);
      sum = alloc(s.queries, s.depth, f32, MemorySpace::vbuf);
      roundedQ = alloc(s.queries, s.depth, bf16, MemorySpace::vbuf);
      roundedV = alloc(s.queries, s.depth, bf16, MemorySpace::vbuf);
    }
    return;
  }
  queries = alloc(rows, t.depth, bf16, MemorySpace::ibuf);
  scores = alloc(rows, t.scoreCols, f32, MemorySpace::acc);
  probs = alloc(plan.rows, s.keys, f32, MemorySpace::vbuf);
  probsLeft = alloc(plan.rows, s.keys, bf16, MemorySpace::vbuf);
  probsIbuf = alloc(rows, t.probCols, bf16, MemorySpace::ibuf);
  weighted = alloc(rows, t.valueCols, f32, MemorySpace::acc);
  scalars = alloc(1, plan.rows, f32, MemorySpace::vbuf);
  if (s.mask)
    maskRows =
        alloc(s.maskStrides[2] ? plan.rows : 1, s.keys, f32, MemorySpace::vbuf);
}

void AttentionTiler::loadHead(Value b, Value kvh) {
  // K [Sk, D] as bf16 rows, transposed on the vector unit into K^T [D, Sk],
  // moved into wbuf with the zero rows and columns of the tiles.
  // The loads first: the DMA-in engine runs in order, and the move waits
  // for the transpose.
  npu::DmaLoadOp::create(builder, loc, matrix(k, b, kvh, index(0), s.keys),
                         keyRows, DenseI64ArrayAttr());
  npu::DmaLoadOp::create(
      builder, loc, matrix(v, b, kvh, index(0), s.keys), values,
      padding({0, t.probCols - s.keys, 0, t.valueCols - s.valueDepth}));
  npu::VTransOp::create(builder, loc, keyRows, keyCols);
  // (scaleFoldsIntoKeys.)
  if (keysScaled)
    npu::VScalOp::create(builder, loc, "mul", keyCols, keyCols,
                         builder.getF32FloatAttr(s.scale));
  if (!deferKeys)
    moveKeys();
}

void AttentionTiler::projectHead(Value kvh) {
  const Projection &p = *proj.projection;
  int64_t dh = s.depth, padded = roundUp(s.queries, tile.m);
  npu::DmaLoadOp::create(builder, loc,
                         reinterpretView(builder, loc, proj.weights,
                                         mul(kvh, 3 * p.model * dh),
                                         {3 * p.model, dh}, {dh, 1}),
                         headWeights, DenseI64ArrayAttr());
  for (int o = 0; o < 3; ++o)
    npu::DmaLoadOp::create(
        builder, loc,
        reinterpretView(builder, loc, proj.bias,
                        add(index(p.first[o]), mul(kvh, p.step[o])), {1, dh},
                        {dh, 1}),
        rowsAt(biasRows, o, 1, dh), DenseI64ArrayAttr());
  // K's product first: its transpose is the longest way into place.
  auto product = [&](int o) {
    npu::MmaOp::create(builder, loc, corner(xRows, padded, p.model),
                       rowsAt(headWeights, o * p.model, p.model, dh),
                       corner(products[o], padded, dh));
  };
  product(1);
  product(0);
  product(2);
  // Each product plus its bias row, rounded to bf16 (as the group's two
  // kernels stored it).
  int64_t biasPitch = pitchOf(biasRows);
  auto rounded = [&](int o, Value into) {
    Value row = reinterpretView(builder, loc, biasRows,
                                builder.getIndexAttr(o * biasPitch),
                                {s.queries, dh}, {0, 1});
    Value data = corner(sum, s.queries, dh);
    npu::VBinOp::create(builder, loc, "add", corner(products[o], s.queries, dh),
                        row, data);
    npu::VCvtOp::create(builder, loc, data, into);
  };
  rounded(1, keyRows);
  npu::VTransOp::create(builder, loc, keyRows, keyCols);
  if (keysScaled)
    npu::VScalOp::create(builder, loc, "mul", keyCols, keyCols,
                         builder.getF32FloatAttr(s.scale));
  rounded(0, roundedQ);
  npu::DmaMoveOp::create(builder, loc, roundedQ,
                         corner(queries, s.queries, t.depth),
                         padding({0, t.depth - s.depth}));
  moveKeys();
  rounded(2, roundedV);
  npu::DmaMoveOp::create(
      builder, loc, roundedV, values,
      padding({0, t.probCols - s.keys, 0, t.valueCols - s.valueDepth}));
}

void AttentionTiler::moveKeys() {
  npu::DmaMoveOp::create(
      builder, loc, keyCols, keysT,
      padding({0, t.depth - s.depth, 0, t.scoreCols - s.keys}));
}

void AttentionTiler::queryBlock(Value b, Value h, Value row, int64_t rows) {
  int64_t padded = roundUp(rows, tile.m);
  auto asRows = [&](Value buffer, int64_t r) {
    return corner(buffer, r, s.keys);
  };
  // Q's block, its columns padded with zeros to the tile.
  Value left = corner(queries, padded, t.depth);
  npu::DmaLoadOp::create(builder, loc, matrix(q, b, h, row, rows),
                         corner(queries, rows, t.depth),
                         padding({0, t.depth - s.depth}));
  // The mask's block of (b, h) from `row`, or its one row (unless one row
  // serves every block: loaded once).
  auto [sb, sh, sq, sk] = s.maskStrides;
  bool maskOnce = !sb && !sh && !sq;
  int64_t maskRowsCount = sq ? rows : 1;
  if (s.mask && !maskOnce) {
    Value offset = add(add(mul(b, sb), mul(h, sh)), mul(row, sq));
    Value view =
        reinterpretView(builder, loc, mask, offset, {maskRowsCount, s.keys},
                        {sq, std::max<int64_t>(sk, 1)});
    npu::DmaLoadOp::create(builder, loc, view,
                           corner(maskRows, maskRowsCount, s.keys),
                           DenseI64ArrayAttr());
  }
  // (After this block's loads, when the head has no other block.)
  if (deferKeys)
    moveKeys();
  Value acc = corner(scores, padded, t.scoreCols);
  npu::MmaOp::create(builder, loc, left, keysT, acc);
  // Scale, mask and softmax over the keys of each row, into vbuf.
  Value data = asRows(probs, rows);
  softmax(asRows(scores, rows), data, rows, 0);
  // Rounded to bf16 and moved into ibuf as the left operand of P V, its
  // columns padded with zeros to the tile.
  Value rounded = asRows(probsLeft, rows);
  npu::VCvtOp::create(builder, loc, data, rounded);
  npu::DmaMoveOp::create(builder, loc, rounded,
                         corner(probsIbuf, rows, t.probCols),
                         padding({0, t.probCols - s.keys}));
  Value sum = corner(weighted, padded, t.valueCols);
  npu::MmaOp::create(builder, loc, corner(probsIbuf, padded, t.probCols),
                     values, sum);
  npu::DmaStoreOp::create(builder, loc, corner(weighted, rows, s.valueDepth),
                          matrix(out, b, h, row, rows));
}

void AttentionTiler::softmax(Value running, Value data, int64_t rows,
                             int64_t maskRow) {
  if (s.scale != 1 && !keysScaled) {
    npu::VScalOp::create(builder, loc, "mul", running, data,
                         builder.getF32FloatAttr(s.scale));
    running = data;
  }
  if (s.mask) {
    Value addend =
        s.maskStrides[2]
            ? (maskRow ? rowsAt(maskRows, maskRow, rows, s.keys)
                       : corner(maskRows, rows, s.keys))
            : reinterpretView(builder, loc, maskRows, builder.getIndexAttr(0),
                              {rows, s.keys}, {0, 1});
    npu::VBinOp::create(builder, loc, "add", running, addend, data);
    running = data;
  }
  Value column = reinterpretView(builder, loc, scalars, builder.getIndexAttr(0),
                                 {rows}, {1});
  Value perRow = reinterpretView(builder, loc, scalars, builder.getIndexAttr(0),
                                 {rows, s.keys}, {1, 0});
  emitSoftmaxRows(builder, loc, running, data, column, perRow);
}

void AttentionTiler::pipelinedHead(Value b, Value h) {
  // The head's queries and mask rows at once: no load of a later block
  // waits in DMA-in's queue behind an earlier block's move of P. (A QKV
  // group's queries are in place already.)
  if (!proj.projection)
    npu::DmaLoadOp::create(builder, loc, matrix(q, b, h, index(0), s.queries),
                           corner(queries, s.queries, t.depth),
                           padding({0, t.depth - s.depth}));
  auto [sb, sh, sq, sk] = s.maskStrides;
  if (s.mask && (sb || sh || sq)) {
    int64_t count = sq ? s.queries : 1;
    Value offset = add(mul(b, sb), mul(h, sh));
    Value view = reinterpretView(builder, loc, mask, offset, {count, s.keys},
                                 {sq, std::max<int64_t>(sk, 1)});
    npu::DmaLoadOp::create(builder, loc, view, corner(maskRows, count, s.keys),
                           DenseI64ArrayAttr());
  }
  if (deferKeys && !proj.projection)
    moveKeys();
  int64_t n = ceilDiv(s.queries, plan.rows);
  auto rowsOf = [&](int64_t i) {
    return std::min(plan.rows, s.queries - i * plan.rows);
  };
  auto scoresOf = [&](int64_t i) {
    int64_t padded = roundUp(rowsOf(i), tile.m);
    npu::MmaOp::create(builder, loc,
                       rowsAt(queries, i * plan.rows, padded, t.depth), keysT,
                       corner(scoreSlots[i % 2], padded, t.scoreCols));
  };
  // Block i + 1's scores go to the matrix unit before block i's P V, so
  // they are ready when the vector unit finishes block i's softmax.
  scoresOf(0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t rows = rowsOf(i), padded = roundUp(rows, tile.m);
    if (i + 1 < n)
      scoresOf(i + 1);
    Value data = corner(probs, rows, s.keys);
    softmax(corner(scoreSlots[i % 2], rows, s.keys), data, rows, i * plan.rows);
    Value rounded = corner(leftSlots[i % 2], rows, s.keys);
    npu::VCvtOp::create(builder, loc, data, rounded);
    npu::DmaMoveOp::create(builder, loc, rounded,
                           corner(ibufSlots[i % 2], rows, t.probCols),
                           padding({0, t.probCols - s.keys}));
    Value sum = corner(weightedSlots[i % 2], padded, t.valueCols);
    npu::MmaOp::create(builder, loc,
                       corner(ibufSlots[i % 2], padded, t.probCols), values,
                       sum);
    npu::DmaStoreOp::create(builder, loc,
                            corner(weightedSlots[i % 2], rows, s.valueDepth),
                            matrix(out, b, h, index(i * plan.rows), rows));
  }
}

void AttentionTiler::queryHead(Value b, Value h, bool splitRows) {
  if (plan.pipelined)
    return pipelinedHead(b, h);
  int64_t full = s.queries / plan.rows, edge = s.queries % plan.rows;
  auto edgeBlock = [&](Value row) { queryBlock(b, h, row, edge); };
  splitOverCores(
      builder, loc, full, plan.rows, splitRows ? plan.cores : 1,
      [&](Value row) { queryBlock(b, h, row, plan.rows); },
      edge ? function_ref<void(Value)>(edgeBlock) : nullptr,
      /*buffered=*/plan.blockCopies == 1);
}

void AttentionTiler::emit() {
  allocate();
  keysScaled = scaleFoldsIntoKeys(s);
  // (The pipelined form loads a head's queries at once: they go first.)
  deferKeys = s.group == 1 && (s.queries <= plan.rows || plan.pipelined);
  // One mask row for every score row of every head: loaded once.
  if (s.mask && !s.maskStrides[0] && !s.maskStrides[1] && !s.maskStrides[2])
    npu::DmaLoadOp::create(builder, loc,
                           reinterpretView(builder, loc, mask,
                                           builder.getIndexAttr(0), {1, s.keys},
                                           {0, 1}),
                           maskRows, DenseI64ArrayAttr());
  // Each key head's keys and values serve its group of query heads. A
  // loop that ends up owning buffers planned as one copy (no other loop
  // around their uses in its body) must not get a second.
  bool single = plan.headCopies == 1 || plan.blockCopies == 1;
  // A QKV group's x: loaded once, rounded to bf16 by the DMA (the product's
  // precision).
  if (const Projection *p = proj.projection)
    npu::DmaLoadOp::create(
        builder, loc,
        reinterpretView(builder, loc, proj.x, builder.getIndexAttr(0),
                        {s.queries, p->model}, {p->model, 1}),
        corner(xRows, s.queries, p->model), DenseI64ArrayAttr());
  auto perHead = [&](Value b, Value kvh, bool splitRows) {
    if (proj.projection)
      projectHead(kvh);
    else
      loadHead(b, kvh);
    each(
        s.group,
        [&](Value g) { queryHead(b, add(mul(kvh, s.group), g), splitRows); },
        single);
  };
  if (plan.splitBatch) {
    splitOverCores(
        builder, loc, s.batch, 1, plan.cores,
        [&](Value b) {
          each(
              s.kvHeads, [&](Value kvh) { perHead(b, kvh, false); }, single);
        },
        nullptr, /*buffered=*/single);
    return;
  }
  each(
      s.batch,
      [&](Value b) {
        if (plan.splitHeads)
          splitOverCores(
              builder, loc, s.kvHeads, 1, plan.cores,
              [&](Value kvh) { perHead(b, kvh, false); }, nullptr,
              /*buffered=*/single);
        else
          each(
              s.kvHeads, [&](Value kvh) { perHead(b, kvh, true); }, single);
      },
      single);
}

/// Whether `source` is a QKV group's product (x @ W + bias row: x the
/// kernel's first argument, W constant, the bias row its third) and `view`
/// its [1, H, S, X] view of one batch whose heads are columns of the
/// product's rows; records the product in `projection` (the same for Q, K
/// and V) and operand `index`'s columns.
LogicalResult projectionColumn(Value source, const StridedView &view,
                               Block &body,
                               std::optional<Projection> &projection,
                               int index) {
  auto add = source.getDefiningOp<graph::AddOp>();
  if (!add)
    return failure();
  auto matmul = add.getLhs().getDefiningOp<graph::MatMulOp>();
  Value bias = add.getRhs();
  if (!matmul) {
    matmul = add.getRhs().getDefiningOp<graph::MatMulOp>();
    bias = add.getLhs();
  }
  auto isArg = [&](Value value, unsigned i) {
    auto arg = dyn_cast<BlockArgument>(throughStorage(value));
    return arg && arg.getOwner() == &body && arg.getArgNumber() == i;
  };
  auto lhs = matmul ? dyn_cast<RankedTensorType>(matmul.getLhs().getType())
                    : RankedTensorType();
  auto rhs = matmul ? dyn_cast<RankedTensorType>(matmul.getRhs().getType())
                    : RankedTensorType();
  auto biasType = dyn_cast<RankedTensorType>(bias.getType());
  if (!matmul || !matmul->hasOneUse() || !isArg(matmul.getLhs(), 0) ||
      !isArg(bias, 2) || !matmul.getRhs().getDefiningOp<graph::ConstantOp>() ||
      !lhs || !rhs || rhs.getRank() != 2 || !lhs.hasStaticShape() ||
      !biasType || biasType.getRank() != 1)
    return failure();
  int64_t model = rhs.getDimSize(0), width = rhs.getDimSize(1);
  int64_t rows = lhs.getNumElements() / model;
  // One batch of heads, each a run of columns of every row of the product.
  if (view.shape.size() != 4 || view.shape[0] != 1 || view.strides[3] != 1 ||
      view.strides[2] != width || view.shape[2] != rows || view.offset < 0 ||
      view.strides[1] < 0 ||
      view.offset + (view.shape[1] - 1) * view.strides[1] + view.shape[3] >
          width)
    return failure();
  if (projection && projection->matmul != matmul)
    return failure();
  if (!projection) {
    projection = Projection();
    projection->matmul = matmul;
    projection->model = model;
    projection->width = width;
    projection->xBytes = elementBytesOf(body.getArgument(0).getType());
  }
  projection->first[index] = view.offset;
  projection->step[index] = view.strides[1];
  return success();
}

/// The kernel's operands: inside a kernel function, the arguments Q, K and
/// V are views of (through the kernel's reshapes, transposes and slices)
/// and the result the output is a view of; elsewhere (placement's
/// estimates) the op's own operands, as f32.
FailureOr<Operands> operandsOf(graph::AttentionOp op, std::string &why) {
  auto kernel = op->getParentOfType<func::FuncOp>();
  auto all = [](Operation *) { return true; };
  Operands o;
  if (!kernel || !kernel->hasAttr(npu::kTargetAttrName)) {
    auto view = [](Value value) {
      return StridedView::contiguous(
          cast<RankedTensorType>(value.getType()).getShape());
    };
    o.q.view = view(op.getQuery());
    o.k.view = view(op.getKey());
    o.v.view = view(op.getValue());
    o.out.view = view(op.getResult());
    return o;
  }
  Block &body = kernel.getBody().front();
  auto argOf = [&](Value value) -> std::optional<unsigned> {
    auto arg = dyn_cast<BlockArgument>(value);
    if (!arg || arg.getOwner() != &body)
      return std::nullopt;
    return arg.getArgNumber();
  };
  size_t views = 0; // The view ops the kernel reads and writes through.
  std::optional<Projection> projection;
  int index = 0;
  for (auto [value, operand] :
       {std::pair{op.getQuery(), &o.q}, std::pair{op.getKey(), &o.k},
        std::pair{op.getValue(), &o.v}}) {
    auto [chain, view] = readThrough(value, all);
    views += chain.size();
    Value source =
        throughStorage(chain.empty() ? value : chain.back()->getOperand(0));
    std::optional<unsigned> arg = argOf(source);
    if (!arg && (index == 0 || projection) &&
        succeeded(projectionColumn(source, view, body, projection, index))) {
      operand->view = view;
      operand->bytes = 2;
      ++index;
      continue;
    }
    if (!arg || projection) {
      why = "an operand is not a view of a kernel argument";
      return failure();
    }
    operand->arg = *arg;
    operand->view = view;
    operand->bytes = elementBytesOf(kernel.getArgumentTypes()[*arg]);
    ++index;
  }
  // The projection's product and bias row.
  if (projection)
    views += 2;
  if (Value mask = op.getMask()) {
    o.mask = argOf(throughStorage(mask));
    if (!o.mask) {
      why = "the mask is not a kernel argument";
      return failure();
    }
  }
  auto [chain, view] = writeThrough(op.getResult(), all);
  Value last =
      chain.empty() ? Value(op.getResult()) : chain.back()->getResult(0);
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  if (ret.getNumOperands() != 1 || throughStorage(ret.getOperand(0)) != last) {
    why = "the result is not (a view of) the kernel's result";
    return failure();
  }
  // Nothing else: the views of Q, K, V and the result, and the op.
  // (A QKV group keeps its product's bf16 rounding as storage casts.)
  if (size_t(llvm::count_if(kernelBodyOps(kernel), [](Operation *op) {
        return !isStorageCast(op);
      })) != views + chain.size() + 1) {
    why = "the kernel computes more than the attention and its views";
    return failure();
  }
  o.out.arg = kernel.getNumArguments();
  o.out.view = view;
  o.out.bytes = elementBytesOf(kernel.getResultTypes()[0]);
  o.projection = projection;
  return o;
}

struct Planned {
  AttentionShape shape;
  Operands operands;
  AttentionPlan plan;
};

FailureOr<Planned> planOf(graph::AttentionOp op, const TargetDesc &target,
                          std::string &why) {
  FailureOr<AttentionShape> shape = shapeOf(op, why);
  if (failed(shape))
    return failure();
  FailureOr<Operands> operands = operandsOf(op, why);
  if (failed(operands))
    return failure();
  FailureOr<AttentionPlan> plan = choosePlan(*shape, target, *operands, why);
  if (failed(plan))
    return failure();
  return Planned{*shape, *operands, *plan};
}

} // namespace

std::string sinan::snpuAttentionRefusal(Operation *op,
                                        const TargetDesc &target) {
  auto attention = dyn_cast<graph::AttentionOp>(op);
  if (!attention)
    return "not an attention";
  std::string why;
  if (failed(planOf(attention, target, why)))
    return why;
  return "";
}

bool sinan::snpuAttentionReadsAsMatrixOperand(func::FuncOp kernel,
                                              unsigned index) {
  SmallVector<Operation *> ops = kernelBodyOps(kernel);
  auto attention = ops.empty() ? graph::AttentionOp()
                               : dyn_cast<graph::AttentionOp>(ops.front());
  std::string why;
  FailureOr<Operands> o =
      attention ? operandsOf(attention, why) : FailureOr<Operands>(failure());
  return succeeded(o) &&
         (index == o->q.arg || index == o->k.arg || index == o->v.arg);
}

SmallVector<Operation *>
sinan::attentionViewOps(Operation *op,
                        function_ref<bool(Operation *)> allowed) {
  SmallVector<Operation *> ops;
  auto attention = dyn_cast<graph::AttentionOp>(op);
  if (!attention)
    return ops;
  for (Value value :
       {attention.getQuery(), attention.getKey(), attention.getValue()})
    llvm::append_range(ops, readThrough(value, allowed).first);
  llvm::append_range(ops, writeThrough(attention.getResult(), allowed).first);
  return ops;
}

std::optional<double>
tiling::estimateAttentionCycles(graph::AttentionOp op,
                                const TargetDesc &target) {
  std::string why;
  auto planned = planOf(op, target, why);
  if (failed(planned))
    return std::nullopt;
  return planned->plan.cycles;
}

LogicalResult tiling::convertAttentionKernel(func::FuncOp kernel,
                                             graph::AttentionOp op,
                                             const TargetDesc &target) {
  std::string why;
  auto planned = planOf(op, target, why);
  if (failed(planned))
    return op.emitError() << "the SNPU cannot run this attention: " << why;
  auto [shape, operands, plan] = *planned;
  Location loc = op.getLoc();
  // A QKV group's weights, each head's Q, K and V columns one block after
  // the other (read before the body, and the constant with it, is
  // replaced).
  std::vector<uint16_t> packed;
  const Projection *projection =
      operands.projection ? &*operands.projection : nullptr;
  if (projection) {
    graph::MatMulOp matmul = projection->matmul;
    SmallVector<float> w = weightValues(cast<DenseElementsAttr>(
        matmul.getRhs().getDefiningOp<graph::ConstantOp>().getValue()));
    int64_t dh = shape.depth, width = projection->width;
    for (int64_t h = 0; h < shape.kvHeads; ++h)
      for (int o = 0; o < 3; ++o)
        for (int64_t r = 0; r < projection->model; ++r)
          for (int64_t c = 0; c < dh; ++c)
            packed.push_back(floatToBF16(w[r * width + projection->first[o] +
                                           h * projection->step[o] + c]));
  }
  Block &body = replaceBodyWithMemRefs(kernel, kernel.getResultTypes());
  OpBuilder builder(kernel.getContext());
  builder.setInsertionPointToStart(&body);
  auto bound = [&](const Operand &operand) {
    return BoundOperand{body.getArgument(operand.arg), operand.view};
  };
  BoundProjection proj;
  if (projection) {
    proj.projection = projection;
    proj.x = body.getArgument(0);
    proj.bias = body.getArgument(2);
    memref::GlobalOp global = addWeightsGlobal(
        kernel,
        bf16Attr(kernel.getContext(), packed,
                 shape.kvHeads * 3 * projection->model, shape.depth),
        loc, target);
    proj.weights = memref::GetGlobalOp::create(builder, loc, global.getType(),
                                               global.getSymName());
  }
  AttentionTiler(builder, loc, target, shape, plan, &body, bound(operands.q),
                 bound(operands.k), bound(operands.v),
                 operands.mask ? body.getArgument(*operands.mask) : Value(),
                 bound(operands.out), proj)
      .emit();
  finishKernel(builder, kernel, plan.cores, {plan.rows},
               llvm::formatv("rows={0} split={1}{2}", plan.rows,
                             plan.splitBatch   ? "batch"
                             : plan.splitHeads ? "heads"
                                               : "rows",
                             plan.pipelined ? " pipelined" : "")
                   .str());
  return success();
}
