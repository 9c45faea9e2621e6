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

#include "Tiling.h"

#include "sinan/Conversion/GraphToNpu.h"
#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Dialect/Npu/IR/NpuOps.h"
#include "sinan/runtime/Target.h"

#include "llvm/Support/FormatVariadic.h"

#include <array>

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
  int64_t cores = 1;
  double cycles = 0;
  /// Copies of each head's and each block's buffers (1: the loop over
  /// them is npu.buffered, so loads wait for the buffers' last use).
  int64_t headCopies = 2, blockCopies = 2;
};

/// Bytes per element of a kernel argument or result as stored in DRAM.
int64_t elementBytesOf(Type type) { return bytesOf(getElementTypeOrSelf(type)); }

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
                     bytes(1, rows, 4) +
                     (s.mask ? bytes(rows, s.keys, 4) : 0));
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
double estimate(const AttentionShape &s, const TargetDesc &target,
                int64_t rows, bool splitHeads, int64_t cores, int64_t qBytes,
                int64_t kBytes, int64_t vBytes, int64_t outBytes) {
  const MatrixTile &tile = target.matrixTiles.at(DType::BF16);
  Tiles t(s, tile);
  double vector = target.vectorBytesPerCycle;
  auto block = [&](int64_t r) {
    int64_t padded = roundUp(r, tile.m);
    double mma = double(padded / tile.m) * (t.depth / tile.k) *
                     (t.scoreCols / tile.n) +
                 double(padded / tile.m) * (t.probCols / tile.k) *
                     (t.valueCols / tile.n) +
                 2.0 * target.matrixLatencyCycles;
    int64_t passes = 5 + (s.scale != 1 ? 1 : 0) + (s.mask ? 1 : 0);
    double vec = passes * std::ceil(double(r * s.keys * 4) / vector) +
                 std::ceil(double(r * s.keys * 4) / vector) +
                 (passes + 1) * double(target.vectorLatencyCycles);
    double dma = dramCycles(target, r, s.depth * qBytes, cores) +
                 dramCycles(target, r, s.valueDepth * outBytes, cores) +
                 target.dmaSetupCycles +
                 std::max(double(r * t.probCols * 2) /
                              target.dmaBytesPerCycle,
                          double(r)) +
                 (s.mask ? dramCycles(target, r, s.keys * 4, cores) : 0);
    return mma + vec + dma;
  };
  double head = dramCycles(target, s.keys, s.depth * kBytes, cores) +
                std::ceil(double(s.keys * s.depth * 2) / vector) +
                target.dmaSetupCycles +
                std::max(double(s.depth * t.scoreCols * 2) /
                             target.dmaBytesPerCycle,
                         double(s.depth)) +
                dramCycles(target, s.keys, s.valueDepth * vBytes, cores) +
                2.0 * target.dramLatencyCycles;
  int64_t full = s.queries / rows, edge = s.queries % rows;
  double latency = 2.0 * target.dramLatencyCycles;
  if (splitHeads) {
    double perHead =
        head + s.group * (full * block(rows) + (edge ? block(edge) : 0));
    return latency + double(s.batch) * ceilDiv(s.kvHeads, cores) * perHead;
  }
  double perHead = head + s.group * (ceilDiv(full, cores) * block(rows) +
                                     (edge ? block(edge) : 0));
  return latency + double(s.batch * s.kvHeads) * perHead;
}

FailureOr<AttentionPlan> choosePlan(const AttentionShape &s,
                                    const TargetDesc &target, int64_t qBytes,
                                    int64_t kBytes, int64_t vBytes,
                                    int64_t outBytes, std::string &why) {
  if (!target.matrixTiles.count(DType::BF16)) {
    why = "target " + target.name + " has no bf16 matrix unit";
    return failure();
  }
  const MatrixTile &tile = target.matrixTiles.at(DType::BF16);
  std::optional<AttentionPlan> best;
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
      int64_t cores = std::min<int64_t>(target.cores, std::max<int64_t>(units, 1));
      // Cores write the result concurrently: each one's part must start on
      // a granule of its own (whole heads, or whole query blocks).
      // (A head's whole result in either case: heads follow each other.)
      int64_t head = s.queries * s.valueDepth * outBytes;
      if (head % target.alignmentBytes ||
          (!splitHeads && (rows * s.valueDepth * outBytes) % target.alignmentBytes))
        cores = 1;
      if (!splitHeads && cores == 1)
        continue;
      double cycles = estimate(s, target, rows, splitHeads, cores, qBytes,
                               kBytes, vBytes, outBytes);
      if (!best || cycles < best->cycles)
        best = AttentionPlan{rows,   splitHeads, cores,
                             cycles, headCopies, blockCopies};
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

/// Emits the kernel body.
class AttentionTiler {
public:
  AttentionTiler(OpBuilder &builder, Location loc, const TargetDesc &target,
                 const AttentionShape &shape, const AttentionPlan &plan,
                 Block *entry, Value q, Value k, Value v, Value mask, Value out)
      : builder(builder), loc(loc), target(target), s(shape), plan(plan),
        tile(target.matrixTiles.at(DType::BF16)), t(shape, tile),
        entry(entry), q(q), k(k), v(v), mask(mask), out(out) {}

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
  /// Rows [row, row + rows) of the matrix (b, h) of a [B, H, S, X] memref.
  Value matrix(Value source, Value b, Value h, Value row, int64_t rows) {
    auto type = cast<MemRefType>(source.getType());
    SmallVector<OpFoldResult> offsets = {b, h, row, builder.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes = {
        builder.getIndexAttr(1), builder.getIndexAttr(1),
        builder.getIndexAttr(rows), builder.getIndexAttr(type.getDimSize(3))};
    SmallVector<OpFoldResult> strides(4, builder.getIndexAttr(1));
    auto result = memref::SubViewOp::inferRankReducedResultType(
        {rows, type.getDimSize(3)}, type, offsets, sizes, strides);
    return memref::SubViewOp::create(builder, loc, cast<MemRefType>(result),
                                     source, offsets, sizes, strides);
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
  /// Every query block of query head h of batch b.
  void queryHead(Value b, Value h, bool splitRows);
  /// One block of `rows` query rows from `row`.
  void queryBlock(Value b, Value h, Value row, int64_t rows);
  /// A loop over [0, count) unless count is 1.
  void each(int64_t count, function_ref<void(Value)> body,
            bool buffered = false) {
    if (count == 1) {
      body(index(0));
      return;
    }
    scf::ForOp forOp = loop(builder, loc, index(0), index(count), 1, body);
    if (buffered)
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
  Value q, k, v, mask, out;
  // Local buffers.
  Value keyRows, keyCols, keysT, values, queries, scores, probs, probsLeft,
      probsIbuf, weighted, scalars, maskRows;
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
  queries = alloc(rows, t.depth, bf16, MemorySpace::ibuf);
  scores = alloc(rows, t.scoreCols, f32, MemorySpace::acc);
  probs = alloc(plan.rows, s.keys, f32, MemorySpace::vbuf);
  probsLeft = alloc(plan.rows, s.keys, bf16, MemorySpace::vbuf);
  probsIbuf = alloc(rows, t.probCols, bf16, MemorySpace::ibuf);
  weighted = alloc(rows, t.valueCols, f32, MemorySpace::acc);
  scalars = alloc(1, plan.rows, f32, MemorySpace::vbuf);
  if (s.mask)
    maskRows = alloc(s.maskStrides[2] ? plan.rows : 1, s.keys, f32,
                     MemorySpace::vbuf);
}

void AttentionTiler::loadHead(Value b, Value kvh) {
  // K [Sk, D] as bf16 rows, transposed on the vector unit into K^T [D, Sk],
  // moved into wbuf with the zero rows and columns of the tiles.
  npu::DmaLoadOp::create(builder, loc, matrix(k, b, kvh, index(0), s.keys),
                         keyRows, DenseI64ArrayAttr());
  npu::VTransOp::create(builder, loc, keyRows, keyCols);
  npu::DmaMoveOp::create(
      builder, loc, keyCols, keysT,
      padding({0, t.depth - s.depth, 0, t.scoreCols - s.keys}));
  npu::DmaLoadOp::create(
      builder, loc, matrix(v, b, kvh, index(0), s.keys), values,
      padding({0, t.probCols - s.keys, 0, t.valueCols - s.valueDepth}));
}

void AttentionTiler::queryBlock(Value b, Value h, Value row, int64_t rows) {
  int64_t padded = roundUp(rows, tile.m);
  auto asRows = [&](Value buffer, int64_t r) { return corner(buffer, r, s.keys); };
  // Q's block, its columns padded with zeros to the tile.
  Value left = corner(queries, padded, t.depth);
  npu::DmaLoadOp::create(builder, loc, matrix(q, b, h, row, rows),
                         corner(queries, rows, t.depth),
                         padding({0, t.depth - s.depth}));
  Value acc = corner(scores, padded, t.scoreCols);
  npu::MmaOp::create(builder, loc, left, keysT, acc);
  // Scale, mask and softmax over the keys of each row, into vbuf.
  Value running = asRows(scores, rows);
  Value data = asRows(probs, rows);
  if (s.scale != 1) {
    npu::VScalOp::create(builder, loc, "mul", running, data,
                         builder.getF32FloatAttr(s.scale));
    running = data;
  }
  if (s.mask) {
    // The mask's block of (b, h) from `row`, or its one row repeated.
    auto [sb, sh, sq, sk] = s.maskStrides;
    bool maskOnce = !sb && !sh && !sq;
    Value offset = add(add(mul(b, sb), mul(h, sh)), mul(row, sq));
    int64_t maskRowsCount = sq ? rows : 1;
    if (!maskOnce) {
      Value view = reinterpretView(builder, loc, mask, offset,
                                   {maskRowsCount, s.keys}, {sq, std::max<int64_t>(sk, 1)});
      npu::DmaLoadOp::create(builder, loc, view,
                             corner(maskRows, maskRowsCount, s.keys),
                             DenseI64ArrayAttr());
    }
    Value addend =
        sq ? corner(maskRows, rows, s.keys)
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

void AttentionTiler::queryHead(Value b, Value h, bool splitRows) {
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
  // One mask row for every score row of every head: loaded once.
  if (s.mask && !s.maskStrides[0] && !s.maskStrides[1] && !s.maskStrides[2])
    npu::DmaLoadOp::create(
        builder, loc,
        reinterpretView(builder, loc, mask, builder.getIndexAttr(0),
                        {1, s.keys}, {0, 1}),
        maskRows, DenseI64ArrayAttr());
  // Each key head's keys and values serve its group of query heads.
  auto perHead = [&](Value b, Value kvh, bool splitRows) {
    loadHead(b, kvh);
    each(s.group, [&](Value g) {
      queryHead(b, add(mul(kvh, s.group), g), splitRows);
    });
  };
  each(s.batch, [&](Value b) {
    if (plan.splitHeads)
      splitOverCores(
          builder, loc, s.kvHeads, 1, plan.cores,
          [&](Value kvh) { perHead(b, kvh, false); }, nullptr,
          /*buffered=*/plan.headCopies == 1);
    else
      each(
          s.kvHeads, [&](Value kvh) { perHead(b, kvh, true); },
          /*buffered=*/plan.headCopies == 1);
  });
}

/// The DRAM element bytes of the kernel's q, k, v and result.
std::array<int64_t, 4> dramBytes(graph::AttentionOp op) {
  auto kernel = op->getParentOfType<func::FuncOp>();
  if (!kernel || !kernel->hasAttr(npu::kTargetAttrName))
    return {4, 4, 4, 4};
  auto args = kernel.getArgumentTypes();
  return {elementBytesOf(args[0]), elementBytesOf(args[1]),
          elementBytesOf(args[2]), elementBytesOf(kernel.getResultTypes()[0])};
}

FailureOr<std::pair<AttentionShape, AttentionPlan>>
planOf(graph::AttentionOp op, const TargetDesc &target, std::string &why) {
  FailureOr<AttentionShape> shape = shapeOf(op, why);
  if (failed(shape))
    return failure();
  auto [qBytes, kBytes, vBytes, outBytes] = dramBytes(op);
  FailureOr<AttentionPlan> plan =
      choosePlan(*shape, target, qBytes, kBytes, vBytes, outBytes, why);
  if (failed(plan))
    return failure();
  return std::make_pair(*shape, *plan);
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

std::optional<double> tiling::estimateAttentionCycles(graph::AttentionOp op,
                                                      const TargetDesc &target) {
  std::string why;
  auto planned = planOf(op, target, why);
  if (failed(planned))
    return std::nullopt;
  return planned->second.cycles;
}

LogicalResult tiling::convertAttentionKernel(func::FuncOp kernel,
                                             graph::AttentionOp op,
                                             const TargetDesc &target) {
  std::string why;
  auto planned = planOf(op, target, why);
  if (failed(planned))
    return op.emitError() << "the SNPU cannot run this attention: " << why;
  auto [shape, plan] = *planned;
  Location loc = op.getLoc();
  Block &body = replaceBodyWithMemRefs(kernel, op->getResultTypes());
  OpBuilder builder(kernel.getContext());
  builder.setInsertionPointToStart(&body);
  AttentionTiler(builder, loc, target, shape, plan, &body, body.getArgument(0),
                 body.getArgument(1), body.getArgument(2),
                 shape.mask ? body.getArgument(3) : Value(),
                 body.getArguments().back())
      .emit();
  finishKernel(builder, kernel, plan.cores, {plan.rows},
               llvm::formatv("rows={0} split={1}", plan.rows,
                             plan.splitHeads ? "heads" : "rows")
                   .str());
  return success();
}
