//===- ElementwiseToNpu.cpp - Elementwise graph ops on the vector unit ----===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// An elementwise op streams its operands through vbuf in chunks: per chunk
// a load of each operand, one vector instruction computing in place, a
// store. Chunks are contiguous ranges of whole alignment granules, split
// over the cores; sinan-npu-multi-buffer doubles the chunk buffers so loads,
// vector work and stores overlap. A second operand that is one row repeated
// over the rows (a bias) is loaded once and read at repeat stride 0; one
// that is a single constant element becomes the vector unit's scalar, as
// do a clip's bounds. One that holds an element per row of the first (its
// trailing dimensions 1: a layer normalization's mean, a squeeze-excite
// block's channel scale) is streamed beside the rows and read as a
// per-repeat scalar (`vbin.bcast`).
//
// A sum or mean over an input's trailing dimensions streams whole rows of
// them: one `vred sum` per chunk (pairwise, as the host reference sums),
// then a mean's division by the row length, as the reference divides.
//
//===----------------------------------------------------------------------===//

#include "Conv.h"
#include "Tiling.h"
#include "sinan/Conversion/GraphToNpu.h"

#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Dialect/Npu/IR/NpuOps.h"
#include "sinan/runtime/Target.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"

#include <functional>
#include <limits>
#include <numeric>

using namespace mlir;
using namespace sinan;
using namespace sinan::tiling;

namespace {

/// Graph op -> the vector unit's operation (docs/isa.md section 5).
const llvm::StringMap<StringRef> &unaryOps() {
  static const llvm::StringMap<StringRef> ops = {
      {"relu", "relu"},        {"neg", "neg"},   {"abs", "abs"},
      {"exp", "exp"},          {"log", "log"},   {"sqrt", "sqrt"},
      {"reciprocal", "recip"}, {"tanh", "tanh"}, {"sigmoid", "sigmoid"},
      {"erf", "erf"}};
  return ops;
}

const llvm::StringMap<StringRef> &binaryOps() {
  static const llvm::StringMap<StringRef> ops = {
      {"add", "add"}, {"sub", "sub"}, {"mul", "mul"},
      {"div", "div"}, {"max", "max"}, {"min", "min"}};
  return ops;
}

bool commutes(StringRef op) {
  return op == "add" || op == "mul" || op == "max" || op == "min";
}

/// How an elementwise op maps onto the vector unit.
struct ElementwisePlan {
  enum Form {
    Unary,
    Binary,
    Row,
    Scalar,
    Clip,
    Column,
    Reduce,
    Concat,
    Softmax,
    Norm,
    Move,
    MaxPool,
    Gather
  } form = Unary;
  /// Clip: its bounds, applied as max then min with a scalar.
  std::optional<float> min, max;
  StringRef op;      ///< The vector unit's operation.
  unsigned data = 0; ///< The operand streamed in chunks (Scalar: 0 or 1).
  float scalar = 0;  ///< Scalar: the constant.
  int64_t elements = 0;
  /// Row: elements per row (the broadcast row's length). Column, Reduce:
  /// elements per row of the data (the broadcast or reduced extent).
  int64_t row = 0;
  bool mean = false; ///< Reduce: divide the sum by the row's length.
  /// Norm: an RMS normalization (no mean taken out), with a bias row (layer
  /// normalization), and the epsilon.
  bool rms = false, bias = false;
  float epsilon = 0;
};

/// Whether `op` is a sum or mean of f32 over trailing dimensions: with its
/// dimensions of extent 1 ignored, the reduced ones come last. Sets the
/// plan's row length (the reduced elements per result element).
/// The dimensions of `shape` (a result) as (size, source stride),
/// outermost first, given each dimension's stride through the source:
/// dimensions of 1 dropped and each merged into the next where the two are
/// one run in the source too (ShuffleNet's channel shuffle becomes [2, 58,
/// 784] with its halves swapped): fewer, longer DMA rows.
void mergeRuns(ArrayRef<int64_t> shape, ArrayRef<int64_t> sourceStrides,
               SmallVectorImpl<int64_t> &size,
               SmallVectorImpl<int64_t> &stride) {
  for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
    int64_t extent = shape[d], from = sourceStrides[d];
    if (extent == 1)
      continue;
    if (!size.empty() && from == stride.back() * size.back()) {
      size.back() *= extent;
      continue;
    }
    size.push_back(extent);
    stride.push_back(from);
  }
  std::reverse(size.begin(), size.end());
  std::reverse(stride.begin(), stride.end());
}

/// A transpose's result dimensions, merged (mergeRuns).
/// Result rows a tile turned on the vector unit needs at least (each tile
/// waits out a DRAM round trip).
constexpr int64_t kMinTileRows = 8;

void transposeRuns(graph::TransposeOp transpose, SmallVectorImpl<int64_t> &size,
                   SmallVectorImpl<int64_t> &stride) {
  auto input = cast<RankedTensorType>(transpose.getInput().getType());
  auto result = cast<RankedTensorType>(transpose.getType());
  SmallVector<int64_t> inStrides(input.getRank(), 1), sourceStrides;
  for (int64_t d = input.getRank() - 2; d >= 0; --d)
    inStrides[d] = inStrides[d + 1] * input.getDimSize(d + 1);
  for (int64_t d : transpose.getPermutation())
    sourceStrides.push_back(inStrides[d]);
  mergeRuns(result.getShape(), sourceStrides, size, stride);
}

bool planReduction(Operation *op, ElementwisePlan &plan, std::string &why) {
  auto input = dyn_cast<RankedTensorType>(op->getOperand(0).getType());
  ArrayRef<int64_t> axes = llvm::isa<graph::ReduceMeanOp>(op)
                               ? cast<graph::ReduceMeanOp>(op).getAxes()
                               : cast<graph::ReduceSumOp>(op).getAxes();
  if (!input || !input.hasStaticShape() || !input.getElementType().isF32()) {
    why = "the input is not a static f32 tensor";
    return false;
  }
  int64_t rank = input.getRank();
  SmallVector<bool> reduced(rank, axes.empty());
  for (int64_t axis : axes)
    reduced[axis < 0 ? axis + rank : axis] = true;
  int64_t row = 1;
  bool kept = false; // A kept dimension past a reduced one.
  for (int64_t d = rank - 1; d >= 0; --d) {
    if (input.getDimSize(d) == 1)
      continue;
    if (reduced[d]) {
      if (kept) {
        why = "it reduces dimensions other than the trailing ones";
        return false;
      }
      row *= input.getDimSize(d);
    } else {
      kept = true;
    }
  }
  plan.form = ElementwisePlan::Reduce;
  plan.op = "sum";
  plan.mean = llvm::isa<graph::ReduceMeanOp>(op);
  plan.elements = input.getNumElements();
  plan.row = row;
  return true;
}

/// The plan for `op`, or why the vector unit cannot run it.
FailureOr<ElementwisePlan> planOf(Operation *op, std::string &why,
                                  const TargetDesc *target = nullptr) {
  auto fail = [&](const Twine &reason) {
    why = reason.str();
    return failure();
  };
  std::string name = op->getName().stripDialect().str();
  auto staticF32 = [](Type type) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    return tensor && tensor.hasStaticShape() && tensor.getElementType().isF32()
               ? tensor
               : RankedTensorType();
  };
  RankedTensorType result = op->getNumResults() == 1
                                ? staticF32(op->getResult(0).getType())
                                : RankedTensorType();
  ElementwisePlan plan;
  // The plan, once its elements are set, if the vector unit can address them.
  auto sized = [&]() -> FailureOr<ElementwisePlan> {
    if (plan.elements == 0)
      return fail("empty");
    if (plan.elements * 4 > std::numeric_limits<uint32_t>::max())
      return fail("an operand over 4 GiB");
    return plan;
  };
  if (auto concat = dyn_cast<graph::ConcatOp>(op)) {
    if (!result)
      return fail("the result is not a static f32 tensor");
    for (Value input : concat.getInputs())
      if (!staticF32(input.getType()))
        return fail("an input is not a static f32 tensor");
    plan.form = ElementwisePlan::Concat;
    plan.elements = result.getNumElements();
    if (plan.elements * 4 > std::numeric_limits<uint32_t>::max())
      return fail("an operand over 4 GiB");
    return plan;
  }
  if (auto gather = dyn_cast<graph::GatherOp>(op)) {
    // Rows of the table by index (an embedding lookup): DMA-in gathers
    // them, the indices read from DRAM as they are (dcfg index).
    auto data = staticF32(gather.getData().getType());
    auto indices = dyn_cast<RankedTensorType>(gather.getIndices().getType());
    if (!result || !data)
      return fail("the data or result is not a static f32 tensor");
    if (!indices || !indices.hasStaticShape())
      return fail("the indices are not a static tensor");
    int64_t axis = gather.getAxis() < 0 ? gather.getAxis() + data.getRank()
                                        : gather.getAxis();
    if (llvm::any_of(data.getShape().take_front(axis),
                     [](int64_t d) { return d != 1; }))
      return fail("a gather along other than the outermost dimension that "
                  "is not 1 (the DMA gathers table rows)");
    plan.form = ElementwisePlan::Gather;
    plan.elements = result.getNumElements();
    plan.row =
        data.getNumElements() / std::max<int64_t>(1, data.getDimSize(axis));
    if (data.getDimSize(axis) == 0 || indices.getNumElements() == 0)
      return fail("empty");
    return sized();
  }
  // A reshape (the elements in order), or a transpose or slice that keeps
  // the innermost dimension's rows whole: DMA moves.
  if (llvm::isa<graph::ReshapeOp, graph::TransposeOp, graph::SliceOp>(op)) {
    auto input = staticF32(op->getOperand(0).getType());
    if (!result || !input)
      return fail("the operand or result is not a static f32 tensor");
    if (auto transpose = dyn_cast<graph::TransposeOp>(op)) {
      // One that moves the innermost dimension transposes tiles on the
      // vector unit: rows along the source's innermost dimension.
      SmallVector<int64_t> size, stride;
      transposeRuns(transpose, size, stride);
      if (!stride.empty() && stride.back() != 1 &&
          !llvm::is_contained(stride, 1))
        return fail("the transpose has no dimension contiguous in its "
                    "source");
      // Tiles of result rows a few elements long each make a DRAM round
      // trip for a few bytes (a PixelShuffle's [.., 24, 2]: 768 tiles, 430k
      // cycles on snpu-server against 52k on the host), unless several go
      // in a transfer ([B, L, R]: emitTransposeTiles' batches).
      bool batched = size.size() == 3 && stride[1] == 1;
      if (!stride.empty() && stride.back() != 1 && !batched &&
          size.back() < kMinTileRows)
        return fail(llvm::formatv("the transpose turns tiles of {0}-element "
                                  "result rows (the vector unit's tiles "
                                  "want {1} or more)",
                                  size.back(), kMinTileRows)
                        .str());
    }
    if (auto slice = dyn_cast<graph::SliceOp>(op)) {
      ArrayRef<int64_t> steps = slice.getSteps();
      if (llvm::any_of(steps, [](int64_t step) { return step < 1; }) ||
          (!steps.empty() && steps.back() != 1))
        return fail("the slice steps backwards or along the innermost "
                    "dimension (the DMA moves rows of it)");
    }
    plan.form = ElementwisePlan::Move;
    plan.elements = result.getNumElements();
    return sized();
  }
  if (auto pool = dyn_cast<graph::MaxPool2dOp>(op)) {
    if (!target)
      return fail("a pooling runs as a kernel of its own");
    std::optional<ConvShape> shape = maxPoolShapeOf(pool, *target, why);
    if (!shape)
      return failure();
    if (!chooseDepthwisePlan(*shape, *target, ConvEpilogue(),
                             maxPoolMaskBytes(*shape, *target)) &&
        !chooseMaxPoolRows(*shape, *target))
      return fail("no unit fits the vector buffer");
    plan.form = ElementwisePlan::MaxPool;
    plan.elements = result ? result.getNumElements() : 0;
    return plan;
  }
  if (llvm::isa<graph::LayerNormOp, graph::RmsNormOp>(op)) {
    auto input = staticF32(op->getOperand(0).getType());
    if (!result || !input)
      return fail("the operand or result is not a static f32 tensor");
    auto layer = dyn_cast<graph::LayerNormOp>(op);
    int64_t axis =
        layer ? layer.getAxis() : cast<graph::RmsNormOp>(op).getAxis();
    int64_t rank = input.getRank();
    if (axis < 0)
      axis += rank;
    int64_t length = 1;
    for (int64_t d = axis; d < rank; ++d)
      length *= input.getDimSize(d);
    // The scale and bias: one row of the normalized extent, repeated over
    // the rows (dimensions before the axis 1, the others the input's).
    auto isRow = [&](Value value) {
      auto type = staticF32(value.getType());
      if (!type || type.getRank() > rank)
        return false;
      for (int64_t d = 0; d < type.getRank(); ++d) {
        int64_t inputDim = rank - type.getRank() + d;
        if (type.getDimSize(d) !=
            (inputDim < axis ? 1 : input.getDimSize(inputDim)))
          return false;
      }
      return type.getNumElements() == length;
    };
    for (Value operand : op->getOperands().drop_front())
      if (!isRow(operand))
        return fail("the scale or bias is not one row of the normalized "
                    "dimensions");
    plan.form = ElementwisePlan::Norm;
    plan.rms = !layer;
    plan.bias = layer && layer.getBias();
    plan.epsilon =
        layer ? layer.getEpsilon().convertToFloat()
              : cast<graph::RmsNormOp>(op).getEpsilon().convertToFloat();
    plan.elements = result.getNumElements();
    plan.row = length;
    return sized();
  }
  if (auto softmax = dyn_cast<graph::SoftmaxOp>(op)) {
    if (!result)
      return fail("the result is not a static f32 tensor");
    // Over the innermost dimensions (those after the axis are 1): rows.
    int64_t rank = result.getRank();
    int64_t axis = softmax.getAxisAttr().getInt();
    if (axis < 0)
      axis += rank;
    for (int64_t d = axis + 1; d < rank; ++d)
      if (result.getDimSize(d) != 1)
        return fail("a softmax over other than the innermost dimension");
    plan.form = ElementwisePlan::Softmax;
    plan.elements = result.getNumElements();
    plan.row = result.getDimSize(axis);
    return sized();
  }
  if (llvm::isa<graph::ReduceSumOp, graph::ReduceMeanOp>(op)) {
    if (!result)
      return fail("the result is not a static f32 tensor");
    if (!planReduction(op, plan, why))
      return failure();
    return sized();
  }
  // (graph-decompose turns the others into depthwise convolutions before
  // placement.)
  if (llvm::isa<graph::AvgPool2dOp>(op))
    return fail("the SNPU runs an average pooling as the depthwise "
                "convolution and division graph-decompose makes of it, "
                "except in ceil mode");
  if (llvm::isa<graph::ResizeOp>(op))
    return fail("the SNPU runs a resize of an f32 NCHW image (N and C "
                "unchanged) as the products and row copies graph-decompose "
                "makes of it, where the height's matrix over the images "
                "takes at most 4 MiB; not this one");
  if (auto clip = dyn_cast<graph::ClipOp>(op)) {
    plan.form = ElementwisePlan::Clip;
    if (std::optional<APFloat> min = clip.getMin())
      plan.min = min->convertToFloat();
    if (std::optional<APFloat> max = clip.getMax())
      plan.max = max->convertToFloat();
  } else if (op->getNumOperands() == 1 && unaryOps().count(name))
    plan.op = unaryOps().lookup(name);
  else if (op->getNumOperands() == 2 && binaryOps().count(name))
    plan.op = binaryOps().lookup(name);
  else
    // (The operand count only where the op has a kernel at another one.)
    return fail(
        "no SNPU kernel for " + name +
        (unaryOps().count(name) || binaryOps().count(name)
             ? " with " + std::to_string(op->getNumOperands()) + " operands"
             : ""));
  if (!result)
    return fail("the result is not a static f32 tensor");
  plan.elements = result.getNumElements();
  if (plan.elements == 0)
    return fail("empty");
  if (plan.elements * 4 > std::numeric_limits<uint32_t>::max())
    return fail("an operand over 4 GiB");
  auto sameSize = [&](unsigned i) {
    RankedTensorType type = staticF32(op->getOperand(i).getType());
    return type && type.getNumElements() == plan.elements;
  };
  if (op->getNumOperands() == 1) {
    if (!sameSize(0))
      return fail("the operand is not a static f32 tensor of the result's "
                  "size");
    return plan;
  }
  if (sameSize(0) && sameSize(1)) {
    plan.form = ElementwisePlan::Binary;
    return plan;
  }
  // One constant element: the vector unit's scalar (either side when the
  // operation commutes).
  for (unsigned i : {1u, 0u}) {
    std::optional<float> value = scalarConstant(op->getOperand(i));
    if (value && sameSize(1 - i) && (i == 1 || commutes(plan.op))) {
      plan.form = ElementwisePlan::Scalar;
      plan.data = 1 - i;
      plan.scalar = *value;
      return plan;
    }
  }
  // One row repeated over the first operand's rows; or a block of its
  // trailing dimensions repeated over the leading ones (a causal mask
  // [T, T] over the heads): a "row" of the block's elements.
  RankedTensorType rowType = staticF32(op->getOperand(1).getType());
  if (sameSize(0) && rowType && result.getRank() >= 2 &&
      rowType.getNumElements() == result.getShape().back() &&
      (rowType.getRank() == 0 ||
       rowType.getShape().back() == result.getShape().back())) {
    plan.form = ElementwisePlan::Row;
    plan.row = result.getShape().back();
    return plan;
  }
  if (sameSize(0) && rowType && rowType.getRank() <= result.getRank()) {
    ArrayRef<int64_t> shape = rowType.getShape();
    while (!shape.empty() && shape.front() == 1)
      shape = shape.drop_front();
    ArrayRef<int64_t> full = result.getShape();
    if (!shape.empty() && shape.size() < full.size() &&
        shape == full.take_back(shape.size())) {
      plan.form = ElementwisePlan::Row;
      plan.row = rowType.getNumElements();
      return plan;
    }
  }
  // An element per row of the other operand: its trailing dimensions 1.
  for (unsigned i : {1u, 0u}) {
    auto column = staticF32(op->getOperand(i).getType());
    if (!sameSize(1 - i) || !column || (i == 0 && !commutes(plan.op)) ||
        column.getRank() > result.getRank())
      continue;
    ArrayRef<int64_t> full = result.getShape();
    ArrayRef<int64_t> shape = column.getShape();
    int64_t lead = full.size() - shape.size(), split = full.size();
    // Leading dimensions match (or are missing), trailing ones are 1.
    while (split > lead && shape[split - 1 - lead] == 1)
      --split;
    bool matches = true;
    for (int64_t d = lead; d < split; ++d)
      matches &= shape[d - lead] == full[d];
    for (int64_t d = 0; d < lead; ++d)
      matches &= full[d] == 1;
    int64_t row = 1;
    for (int64_t d = split; d < int64_t(full.size()); ++d)
      row *= full[d];
    if (!matches || row == 1)
      continue;
    plan.form = ElementwisePlan::Column;
    plan.data = 1 - i;
    plan.row = row;
    return plan;
  }
  return fail("operand 1 is broadcast other than as one row over the rows "
              "of operand 0, one element per row of it or one constant "
              "element");
}

/// Elements per chunk of `elements`: whole granules (whole rows of `row`
/// elements when rows are broadcast) filling vbuf's share of one of
/// `buffers` chunk buffers, each twice (multi-buffered), beside `rows`
/// broadcast rows loaded once and `reserved` bytes more, spread evenly over
/// the cores; 0 when not even one unit fits. A chunk's store starts on a
/// granule at `outBytes` an element.
int64_t chunkElements(int64_t elements, int64_t row, int64_t buffers,
                      int64_t rows, const TargetDesc &target, int64_t cores,
                      int64_t reserved = 0, int64_t outBytes = 4) {
  int64_t align = target.alignmentBytes;
  int64_t region = (int64_t(target.vbuf.sizeBytes) - reserved -
                    rows * roundUp(std::max<int64_t>(row, 1) * 4, align)) /
                   (2 * buffers) / align * align;
  int64_t unit =
      row ? row * (align / std::gcd(row * outBytes, align)) : align / outBytes;
  int64_t most = std::max<int64_t>(region, 0) / 4 / unit * unit;
  if (most == 0)
    return 0;
  // As few chunks a core as fit, of even size (dividing the core's share
  // when a few more chunks do): a core's last chunk as large as the
  // others, and no partial chunk left for one core to add.
  int64_t perCore = ceilDiv(elements, cores);
  int64_t pieces = ceilDiv(perCore, std::min(most, roundUp(perCore, unit)));
  for (int64_t more = pieces; more <= 2 * pieces; ++more)
    if (perCore % more == 0 && (perCore / more) % unit == 0)
      return perCore / more;
  return std::max(unit, roundUp(ceilDiv(perCore, pieces), unit));
}

int64_t chunkElements(const ElementwisePlan &plan, const TargetDesc &target,
                      int64_t cores) {
  bool row = plan.form == ElementwisePlan::Row;
  return chunkElements(plan.elements, row ? plan.row : 0,
                       plan.form == ElementwisePlan::Binary ? 2 : 1,
                       row ? 1 : 0, target, cores);
}

/// Blocks of a move (a reshape's, slice's, concatenation's, or a
/// transpose's that keeps rows whole) in flight at most: each transfer
/// waits out a DRAM latency both ways (Swin's qkv transpose, 64x49x3x3x32,
/// waited on its two buffers' stores before each load).
constexpr int64_t kMoveCopies = 4;

/// A run of elements in order that the cores split: at least this many
/// quarters of vbuf (shorter ones take one core's few transfers).
constexpr int64_t kLongRun = 4;

/// A row kernel's chunks per core when it loads them all first
/// (rowsPerChunk's `pipelined`), and the fewest elements such a chunk moves.
constexpr int64_t kPipelinedChunks = 4, kPipelinedChunkElements = 1024;

/// Vector passes a row kernel makes over each chunk.
int64_t rowPasses(const ElementwisePlan &plan) {
  return plan.form == ElementwisePlan::Softmax ? 5
         : plan.form == ElementwisePlan::Norm  ? (plan.rms ? 4 : 7)
                                               : 1;
}

/// The busiest core's vector cycles when streamChunks deals `rows` rows of
/// a row kernel in chunks of `chunk`: a core's full chunks hide their loads
/// and stores behind each other's passes; the partial last one, after
/// them on one core, waits out the store before it and its own load (its
/// buffer reuses theirs).
double rowChunksCycles(const ElementwisePlan &plan, int64_t rows, int64_t chunk,
                       const TargetDesc &target) {
  int64_t cores = std::min<int64_t>(target.cores, ceilDiv(rows, chunk));
  int64_t full = rows / chunk, rest = rows % chunk;
  int64_t q = full / cores, r = full % cores;
  double perRow = double(rowPasses(plan)) *
                  double(roundUp(plan.row * 4, target.alignmentBytes)) /
                  double(std::max<int64_t>(target.vectorBytesPerCycle, 1));
  double busiest = 0.0;
  for (int64_t c = 0; c < cores; ++c) {
    int64_t chunks = q + (c < r ? 1 : 0);
    double cycles = double(chunks * chunk) * perRow;
    if (rest && c == r % cores)
      cycles += double(rest) * perRow +
                (chunks ? 2.0 * double(target.dramLatencyCycles) : 0.0);
    busiest = std::max(busiest, cycles);
  }
  return busiest;
}

/// Rows per chunk of a Column or Reduce plan (rows of plan.row elements):
/// the data and a column of one element per row fill vbuf twice
/// (multi-buffered). Chunks split over the cores start their stores on a
/// granule (a core's store must not share one with another's), so they
/// take rows in units that keep them there; when not even one unit fits,
/// one core takes chunks of any size. Sets `cores`; 0 when not even one
/// row fits.
int64_t rowsPerChunk(const ElementwisePlan &plan, const TargetDesc &target,
                     int64_t &cores, bool *pipelined = nullptr,
                     int64_t copies = 2) {
  int64_t align = target.alignmentBytes, length = plan.row;
  int64_t rows = plan.elements / std::max<int64_t>(length, 1);
  // A normalization's chunk also takes its squares, and the kernel the
  // scale and bias rows.
  bool norm = plan.form == ElementwisePlan::Norm;
  int64_t matrices = norm ? 2 : 1;
  int64_t fixed = norm ? 2 * roundUp(length * 4, align) : 0;
  auto fits = [&](int64_t r) {
    return copies * (matrices * roundUp(r * length * 4, align) +
                     roundUp(r * 4, align)) +
               fixed <=
           int64_t(target.vbuf.sizeBytes);
  };
  // The elements a chunk stores: its sums, or its rows.
  int64_t stored = plan.form == ElementwisePlan::Reduce ? 1 : length;
  int64_t granule = align / 4;
  int64_t unit = granule / std::gcd(stored, granule);
  int64_t most = 0;
  for (int64_t step = int64_t(target.vbuf.sizeBytes); step > 0; step /= 2)
    while (fits(most + step))
      most += step;
  if (most == 0)
    return cores = 0;
  if (most < unit) {
    // Chunks smaller than a unit: a divisor of it, and the units split
    // evenly over as many cores as divide them, so each core's rows still
    // start on a granule of the result (its chunks store in turn into the
    // granules it owns); else chunks of any size, on one core.
    int64_t chunk = most;
    while (unit % chunk)
      --chunk;
    int64_t units = rows % unit ? 0 : rows / unit;
    for (cores = std::min<int64_t>(target.cores, units); cores > 1; --cores)
      if (units % cores == 0)
        return chunk;
    cores = 1;
    return std::min(most, rows);
  }
  cores = std::min<int64_t>(target.cores, ceilDiv(rows, unit));
  int64_t perCore = ceilDiv(rows, cores);
  int64_t largest =
      std::max(unit, std::min(most / unit * unit, roundUp(perCore, unit)));
  // Or a core's share in as few chunks as fit, of even size: the largest
  // chunks may leave a partial one for a single core to add (ConvNeXt's
  // layer norms over 196 rows: 41 each and 32 more on the first core),
  // the even ones one nearly as large; the busier kernel loses.
  int64_t even = std::max(
      unit, roundUp(ceilDiv(perCore, ceilDiv(perCore, largest)), unit));
  int64_t chunk = rowChunksCycles(plan, rows, even, target) <
                          rowChunksCycles(plan, rows, largest, target)
                      ? even
                      : largest;
  // When a core's rows fit one chunk and split evenly into four whole
  // chunks (of units, each moving enough to be worth a transfer), the
  // kernel loads the four first: each one's passes start when it lands and
  // its store overlaps the next one's passes, instead of the whole load's
  // and store's round trips in a row (four chunks take the room of one).
  int64_t piece = perCore / kPipelinedChunks;
  if (pipelined && chunk == perCore &&
      rows == cores * kPipelinedChunks * piece && piece % unit == 0 &&
      piece * length >= kPipelinedChunkElements) {
    *pipelined = true;
    return piece;
  }
  return chunk;
}

/// Whether a row kernel with two chunks of `chunk` rows in flight waits on
/// its loads: a chunk's DRAM latency and transfer outlast the vector unit's
/// passes over the other chunk (a sum or a column's product: one pass; a
/// softmax five, a normalization up to seven, which hide it).
bool loadBound(const ElementwisePlan &plan, int64_t chunk,
               const TargetDesc &target) {
  int64_t passes = rowPasses(plan);
  double bytes = double(chunk) * double(plan.row) * 4.0;
  double load = double(target.dramLatencyCycles) +
                bytes / double(std::max<int64_t>(target.dmaBytesPerCycle, 1));
  double vector = double(passes) * bytes /
                  double(std::max<int64_t>(target.vectorBytesPerCycle, 1));
  return load > vector;
}

/// The most elements one region of streamChunks takes (a core's full
/// chunks, or the partial last chunk).
int64_t largestRegion(int64_t elements, int64_t chunk,
                      const TargetDesc &target) {
  int64_t cores = std::min<int64_t>(target.cores, ceilDiv(elements, chunk));
  int64_t fullChunks = elements / chunk;
  return std::max(ceilDiv(fullChunks, cores) * chunk, elements % chunk);
}

/// Streams `elements` in chunks of `chunk` over the cores: core c takes
/// full chunks [lo, hi) (q each, one more for c < r), the partial last
/// chunk runs on core r. Each core's loop has constant bounds, so
/// sinan-npu-multi-buffer can double its buffers. Returns the cores used.
/// `region`, when given, is called before each core's chunks and before
/// the partial one with the first element and the count they take.
int64_t streamChunks(OpBuilder &builder, Location loc, int64_t elements,
                     int64_t chunk, const TargetDesc &target,
                     function_ref<void(Value, int64_t)> emitChunk,
                     function_ref<void(int64_t, int64_t)> region = nullptr,
                     int64_t copies = 2) {
  int64_t cores = std::min<int64_t>(target.cores, ceilDiv(elements, chunk));
  int64_t fullChunks = elements / chunk;
  int64_t rest = elements % chunk;
  int64_t q = fullChunks / cores, r = fullChunks % cores;
  auto index = [&](int64_t value) -> Value {
    return arith::ConstantIndexOp::create(builder, loc, value);
  };
  auto chunksOf = [&](int64_t c) {
    int64_t lo = (c * q + std::min(c, r)) * chunk;
    int64_t hi = lo + (q + (c < r ? 1 : 0)) * chunk;
    if (hi <= lo)
      return;
    if (region)
      region(lo, hi - lo);
    scf::ForOp chunks = loop(builder, loc, index(lo), index(hi), chunk,
                             [&](Value offset) { emitChunk(offset, chunk); });
    if (chunks && copies > 2)
      chunks->setAttr(npu::kBuffersAttrName, builder.getI64IntegerAttr(copies));
  };
  auto edge = [&] {
    if (!rest)
      return;
    if (region)
      region(fullChunks * chunk, rest);
    emitChunk(index(fullChunks * chunk), rest);
  };
  if (cores == 1) {
    chunksOf(0);
    edge();
  } else {
    Value core = npu::CoreIdOp::create(builder, loc, builder.getIndexType());
    // Separate blocks, so the buffers of each live apart.
    for (int64_t c = 0; c < cores; ++c)
      onCore(builder, loc, core, c, [&] { chunksOf(c); });
    if (rest)
      onCore(builder, loc, core, r % cores, edge);
  }
  return cores;
}

/// A local buffer of `shape` f32 in `space`, at the kernel's entry.
Value allocLocal(OpBuilder &builder, Location loc, Block *entry,
                 ArrayRef<int64_t> shape, npu::MemorySpace space) {
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(entry);
  auto type =
      MemRefType::get(shape, builder.getF32Type(), MemRefLayoutAttrInterface(),
                      npu::MemorySpaceAttr::get(builder.getContext(), space));
  return memref::AllocOp::create(builder, loc, type);
}

/// A local vbuf buffer of `shape` f32, at the kernel's entry.
Value allocVector(OpBuilder &builder, Location loc, Block *entry,
                  ArrayRef<int64_t> shape) {
  return allocLocal(builder, loc, entry, shape, npu::MemorySpace::vbuf);
}

/// A contiguous memref collapsed to one dimension.
Value flatten(OpBuilder &builder, Location loc, Value value) {
  auto type = cast<MemRefType>(value.getType());
  if (type.getRank() == 1)
    return value;
  SmallVector<ReassociationIndices> all(1);
  for (int64_t d = 0; d < type.getRank(); ++d)
    all[0].push_back(d);
  if (type.getRank() == 0)
    return memref::ExpandShapeOp::create(
        builder, loc,
        MemRefType::get({1}, type.getElementType(), MemRefLayoutAttrInterface(),
                        type.getMemorySpace()),
        value, ArrayRef<ReassociationIndices>{});
  return memref::CollapseShapeOp::create(builder, loc, value, all);
}

/// `value` (1-D) elements [offset, offset + size).
Value chunkView(OpBuilder &builder, Location loc, Value value, Value offset,
                int64_t size) {
  SmallVector<OpFoldResult> offsets = {offset},
                            sizes = {builder.getIndexAttr(size)},
                            strides = {builder.getIndexAttr(1)};
  return memref::SubViewOp::create(builder, loc, value, offsets, sizes,
                                   strides);
}

/// A Column or Reduce plan's kernel: chunks of whole rows (rowsPerChunk).
/// Column: the rows and their column elements loaded, one `vbin` with the
/// column as a per-repeat scalar, the rows stored. Reduce: the rows
/// loaded, one `vred sum` into a column, a mean's division by the row
/// length, the column stored.
LogicalResult convertRowKernel(func::FuncOp kernel, Operation *op,
                               const ElementwisePlan &plan, bool relu,
                               const TargetDesc &target) {
  int64_t cores = 0;
  bool pipelined = false;
  int64_t chunk = rowsPerChunk(plan, target, cores, &pipelined);
  int64_t copies = 2;
  if (chunk && !pipelined && loadBound(plan, chunk, target)) {
    // Four chunks in flight, each a half: three loads land while the
    // vector unit works on the fourth.
    int64_t deepCores = 0;
    bool deepPipelined = false;
    int64_t deep = rowsPerChunk(plan, target, deepCores, &deepPipelined, 4);
    int64_t rowsAll = plan.elements / std::max<int64_t>(plan.row, 1);
    if (deep && !deepPipelined && deepCores == cores &&
        ceilDiv(rowsAll, cores) >= 4 * deep) {
      chunk = deep;
      copies = 4;
    }
  }
  if (chunk == 0)
    return op->emitError() << "target " << target.name << ": rows of "
                           << plan.row
                           << " elements do not fit the vector buffer "
                              "(local.vbuf.size_kib = "
                           << target.vbuf.sizeBytes / 1024 << ")";
  Location loc = op->getLoc();
  Block &body = replaceBodyWithMemRefs(kernel, op->getResult(0).getType());
  OpBuilder builder(kernel.getContext());
  builder.setInsertionPointToStart(&body);
  bool reduce = plan.form == ElementwisePlan::Reduce;
  int64_t length = plan.row, rows = plan.elements / length;
  Value data = flatten(builder, loc, body.getArgument(plan.data));
  bool softmax = plan.form == ElementwisePlan::Softmax;
  bool norm = plan.form == ElementwisePlan::Norm;
  Value column = reduce || softmax || norm
                     ? Value()
                     : flatten(builder, loc, body.getArgument(1 - plan.data));
  Value out = flatten(builder, loc, body.getArguments().back());
  auto vbuf =
      npu::MemorySpaceAttr::get(kernel.getContext(), npu::MemorySpace::vbuf);
  Type f32 = builder.getF32Type();
  // A normalization's scale and bias rows, loaded once.
  SmallVector<Value, 2> normRows;
  if (norm)
    for (int64_t i = 1; i <= (plan.bias ? 2 : 1); ++i) {
      Value buffer = allocVector(builder, loc, &body, {length});
      npu::DmaLoadOp::create(builder, loc,
                             flatten(builder, loc, body.getArgument(i)), buffer,
                             DenseI64ArrayAttr());
      normRows.push_back(buffer);
    }
  auto firstOf = [&](Value row) -> Value {
    return arith::MulIOp::create(
        builder, loc, row,
        arith::ConstantIndexOp::create(builder, loc, length));
  };
  // A chunk's load into a buffer of its own, then its passes and store.
  auto loadChunk = [&](Value row, int64_t count) {
    Value buffer = allocVector(builder, loc, &body, {count * length});
    npu::DmaLoadOp::create(
        builder, loc,
        chunkView(builder, loc, data, firstOf(row), count * length), buffer,
        DenseI64ArrayAttr());
    return buffer;
  };
  auto finishChunk = [&](Value row, int64_t count, Value buffer) {
    Value first = firstOf(row);
    Value matrix = memref::ExpandShapeOp::create(
        builder, loc,
        MemRefType::get({count, length}, f32, MemRefLayoutAttrInterface(),
                        vbuf),
        buffer, ArrayRef<ReassociationIndices>{{0, 1}});
    Value scalars = allocVector(builder, loc, &body, {count});
    // The column read once per repeat: innermost stride 0.
    auto perRow = [&]() -> Value {
      return reinterpretView(builder, loc, scalars, builder.getIndexAttr(0),
                             {count, length}, {1, 0});
    };
    if (softmax) {
      emitSoftmaxRows(builder, loc, matrix, matrix, scalars, perRow());
      npu::DmaStoreOp::create(
          builder, loc, buffer,
          chunkView(builder, loc, out, first, count * length))
          .setRelu(relu);
      return;
    }
    if (norm) {
      emitNorm(builder, loc, NormSpec{plan.rms, plan.row, plan.epsilon}, matrix,
               scalars, perRow, normRows,
               allocVector(builder, loc, &body, {count * length}));
      npu::DmaStoreOp::create(
          builder, loc, buffer,
          chunkView(builder, loc, out, first, count * length))
          .setRelu(relu);
      return;
    }
    if (reduce) {
      npu::VRedOp::create(builder, loc, "sum", matrix, scalars);
      if (plan.mean)
        npu::VScalOp::create(builder, loc, "div", scalars, scalars,
                             builder.getF32FloatAttr(float(length)));
      npu::DmaStoreOp::create(builder, loc, scalars,
                              chunkView(builder, loc, out, row, count));
      return;
    }
    npu::DmaLoadOp::create(builder, loc,
                           chunkView(builder, loc, column, row, count), scalars,
                           DenseI64ArrayAttr());
    npu::VBinOp::create(builder, loc, plan.op, matrix, perRow(), matrix);
    npu::DmaStoreOp::create(builder, loc, buffer,
                            chunkView(builder, loc, out, first, count * length))
        .setRelu(relu);
  };
  auto emitChunk = [&](Value row, int64_t count) {
    finishChunk(row, count, loadChunk(row, count));
  };
  if (pipelined) {
    // Each core's chunks all load first (the scalar unit issues them before
    // the passes fill the vector queue), then each one's passes and store,
    // which overlap the next one's passes.
    auto chunksOf = [&](int64_t c) {
      SmallVector<Value, kPipelinedChunks> buffers;
      for (int64_t k = 0; k < kPipelinedChunks; ++k)
        buffers.push_back(
            loadChunk(arith::ConstantIndexOp::create(
                          builder, loc, (c * kPipelinedChunks + k) * chunk),
                      chunk));
      for (int64_t k = 0; k < kPipelinedChunks; ++k)
        finishChunk(arith::ConstantIndexOp::create(
                        builder, loc, (c * kPipelinedChunks + k) * chunk),
                    chunk, buffers[k]);
    };
    if (cores == 1) {
      chunksOf(0);
    } else {
      Value core = npu::CoreIdOp::create(builder, loc, builder.getIndexType());
      for (int64_t c = 0; c < cores; ++c)
        onCore(builder, loc, core, c, [&] { chunksOf(c); });
    }
    finishKernel(builder, kernel, cores, {chunk, length});
    return success();
  }
  TargetDesc split = target;
  split.cores = cores;
  int64_t used = streamChunks(builder, loc, rows, chunk, split, emitChunk,
                              nullptr, copies);
  finishKernel(builder, kernel, used, {chunk, length});
  return success();
}

/// Moves of rows through vbuf: each source's rows (`length` elements, at
/// `sourcePitch`) go to the result's rows (at `resultPitch`, from element
/// `first` of each), a block of rows at a time (at an aligned pitch in
/// vbuf), or a piece of one row at a time when a row alone would not fit.
/// `sourceAt` and `resultAt` give the element where a block's first row
/// starts from the block's first row index. One core: the places of
/// different sources meet inside granules, which two cores' stores must
/// not share.
/// The leading dimensions of a move of `size` (the innermost a row of
/// `padded` elements in vbuf) that run as loops around blocked transfers:
/// at least one, and enough that a transfer has at most four dimensions and
/// one index of its outermost fits `capacity` elements; 0 when not even a
/// row does.
int64_t transferLoops(ArrayRef<int64_t> size, int64_t padded,
                      int64_t capacity) {
  int64_t dims = size.size();
  if (dims < 2)
    return 0;
  for (int64_t lead = std::max<int64_t>(dims - 4, 1); lead <= dims - 2;
       ++lead) {
    int64_t rows = 1;
    for (int64_t d = lead + 1; d + 1 < dims; ++d)
      rows *= size[d];
    if (rows * padded <= capacity)
      return lead;
  }
  return 0;
}

/// Where a move stages its blocks: the largest local memory, as nothing
/// but the DMA engines touches them and more bytes in flight hide more of
/// each transfer's DRAM latency (snpu-server's ibuf holds twice its vbuf),
/// and its bytes.
std::pair<npu::MemorySpace, int64_t> moveStage(const TargetDesc &target) {
  std::pair<npu::MemorySpace, int64_t> best = {npu::MemorySpace::vbuf,
                                               target.vbuf.sizeBytes};
  for (auto [space, bytes] :
       {std::pair(npu::MemorySpace::ibuf, int64_t(target.ibuf.sizeBytes)),
        std::pair(npu::MemorySpace::wbuf, int64_t(target.wbuf.sizeBytes))})
    if (bytes > best.second)
      best = {space, bytes};
  return best;
}

struct MoveEmitter {
  OpBuilder &builder;
  Location loc;
  Block &body;
  bool relu;
  int64_t capacity;
  /// The local memory the blocks pass through (moveStage).
  npu::MemorySpace space = npu::MemorySpace::vbuf;

  Value index(int64_t value) {
    return arith::ConstantIndexOp::create(builder, loc, value);
  }
  Value plus(Value a, Value b) {
    return arith::AddIOp::create(builder, loc, a, b);
  }
  Value times(Value a, int64_t b) {
    return arith::MulIOp::create(builder, loc, a, index(b));
  }
  /// Rows [row, row + rows) of `source` (from their element `from`, `count`
  /// each) into `result`.
  void move(Value source, Value sourceRow, int64_t sourcePitch, Value result,
            Value resultRow, int64_t resultPitch, int64_t rows, Value from,
            int64_t count, int64_t granule) {
    int64_t rowPitch = rows == 1 ? count : roundUp(count, granule);
    Value buffer = allocLocal(builder, loc, &body, {rows * rowPitch}, space);
    Value local = reinterpretView(builder, loc, buffer, builder.getIndexAttr(0),
                                  {rows, count}, {rowPitch, 1});
    npu::DmaLoadOp::create(builder, loc,
                           reinterpretView(builder, loc, source,
                                           plus(sourceRow, from), {rows, count},
                                           {sourcePitch, 1}),
                           local, DenseI64ArrayAttr());
    npu::DmaStoreOp::create(builder, loc, local,
                            reinterpretView(builder, loc, result,
                                            plus(resultRow, from),
                                            {rows, count}, {resultPitch, 1}))
        .setRelu(relu);
  }
  /// `rows` rows of `length`: source row r at sourceAt(r), result row r at
  /// resultAt(r) (element offsets), each a pitch apart after that.
  void rows(Value source, int64_t sourcePitch, Value result,
            int64_t resultPitch, int64_t rows, int64_t length,
            function_ref<Value(Value)> sourceAt,
            function_ref<Value(Value)> resultAt, int64_t granule) {
    if (rows == 0 || length == 0)
      return;
    int64_t padded = roundUp(length, granule);
    if (padded <= capacity) {
      int64_t block = std::min(rows, capacity / padded);
      int64_t full = rows / block, rest = rows % block;
      auto at = [&](Value row, int64_t count) {
        move(source, sourceAt(row), sourcePitch, result, resultAt(row),
             resultPitch, count, index(0), length, granule);
      };
      if (full > 0)
        loop(builder, loc, index(0), index(full * block), block,
             [&](Value row) { at(row, block); });
      if (rest > 0)
        at(index(full * block), rest);
      return;
    }
    // Rows longer than a buffer: pieces of each.
    int64_t full = length / capacity, rest = length % capacity;
    scf::ForOp perRow =
        loop(builder, loc, index(0), index(rows), 1, [&](Value row) {
          Value from = sourceAt(row), to = resultAt(row);
          if (full > 0)
            loop(builder, loc, index(0), index(full * capacity), capacity,
                 [&](Value piece) {
                   move(source, from, sourcePitch, result, to, resultPitch, 1,
                        piece, capacity, granule);
                 });
          if (rest > 0)
            move(source, from, sourcePitch, result, to, resultPitch, 1,
                 index(full * capacity), rest, granule);
        });
    // One copy of the partial piece's buffer, beside the pieces' copies
    // that fill the staging memory (its load waits for the row before's
    // store, behind this row's pieces): with two, snpu-edge's vbuf
    // overflowed at a batch of two.
    if (full > 0 && rest > 0)
      perRow->setAttr(npu::kBufferedAttrName, builder.getUnitAttr());
  }
};

/// A transpose that moves the innermost dimension (`size`/`stride`, the
/// result's merged dimensions and their source strides): tiles of the
/// result's innermost dimension (R, a stride apart in the source) by the
/// dimension contiguous in the source (L) come in as R rows of L, turn into
/// L rows of R on the vector unit (vtrans) and go out as rows of the
/// result. Cores split the L blocks when every tile's rows start and end on
/// granules (R a whole number of them); returns the cores used.
/// [B, L, R] (L the input's innermost dimension, R the result's) whose
/// tiles fit a buffer several times (Swin's keys, 192 of 49 x 32): several
/// whole tiles a transfer each way, so one DRAM latency serves them all,
/// the cores splitting B when each index's result is whole granules. The
/// cores used, or 0 when neither pays (one tile a transfer on one core:
/// emitTransposeTiles' blocks).
int64_t emitTransposeBatches(MoveEmitter &moves, Value in, Value out,
                             ArrayRef<int64_t> size, ArrayRef<int64_t> stride,
                             int64_t sourceBase, ArrayRef<int64_t> outStrides,
                             int64_t capacity, const TargetDesc &target) {
  OpBuilder &builder = moves.builder;
  Location loc = moves.loc;
  int64_t granule = target.alignmentBytes / 4;
  int64_t batches = size[0], length = size[1], rows = size[2];
  int64_t lPitch = roundUp(length, granule), rPitch = roundUp(rows, granule);
  int64_t perTile = std::max(rows * lPitch, length * rPitch);
  int64_t cores = outStrides[0] % granule == 0
                      ? std::min<int64_t>(target.cores, batches)
                      : 1;
  // (At most eight: a vtrans each, unrolled.)
  int64_t nb = std::min<int64_t>(
      {capacity / perTile, ceilDiv(batches, cores), int64_t(8)});
  if (nb < 1 || (nb == 1 && cores == 1))
    return 0;
  auto batch = [&](Value first, int64_t count) {
    Value inBuffer =
        allocVector(builder, loc, &moves.body, {count * rows * lPitch});
    Value outBuffer =
        allocVector(builder, loc, &moves.body, {count * length * rPitch});
    OpFoldResult zero = builder.getIndexAttr(0);
    npu::DmaLoadOp::create(
        builder, loc,
        reinterpretView(
            builder, loc, in,
            moves.plus(moves.index(sourceBase), moves.times(first, stride[0])),
            {count, rows, length}, {stride[0], stride[2], 1}),
        reinterpretView(builder, loc, inBuffer, zero, {count, rows, length},
                        {rows * lPitch, lPitch, 1}),
        DenseI64ArrayAttr());
    for (int64_t i = 0; i < count; ++i)
      npu::VTransOp::create(
          builder, loc,
          reinterpretView(builder, loc, inBuffer,
                          builder.getIndexAttr(i * rows * lPitch),
                          {rows, length}, {lPitch, 1}),
          reinterpretView(builder, loc, outBuffer,
                          builder.getIndexAttr(i * length * rPitch),
                          {length, rows}, {rPitch, 1}));
    npu::DmaStoreOp::create(
        builder, loc,
        reinterpretView(builder, loc, outBuffer, zero, {count, length, rows},
                        {length * rPitch, rPitch, 1}),
        reinterpretView(builder, loc, out, moves.times(first, outStrides[0]),
                        {count, length, rows}, {outStrides[0], rows, 1}))
        .setRelu(moves.relu);
  };
  int64_t full = batches / nb, rest = batches % nb;
  cores = std::min(cores, std::max<int64_t>(full, 1));
  splitOverCores(
      builder, loc, full, nb, cores, [&](Value first) { batch(first, nb); },
      rest ? function_ref<void(Value)>([&](Value first) { batch(first, rest); })
           : nullptr);
  return cores;
}

int64_t emitTransposeTiles(MoveEmitter &moves, Value in, Value out,
                           ArrayRef<int64_t> size, ArrayRef<int64_t> stride,
                           int64_t sourceBase, const TargetDesc &target) {
  OpBuilder &builder = moves.builder;
  Location loc = moves.loc;
  int64_t dims = size.size();
  int64_t p = llvm::find(stride, 1) - stride.begin();
  int64_t rows = size.back(), rowStride = stride.back(), length = size[p];
  SmallVector<int64_t> outStrides(dims, 1);
  for (int64_t d = dims - 2; d >= 0; --d)
    outStrides[d] = outStrides[d + 1] * size[d + 1];
  int64_t granule = target.alignmentBytes / 4;
  // Elements per buffer: a tile's two, doubled by multi-buffering, and an
  // edge tile's two live at once.
  int64_t capacity = int64_t(target.vbuf.sizeBytes) / 4 / 8;
  if (dims == 3 && p == 1)
    if (int64_t batchCores =
            emitTransposeBatches(moves, in, out, size, stride, sourceBase,
                                 outStrides, capacity, target))
      return batchCores;
  // The cores split L in blocks of whole granules of result rows: each
  // core's rows start on a granule when every result stride outside L is
  // whole granules too (ConvNeXt's NHWC to NCHW, [384, 196], has none).
  bool outerAligned = true;
  for (int64_t d = 0; d < p; ++d)
    outerAligned &= outStrides[d] % granule == 0;
  int64_t cores = outerAligned ? target.cores : 1;
  int64_t lb = std::min({length, roundUp(ceilDiv(length, cores), granule),
                         capacity / (2 * granule)});
  int64_t rb = std::min(rows, capacity / roundUp(lb, granule));
  if (rb < rows)
    rb = std::max(granule, rb / granule * granule);
  auto index = [&](int64_t value) { return moves.index(value); };
  auto plus = [&](Value a, Value b) { return moves.plus(a, b); };
  auto times = [&](Value a, int64_t b) { return moves.times(a, b); };
  auto tile = [&](Value from, Value to, int64_t lCount, int64_t rCount) {
    int64_t lPitch = roundUp(lCount, granule),
            rPitch = roundUp(rCount, granule);
    Value inBuffer = allocVector(builder, loc, &moves.body, {rCount * lPitch});
    Value outBuffer = allocVector(builder, loc, &moves.body, {lCount * rPitch});
    Value local =
        reinterpretView(builder, loc, inBuffer, builder.getIndexAttr(0),
                        {rCount, lCount}, {lPitch, 1});
    Value turned =
        reinterpretView(builder, loc, outBuffer, builder.getIndexAttr(0),
                        {lCount, rCount}, {rPitch, 1});
    npu::DmaLoadOp::create(builder, loc,
                           reinterpretView(builder, loc, in, from,
                                           {rCount, lCount}, {rowStride, 1}),
                           local, DenseI64ArrayAttr());
    npu::VTransOp::create(builder, loc, local, turned);
    npu::DmaStoreOp::create(builder, loc, turned,
                            reinterpretView(builder, loc, out, to,
                                            {lCount, rCount},
                                            {outStrides[p], 1}))
        .setRelu(moves.relu);
  };
  // The dimensions other than L and R, outermost first, then R's blocks.
  std::function<void(int64_t, Value, Value, int64_t)> nest =
      [&](int64_t d, Value from, Value to, int64_t lCount) {
        if (d == p)
          return nest(d + 1, from, to, lCount);
        if (d == dims - 1) {
          int64_t full = rows / rb, rest = rows % rb;
          if (full == 1)
            tile(from, to, lCount, rb);
          else if (full > 1)
            loop(builder, loc, index(0), index(full * rb), rb, [&](Value r) {
              tile(plus(from, times(r, rowStride)), plus(to, r), lCount, rb);
            });
          if (rest > 0)
            tile(plus(from, index(full * rb * rowStride)),
                 plus(to, index(full * rb)), lCount, rest);
          return;
        }
        loop(builder, loc, index(0), index(size[d]), 1, [&](Value i) {
          nest(d + 1, plus(from, times(i, stride[d])),
               plus(to, times(i, outStrides[d])), lCount);
        });
      };
  auto block = [&](Value l, int64_t lCount) {
    nest(0, plus(index(sourceBase), l), times(l, outStrides[p]), lCount);
  };
  int64_t full = length / lb, rest = length % lb;
  cores = std::min(cores, std::max<int64_t>(full, 1));
  splitOverCores(
      builder, loc, full, lb, cores, [&](Value l) { block(l, lb); },
      rest ? function_ref<void(Value)>([&](Value l) { block(l, rest); })
           : nullptr);
  return cores;
}

/// A gather of table rows: blocks of index positions, split over the
/// cores, each one `dma_gather` of its rows into vbuf (the indices read
/// from DRAM by the DMA) and one store of them in order.
LogicalResult convertGather(func::FuncOp kernel, graph::GatherOp op,
                            const ElementwisePlan &plan, bool relu,
                            const TargetDesc &target) {
  Location loc = op.getLoc();
  auto dataType = cast<RankedTensorType>(op.getData().getType());
  int64_t row = plan.row, rows = dataType.getNumElements() / row;
  int64_t count = plan.elements / row;
  int64_t granule = target.alignmentBytes / 4;
  int64_t padded = roundUp(row, granule);
  // A quarter of vbuf a buffer, as the moves have: the loop's two
  // (multi-buffered) and the partial block after it.
  int64_t capacity = int64_t(target.vbuf.sizeBytes) / 4 / 4;
  // The cores split the rows; each core's share in as few blocks as fit.
  // A block's rows start and end on DRAM granules (no two cores store into
  // one), so it is a multiple of `unit` positions; else one core.
  int64_t most = capacity / padded;
  if (most == 0)
    return op.emitError() << "target " << target.name << ": a row of " << row
                          << " elements does not fit the vector buffer";
  int64_t unit = granule / std::gcd(row, granule);
  int64_t block = roundUp(ceilDiv(count, int64_t(target.cores)), unit);
  if (block > most)
    block = most / unit * unit;
  if (block == 0 || block >= count)
    block = std::min(count, most);
  Block &body = replaceBodyWithMemRefs(kernel, op.getType());
  OpBuilder builder(kernel.getContext());
  builder.setInsertionPointToStart(&body);
  Value table = reinterpretView(builder, loc, body.getArgument(0),
                                builder.getIndexAttr(0), {rows, row}, {row, 1});
  Value indices = flatten(builder, loc, body.getArgument(1));
  Value out = flatten(builder, loc, body.getArguments().back());
  auto emitBlock = [&](Value first, int64_t n) {
    Value buffer = allocVector(builder, loc, &body, {n * padded});
    Value local = reinterpretView(builder, loc, buffer, builder.getIndexAttr(0),
                                  {n, row}, {padded, 1});
    npu::DmaGatherOp::create(
        builder, loc, table,
        reinterpretView(builder, loc, indices, first, {n}, {1}), local);
    Value at = arith::MulIOp::create(
        builder, loc, first, arith::ConstantIndexOp::create(builder, loc, row));
    npu::DmaStoreOp::create(
        builder, loc, local,
        reinterpretView(builder, loc, out, at, {n, row}, {row, 1}))
        .setRelu(relu);
  };
  int64_t full = count / block, rest = count % block;
  // Unaligned blocks (a block of `most` rows of another count) stay on one
  // core.
  int64_t cores = block % unit ? 1
                               : std::min<int64_t>(target.cores,
                                                   std::max<int64_t>(full, 1));
  splitOverCores(
      builder, loc, full, block, cores,
      [&](Value first) { emitBlock(first, block); },
      rest ? function_ref<void(Value)>(
                 [&](Value first) { emitBlock(first, rest); })
           : nullptr,
      /*buffered=*/true);
  finishKernel(builder, kernel, cores, {block});
  return success();
}

/// A concatenation (each input's rows into their place in the result's
/// rows: the dimensions before the axis are rows), a reshape (one row of
/// every element) or a transpose that keeps the innermost dimension (rows
/// of it move whole: a loop per outer dimension of the result, a block of
/// its second innermost at a time).
LogicalResult convertMoves(func::FuncOp kernel, Operation *op, bool relu,
                           const TargetDesc &target) {
  Location loc = op->getLoc();
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  auto inputType = cast<RankedTensorType>(op->getOperand(0).getType());
  int64_t rank = resultType.getRank();
  // What the rewrite below needs of the op, read before the body is
  // replaced.
  int64_t outer = 1, pitch = resultType.getNumElements();
  SmallVector<int64_t> lengths;
  // A transpose or slice: each result dimension's stride in the input, and
  // the input element of the result's first.
  SmallVector<int64_t> sourceStrides;
  int64_t sourceBase = 0;
  SmallVector<int64_t> inStrides(inputType.getRank(), 1);
  for (int64_t d = inputType.getRank() - 2; d >= 0; --d)
    inStrides[d] = inStrides[d + 1] * inputType.getDimSize(d + 1);
  if (auto concat = dyn_cast<graph::ConcatOp>(op)) {
    int64_t axis = concat.getAxisAttr().getInt();
    if (axis < 0)
      axis += rank;
    int64_t inner = 1;
    outer = 1;
    for (int64_t d = 0; d < axis; ++d)
      outer *= resultType.getDimSize(d);
    for (int64_t d = axis + 1; d < rank; ++d)
      inner *= resultType.getDimSize(d);
    pitch = resultType.getDimSize(axis) * inner;
    for (Value input : concat.getInputs())
      lengths.push_back(
          cast<RankedTensorType>(input.getType()).getDimSize(axis) * inner);
  } else if (auto transpose = dyn_cast<graph::TransposeOp>(op)) {
    for (int64_t d : transpose.getPermutation())
      sourceStrides.push_back(inStrides[d]);
  } else if (auto slice = dyn_cast<graph::SliceOp>(op)) {
    for (int64_t d = 0; d < rank; ++d) {
      sourceStrides.push_back(inStrides[d] * slice.getSteps()[d]);
      sourceBase += slice.getStarts()[d] * inStrides[d];
    }
  }
  // A reshape, or a scalar's transpose: the elements in order.
  if (lengths.empty() && sourceStrides.empty())
    lengths.push_back(resultType.getNumElements());
  Block &body = replaceBodyWithMemRefs(kernel, resultType);
  OpBuilder builder(kernel.getContext());
  builder.setInsertionPointToStart(&body);
  Value out = flatten(builder, loc, body.getArguments().back());
  int64_t granule = target.alignmentBytes / 4;
  // Blocks of a quarter of vbuf; a loop keeps as many in flight as its
  // staging memory holds beside the partial block after it (four in
  // snpu-server's ibuf, three in snpu-edge's vbuf).
  auto [stage, stageBytes] = moveStage(target);
  int64_t capacity = int64_t(target.vbuf.sizeBytes) / 4 / 4 / granule * granule;
  int64_t copies =
      std::clamp<int64_t>(stageBytes / (capacity * 4) - 1, 2, kMoveCopies);
  MoveEmitter moves{builder, loc, body, relu, capacity, stage};
  // Runs at least this long split over the cores.
  int64_t longRun = kLongRun * capacity;
  int64_t cores = 1;
  // One long run in order (a reshape, a conversion to bf16 storage, a slice
  // of whole outer indices): the cores take pieces of it, each starting a
  // granule of the result (at its DRAM element size) of its own. Returns
  // the cores used.
  auto splitRun = [&](Value in, int64_t sourceBase, int64_t length) {
    int64_t outGranule =
        target.alignmentBytes /
        bytesOf(cast<MemRefType>(body.getArguments().back().getType())
                    .getElementType());
    int64_t piece = roundUp(ceilDiv(length, int64_t(target.cores)),
                            std::lcm(outGranule, granule));
    int64_t full = length / piece, rest = length % piece;
    // (The partial piece runs on a core of its own when there is one.)
    int64_t used = std::min<int64_t>(target.cores, full + (rest ? 1 : 0));
    auto run = [&](Value first, int64_t count) {
      moves.rows(
          in, count, out, count, 1, count,
          [&](Value) { return moves.plus(first, moves.index(sourceBase)); },
          [&](Value) { return first; }, granule);
    };
    splitOverCores(
        builder, loc, full, piece, used,
        [&](Value first) { run(first, piece); },
        rest ? function_ref<void(Value)>([&](Value first) { run(first, rest); })
             : nullptr);
    return used;
  };
  if (!sourceStrides.empty()) {
    // Result dimension d steps sourceStrides[d] through the input; the
    // innermost by one element.
    Value in = flatten(builder, loc, body.getArgument(0));
    // The result's dimensions as (size, source stride), dimensions of 1
    // dropped and each merged into the next where the two are one run in
    // the source too (ShuffleNet's channel shuffle becomes [2, 58, 784]
    // with its halves swapped): fewer, longer DMA rows.
    SmallVector<int64_t> size, stride;
    mergeRuns(resultType.getShape(), sourceStrides, size, stride);
    if (!size.empty() && stride.back() != 1 && llvm::is_contained(stride, 1)) {
      int64_t cores =
          emitTransposeTiles(moves, in, out, size, stride, sourceBase, target);
      finishKernel(builder, kernel, cores, {size.back()});
      return success();
    }
    if (size.empty() || stride.back() != 1) {
      size.push_back(1);
      stride.push_back(1);
    }
    int64_t dims = size.size(), length = size.back();
    int64_t padded = roundUp(length, granule);
    int64_t inner = 1; // Rows under one index of the outermost dimension.
    for (int64_t d = 1; d + 1 < dims; ++d)
      inner *= size[d];
    int64_t block = dims >= 2 ? capacity / (inner * padded) : 0;
    // `count` indices of a view's outermost dimension (the rest `shape`)
    // through a vbuf buffer of `localStrides`: one DMA transfer each way.
    auto blockMove = [&](Value from, Value to, int64_t count,
                         ArrayRef<int64_t> shape, ArrayRef<int64_t> inStrides,
                         ArrayRef<int64_t> localStrides,
                         ArrayRef<int64_t> outStrides) {
      SmallVector<int64_t> extents(shape);
      extents[0] = count;
      Value buffer =
          allocLocal(builder, loc, &body, {count * localStrides[0]}, stage);
      Value local = reinterpretView(
          builder, loc, buffer, builder.getIndexAttr(0), extents, localStrides);
      npu::DmaLoadOp::create(
          builder, loc,
          reinterpretView(builder, loc, in, from, extents, inStrides), local,
          DenseI64ArrayAttr());
      npu::DmaStoreOp::create(
          builder, loc, local,
          reinterpretView(builder, loc, out, to, extents, outStrides))
          .setRelu(relu);
    };
    if (dims == 1 && length >= longRun) {
      // A long run in order (Swin's shift, 53 of 56 rows of an NHWC image).
      cores = splitRun(in, sourceBase, length);
    } else if (dims == 1) {
      // A run in order: a reshape's moves.
      moves.rows(
          in, length, out, length, 1, length,
          [&](Value) { return moves.index(sourceBase); },
          [&](Value) { return moves.index(0); }, granule);
    } else if (dims <= 4 && block > 0) {
      // Blocks of the outermost dimension, each one DMA transfer of up to
      // four dimensions each way.
      block = std::min(block, size[0]);
      SmallVector<int64_t> outStrides(dims, 1), localStrides(dims, 1);
      localStrides[dims - 2] = padded;
      for (int64_t d = dims - 2; d >= 0; --d) {
        outStrides[d] = outStrides[d + 1] * size[d + 1];
        if (d < dims - 2)
          localStrides[d] = localStrides[d + 1] * size[d + 1];
      }
      auto emitBlock = [&](Value first, int64_t count) {
        blockMove(
            moves.plus(moves.times(first, stride[0]), moves.index(sourceBase)),
            moves.times(first, outStrides[0]), count, size, stride,
            localStrides, outStrides);
      };
      // The cores split the blocks when a block's result rows start and end
      // on granules (one source: no other input's rows meet them there).
      if (dims > 1 && (outStrides[0] % granule) == 0 && size[0] > 1)
        cores = std::min<int64_t>(target.cores, size[0]);
      block = std::min(block, ceilDiv(size[0], cores));
      int64_t full = size[0] / block, rest = size[0] % block;
      cores = std::min(cores, std::max<int64_t>(full, 1));
      splitOverCores(
          builder, loc, full, block, cores,
          [&](Value first) { emitBlock(first, block); },
          rest ? function_ref<void(Value)>(
                     [&](Value first) { emitBlock(first, rest); })
               : nullptr);
    } else if (int64_t lead = transferLoops(size, padded, capacity)) {
      // More dimensions than a transfer has (Swin's window partitions,
      // [3, 64, 3, 49, 32]), or an outermost index too large for a buffer:
      // loops over the leading `lead` dimensions, the cores splitting the
      // outermost, and the others as blocked transfers as above. (A
      // transfer per row block, below, paid a DMA latency per 49 rows:
      // 661k cycles where the rows take 28k.)
      SmallVector<int64_t> outStrides(dims, 1);
      for (int64_t d = dims - 2; d >= 0; --d)
        outStrides[d] = outStrides[d + 1] * size[d + 1];
      ArrayRef<int64_t> innerSize = ArrayRef<int64_t>(size).drop_front(lead),
                        innerStride =
                            ArrayRef<int64_t>(stride).drop_front(lead),
                        innerOut =
                            ArrayRef<int64_t>(outStrides).drop_front(lead);
      int64_t inner = innerSize.size();
      SmallVector<int64_t> localStrides(inner, 1);
      localStrides[inner - 2] = padded;
      for (int64_t d = inner - 3; d >= 0; --d)
        localStrides[d] = localStrides[d + 1] * innerSize[d + 1];
      int64_t block = std::min(capacity / localStrides[0], innerSize[0]);
      auto emitBlock = [&](Value from, Value to, Value first, int64_t count) {
        blockMove(moves.plus(from, moves.times(first, innerStride[0])),
                  moves.plus(to, moves.times(first, innerOut[0])), count,
                  innerSize, innerStride, localStrides, innerOut);
      };
      int64_t full = innerSize[0] / block, rest = innerSize[0] % block;
      std::function<void(int64_t, Value, Value)> nest = [&](int64_t d,
                                                            Value from,
                                                            Value to) {
        if (d < lead) {
          loopUnlessOnce(builder, loc, moves.index(0), moves.index(size[d]), 1,
                         [&](Value i) {
                           nest(d + 1,
                                moves.plus(from, moves.times(i, stride[d])),
                                moves.plus(to, moves.times(i, outStrides[d])));
                         });
          return;
        }
        if (full > 0)
          loopUnlessOnce(
              builder, loc, moves.index(0), moves.index(full * block), block,
              [&](Value first) { emitBlock(from, to, first, block); });
        if (rest)
          emitBlock(from, to, moves.index(full * block), rest);
      };
      // The cores split the outermost dimension where its slabs of the
      // result start on granules.
      if ((outStrides[0] % granule) == 0 && size[0] > 1)
        cores = std::min<int64_t>(target.cores, size[0]);
      splitOverCores(
          builder, loc, size[0], 1, cores,
          [&](Value i) {
            nest(1,
                 moves.plus(moves.index(sourceBase), moves.times(i, stride[0])),
                 moves.times(i, outStrides[0]));
          },
          nullptr);
    } else {
      // Loops over the result's outer dimensions, a block of its second
      // innermost at a time.
      int64_t rows = size[dims - 2];
      int64_t sourcePitch = stride[dims - 2];
      SmallVector<int64_t> outStrides(dims, 1);
      for (int64_t d = dims - 2; d >= 0; --d)
        outStrides[d] = outStrides[d + 1] * size[d + 1];
      std::function<void(int64_t, Value, Value)> nest =
          [&](int64_t d, Value from, Value to) {
            if (d == dims - 2) {
              moves.rows(
                  in, sourcePitch, out, length, rows, length,
                  [&](Value row) {
                    return moves.plus(from, moves.times(row, sourcePitch));
                  },
                  [&](Value row) {
                    return moves.plus(to, moves.times(row, length));
                  },
                  granule);
              return;
            }
            loop(builder, loc, moves.index(0), moves.index(size[d]), 1,
                 [&](Value i) {
                   nest(d + 1, moves.plus(from, moves.times(i, stride[d])),
                        moves.plus(to, moves.times(i, outStrides[d])));
                 });
          };
      nest(0, moves.index(sourceBase), moves.index(0));
    }
  } else if (lengths.size() == 1 && outer == 1 && lengths[0] >= longRun) {
    cores = splitRun(flatten(builder, loc, body.getArgument(0)), 0, lengths[0]);
  } else {
    // Each input's rows into its place in every result row; the cores
    // split the result rows when each is whole granules (Swin's shift
    // joins 53 and 3 of 56 columns of 56 rows of an NHWC image).
    SmallVector<Value> ins;
    for (size_t i = 0; i < lengths.size(); ++i)
      ins.push_back(flatten(builder, loc, body.getArgument(i)));
    auto part = [&](Value firstRow, int64_t count) {
      int64_t place = 0;
      for (auto [i, length] : llvm::enumerate(lengths)) {
        int64_t first = place;
        place += length;
        auto row = [&](Value r) { return moves.plus(r, firstRow); };
        moves.rows(
            ins[i], length, out, pitch, count, length,
            [&](Value r) { return moves.times(row(r), length); },
            [&](Value r) {
              return moves.plus(moves.times(row(r), pitch), moves.index(first));
            },
            granule);
      }
    };
    int64_t outGranule =
        target.alignmentBytes /
        bytesOf(cast<MemRefType>(body.getArguments().back().getType())
                    .getElementType());
    if (outer > 1 && pitch % std::lcm(outGranule, granule) == 0)
      cores = std::min<int64_t>(target.cores, outer);
    if (cores == 1) {
      part(moves.index(0), outer);
    } else {
      int64_t per = ceilDiv(outer, cores);
      int64_t full = outer / per, rest = outer % per;
      cores = std::min(cores, full + (rest ? 1 : 0));
      splitOverCores(
          builder, loc, full, per, cores,
          [&](Value first) { part(first, per); },
          rest ? function_ref<void(Value)>(
                     [&](Value first) { part(first, rest); })
               : nullptr);
    }
  }
  // Each transfer waits out a DRAM latency far longer than its bytes take:
  // the loops that load and store blocks through the staging memory (not
  // those turning tiles in vbuf, sized for two copies) keep `copies`.
  if (copies > 2)
    body.walk([&](scf::ForOp loop) {
      bool staged = false, turns = false;
      for (Operation &op : *loop.getBody()) {
        if (auto load = dyn_cast<npu::DmaLoadOp>(op))
          staged |= npu::memorySpaceOf(
                        cast<MemRefType>(load.getDst().getType())) == stage;
        turns |= isa<npu::VTransOp>(op);
      }
      if (staged && !turns && !loop->hasAttr(npu::kBuffersAttrName) &&
          !loop->hasAttr(npu::kBufferedAttrName))
        loop->setAttr(npu::kBuffersAttrName, builder.getI64IntegerAttr(copies));
    });
  finishKernel(builder, kernel, cores, {capacity});
  return success();
}

} // namespace

void sinan::tiling::emitNorm(OpBuilder &builder, Location loc,
                             const NormSpec &spec, Value matrix, Value scalars,
                             function_ref<Value()> perRow, ArrayRef<Value> rows,
                             Value squares) {
  auto type = cast<MemRefType>(matrix.getType());
  float length = float(spec.length);
  if (!spec.rms) {
    npu::VRedOp::create(builder, loc, "sum", matrix, scalars);
    npu::VScalOp::create(builder, loc, "div", scalars, scalars,
                         builder.getF32FloatAttr(length));
    npu::VBinOp::create(builder, loc, "sub", matrix, perRow(), matrix);
  }
  Value square = cast<MemRefType>(squares.getType()).getRank() == 1
                     ? memref::ExpandShapeOp::create(
                           builder, loc, type, squares,
                           ArrayRef<ReassociationIndices>{{0, 1}})
                           .getResult()
                     : squares;
  npu::VBinOp::create(builder, loc, "mul", matrix, matrix, square);
  npu::VRedOp::create(builder, loc, "sum", square, scalars);
  npu::VScalOp::create(builder, loc, "div", scalars, scalars,
                       builder.getF32FloatAttr(length));
  npu::VScalOp::create(builder, loc, "add", scalars, scalars,
                       builder.getF32FloatAttr(spec.epsilon));
  npu::VUnOp::create(builder, loc, "sqrt", scalars, scalars);
  npu::VUnOp::create(builder, loc, "recip", scalars, scalars);
  npu::VBinOp::create(builder, loc, "mul", matrix, perRow(), matrix);
  for (auto [i, row] : llvm::enumerate(rows))
    npu::VBinOp::create(builder, loc, i == 0 ? "mul" : "add", matrix,
                        reinterpretView(builder, loc, row,
                                        builder.getIndexAttr(0),
                                        type.getShape(), {0, 1}),
                        matrix);
}

std::string sinan::snpuElementwiseRefusal(Operation *op,
                                          const TargetDesc &target) {
  std::string why;
  FailureOr<ElementwisePlan> plan = planOf(op, why, &target);
  if (failed(plan))
    return why;
  int64_t cores = 0;
  bool rows = plan->form == ElementwisePlan::Column ||
              plan->form == ElementwisePlan::Reduce ||
              plan->form == ElementwisePlan::Softmax ||
              plan->form == ElementwisePlan::Norm;
  if (rows ? rowsPerChunk(*plan, target, cores) == 0
           : chunkElements(*plan, target, target.cores) == 0)
    return llvm::formatv("rows of {0} elements do not fit the vector buffer",
                         plan->row)
        .str();
  return "";
}

bool sinan::isSnpuElementwise(Operation *op, const TargetDesc &target) {
  return snpuElementwiseRefusal(op, target).empty();
}

LogicalResult
sinan::tiling::convertElementwiseKernel(func::FuncOp kernel, Operation *op,
                                        bool relu, const TargetDesc &target) {
  std::string why;
  FailureOr<ElementwisePlan> found = planOf(op, why, &target);
  if (failed(found))
    return op->emitError() << "the SNPU cannot run this op: " << why;
  ElementwisePlan plan = *found;
  if (plan.form == ElementwisePlan::Column ||
      plan.form == ElementwisePlan::Reduce ||
      plan.form == ElementwisePlan::Softmax ||
      plan.form == ElementwisePlan::Norm)
    return convertRowKernel(kernel, op, plan, relu, target);
  if (plan.form == ElementwisePlan::Concat ||
      plan.form == ElementwisePlan::Move)
    return convertMoves(kernel, op, relu, target);
  if (plan.form == ElementwisePlan::MaxPool)
    return emitMaxPool(kernel, cast<graph::MaxPool2dOp>(op), target);
  if (plan.form == ElementwisePlan::Gather)
    return convertGather(kernel, cast<graph::GatherOp>(op), plan, relu, target);
  int64_t chunk = chunkElements(plan, target, target.cores);
  if (chunk == 0)
    return op->emitError() << "target " << target.name << ": rows of "
                           << plan.row
                           << " elements do not fit the vector buffer "
                              "(local.vbuf.size_kib = "
                           << target.vbuf.sizeBytes / 1024 << ")";
  Location loc = op->getLoc();
  Type resultType = op->getResult(0).getType();
  Block &body = replaceBodyWithMemRefs(kernel, resultType);
  OpBuilder builder(kernel.getContext());
  builder.setInsertionPointToStart(&body);
  int64_t row = plan.form == ElementwisePlan::Row ? plan.row : 0;
  // DRAM operands, flat; chunks are viewed as rows in Row form.
  Value a = flatten(builder, loc, body.getArgument(plan.data));
  Value b = plan.form == ElementwisePlan::Binary
                ? flatten(builder, loc, body.getArgument(1))
                : Value();
  Value out = flatten(builder, loc, body.getArguments().back());
  Value bias;
  if (row) {
    // The row, loaded once; read at repeat stride 0.
    bias = allocVector(builder, loc, &body, {row});
    npu::DmaLoadOp::create(builder, loc,
                           flatten(builder, loc, body.getArgument(1)), bias,
                           DenseI64ArrayAttr());
  }
  // A chunk moves as one contiguous run (the DMA starts every row it
  // writes on a granule); in Row form the vector unit sees it as rows.
  auto emitChunk = [&](Value offset, int64_t size) {
    Value buffer = allocVector(builder, loc, &body, {size});
    npu::DmaLoadOp::create(builder, loc,
                           chunkView(builder, loc, a, offset, size), buffer,
                           DenseI64ArrayAttr());
    switch (plan.form) {
    case ElementwisePlan::Unary:
      npu::VUnOp::create(builder, loc, plan.op, buffer, buffer);
      break;
    case ElementwisePlan::Binary: {
      Value other = allocVector(builder, loc, &body, {size});
      npu::DmaLoadOp::create(builder, loc,
                             chunkView(builder, loc, b, offset, size), other,
                             DenseI64ArrayAttr());
      npu::VBinOp::create(builder, loc, plan.op, buffer, other, buffer);
      break;
    }
    case ElementwisePlan::Row: {
      SmallVector<int64_t, 2> shape = {size / row, row};
      auto vbuf = cast<MemRefType>(buffer.getType()).getMemorySpace();
      Value rows = memref::ExpandShapeOp::create(
          builder, loc,
          MemRefType::get(shape, builder.getF32Type(),
                          MemRefLayoutAttrInterface(), vbuf),
          buffer, ArrayRef<ReassociationIndices>{{0, 1}});
      Value repeated = memref::ReinterpretCastOp::create(
          builder, loc,
          MemRefType::get(
              shape, builder.getF32Type(),
              StridedLayoutAttr::get(builder.getContext(), 0, {0, 1}), vbuf),
          bias, 0, shape, ArrayRef<int64_t>{0, 1});
      npu::VBinOp::create(builder, loc, plan.op, rows, repeated, rows);
      break;
    }
    case ElementwisePlan::Scalar:
      npu::VScalOp::create(builder, loc, plan.op, buffer, buffer,
                           builder.getF32FloatAttr(plan.scalar));
      break;
    case ElementwisePlan::Clip:
      // Two passes over the chunk while it is in vbuf.
      emitClip(builder, loc, buffer, buffer, plan.min, plan.max);
      break;
    case ElementwisePlan::Column:
    case ElementwisePlan::Reduce:
    case ElementwisePlan::Concat:
    case ElementwisePlan::Softmax:
    case ElementwisePlan::Norm:
    case ElementwisePlan::Move:
    case ElementwisePlan::MaxPool:
    case ElementwisePlan::Gather:
      llvm_unreachable("rows, moves, pools or gathers: their own kernels");
    }
    // A relu that follows the op is applied by the store.
    npu::DmaStoreOp::create(builder, loc, buffer,
                            chunkView(builder, loc, out, offset, size))
        .setRelu(relu);
  };
  int64_t cores =
      streamChunks(builder, loc, plan.elements, chunk, target, emitChunk);
  finishKernel(builder, kernel, cores, {chunk});
  return success();
}

namespace {

/// Whether `value` is a one-element f32 constant within 1e-4 (relative) of
/// `want`.
bool isScalarNear(Value value, double want) {
  std::optional<float> got = scalarConstant(value);
  return got && std::fabs(*got - want) <= 1e-4 * std::fabs(want);
}

/// The only user of `op`'s one result, or null.
Operation *soleUser(Operation *op) {
  if (!op || op->getNumResults() != 1 || !op->getResult(0).hasOneUse())
    return nullptr;
  return *op->getResult(0).user_begin();
}

/// The operand of binary `op` other than `value`, or null when neither or
/// both are `value`.
Value otherOperand(Operation *op, Value value) {
  if (!op || op->getNumOperands() != 2)
    return {};
  Value lhs = op->getOperand(0), rhs = op->getOperand(1);
  if (lhs == value && rhs != value)
    return rhs;
  if (rhs == value && lhs != value)
    return lhs;
  return {};
}

/// Where a vector operand of a chain step comes from: the running value
/// (the result of the step before), a value from outside the chain (a
/// kernel argument) streamed in chunks, one row of such a value repeated
/// over the rows, or a column of one element per row streamed beside the
/// chunk's rows (read as a per-repeat scalar).
struct ChainSource {
  enum Kind { Running, Stream, Row, Column } kind = Running;
  Value value;
  /// In a kernel: value's argument number.
  unsigned arg = 0;
};

/// One vector pass of a fused chain, into the running buffer.
struct ChainStep {
  enum Kind { Unary, Binary, Scalar, Row, Clip, Column, Softmax } kind = Unary;
  StringRef op;
  ChainSource a, b; ///< Operands 0 and 1 (Scalar: a is the data).
  float scalar = 0;
  std::optional<float> min, max;
  /// Column: the elements of a row of the data. Softmax (the chain's last
  /// step): the rows it normalizes.
  int64_t row = 0;
};

/// The row length the chunks of a chain keep whole: a column's rows, else
/// a broadcast row's (the innermost dimension), else 0. A chain's columns
/// share one length (chainSteps checks).
int64_t chainRow(ArrayRef<ChainStep> steps, int64_t lastDim) {
  int64_t row = 0, period = 0;
  for (const ChainStep &step : steps) {
    if ((step.kind == ChainStep::Column || step.kind == ChainStep::Softmax) &&
        !row)
      row = step.row;
    if (step.kind == ChainStep::Row)
      period = step.row;
  }
  // (A broadcast block's period is a multiple of the innermost dimension,
  // and chainSteps keeps columns to rows of one innermost dimension.)
  return row && period ? std::lcm(row, period) : row ? row : period;
}

/// The innermost dimension of `type` (1 for a scalar).
int64_t lastDim(RankedTensorType type) {
  return type.getRank() ? type.getShape().back() : 1;
}

/// Elements per chunk of a chain of `steps` over a result of `elements`
/// (rows of `lastDim`): a buffer per distinct streamed value and one for the
/// running value, each broadcast row once (chunkElements); 0 when not even
/// one unit fits. A column (one element per row) is loaded once per core
/// when the largest core's rows fit beside the chunks, each element in a
/// granule of its own so a chunk's first row starts one (`columnsOnce`);
/// else each chunk loads its rows' elements into a buffer of its own.
int64_t chainChunk(ArrayRef<ChainStep> steps, int64_t elements, int64_t lastDim,
                   const TargetDesc &target, bool *columnsOnce = nullptr,
                   int64_t outBytes = 4) {
  SmallVector<Value> streams, rows, columns;
  for (const ChainStep &step : steps) {
    bool binary = step.kind == ChainStep::Binary ||
                  step.kind == ChainStep::Row || step.kind == ChainStep::Column;
    for (const ChainSource *source : {&step.a, &step.b}) {
      if ((source == &step.b && !binary) ||
          source->kind == ChainSource::Running)
        continue;
      SmallVector<Value> &list = source->kind == ChainSource::Row ? rows
                                 : source->kind == ChainSource::Column
                                     ? columns
                                     : streams;
      if (!llvm::is_contained(list, source->value))
        list.push_back(source->value);
    }
  }
  int64_t row = chainRow(steps, lastDim);
  // A softmax's column of per-row maxima and sums takes a buffer too.
  bool softmax = !steps.empty() && steps.back().kind == ChainStep::Softmax;
  int64_t buffers = int64_t(streams.size()) + 1 + (softmax ? 1 : 0);
  if (columnsOnce)
    *columnsOnce = false;
  if (!columns.empty() && row) {
    int64_t align = target.alignmentBytes, totalRows = elements / row;
    // A core's rows, or the rows the largest region of chunks that leaves
    // takes (fewer cores than planned take more rows each).
    int64_t regionRows = ceilDiv(totalRows, target.cores);
    for (int attempt = 0; attempt < 2; ++attempt) {
      // (And each column's elements as they lie in DRAM, before the
      // vector unit spreads them.)
      int64_t perColumn = regionRows * align + roundUp(regionRows * 4, align);
      int64_t chunk = chunkElements(
          elements, row, buffers, int64_t(rows.size()), target, target.cores,
          int64_t(columns.size()) * perColumn, outBytes);
      if (!chunk)
        break;
      int64_t largest = largestRegion(totalRows, chunk / row, target);
      if (largest <= regionRows) {
        if (columnsOnce)
          *columnsOnce = true;
        return chunk;
      }
      regionRows = largest;
    }
  }
  // Else a column's chunk, a fraction of the rows', counts as a buffer of
  // its own.
  return chunkElements(elements, row, buffers + int64_t(columns.size()),
                       int64_t(rows.size()), target, target.cores, 0, outBytes);
}

/// The steps of the kernel body `ops`, or why not.
FailureOr<SmallVector<ChainStep>> chainSteps(ArrayRef<Operation *> ops,
                                             std::string &why) {
  SmallVector<ChainStep> steps;
  Value running;
  auto sourceOf = [&](Value value,
                      ChainSource::Kind kind) -> FailureOr<ChainSource> {
    if (running && value == running)
      return kind != ChainSource::Stream
                 ? FailureOr<ChainSource>(failure())
                 : ChainSource{ChainSource::Running, value};
    if (llvm::is_contained(ops, value.getDefiningOp()))
      return failure();
    return ChainSource{kind, value};
  };
  constexpr auto stream = ChainSource::Stream;
  int64_t columnRow = 0, rowPeriod = 0;
  for (size_t i = 0; i < ops.size();) {
    Operation *op = ops[i];
    Value x;
    SmallVector<Operation *, 5> gelu = matchGelu(op, &x);
    if (!gelu.empty() && i + gelu.size() <= ops.size() &&
        llvm::equal(gelu, ops.slice(i, gelu.size()))) {
      FailureOr<ChainSource> a = sourceOf(x, stream);
      if (failed(a)) {
        why = "the input of a fused GELU is neither an argument nor the "
              "step before";
        return failure();
      }
      ChainStep step;
      step.op = geluUnaryOf(gelu);
      step.a = *a;
      steps.push_back(step);
      running = gelu.back()->getResult(0);
      i += gelu.size();
      continue;
    }
    FailureOr<ElementwisePlan> plan = planOf(op, why);
    if (failed(plan))
      return failure();
    ChainStep step;
    step.op = plan->op;
    // A one-element constant is the vector unit's scalar even where the
    // result has one element (or is one column) and the plan took it for a
    // tensor or a row: later ops' scalars are copied into the kernel, not
    // passed.
    if (plan->form == ElementwisePlan::Binary ||
        plan->form == ElementwisePlan::Row) {
      for (unsigned i : {1u, 0u}) {
        std::optional<float> value = scalarConstant(op->getOperand(i));
        if (!value)
          continue;
        if (i == 0 && !commutes(plan->op)) {
          why = "a scalar before a non-commuting op in a chain";
          return failure();
        }
        plan->form = ElementwisePlan::Scalar;
        plan->data = 1 - i;
        plan->scalar = *value;
        break;
      }
    }
    FailureOr<ChainSource> a = failure(), b = success(ChainSource());
    switch (plan->form) {
    case ElementwisePlan::Unary:
      step.kind = ChainStep::Unary;
      a = sourceOf(op->getOperand(0), stream);
      break;
    case ElementwisePlan::Clip:
      step.kind = ChainStep::Clip;
      step.min = plan->min;
      step.max = plan->max;
      a = sourceOf(op->getOperand(0), stream);
      break;
    case ElementwisePlan::Scalar:
      step.kind = ChainStep::Scalar;
      step.scalar = plan->scalar;
      a = sourceOf(op->getOperand(plan->data), stream);
      break;
    case ElementwisePlan::Binary:
      step.kind = ChainStep::Binary;
      a = sourceOf(op->getOperand(0), stream);
      b = sourceOf(op->getOperand(1), stream);
      break;
    case ElementwisePlan::Row:
      // One period for every broadcast block of the chain, and a block of
      // more than one row only beside no columns (their rows index the
      // chunk's rows).
      if (rowPeriod && rowPeriod != plan->row) {
        why = "broadcast blocks of different sizes in one chain";
        return failure();
      }
      rowPeriod = plan->row;
      step.kind = ChainStep::Row;
      step.row = plan->row;
      a = sourceOf(op->getOperand(0), stream);
      b = sourceOf(op->getOperand(1), ChainSource::Row);
      break;
    case ElementwisePlan::Column:
      // One row length for every column of the chain.
      if (columnRow && columnRow != plan->row) {
        why = "columns over rows of different lengths in one chain";
        return failure();
      }
      columnRow = plan->row;
      step.kind = ChainStep::Column;
      step.row = plan->row;
      a = sourceOf(op->getOperand(plan->data), stream);
      b = sourceOf(op->getOperand(1 - plan->data), ChainSource::Column);
      break;
    case ElementwisePlan::Softmax:
      // Last, over whole rows: attention's scores scaled and masked, then
      // normalized, in one pass through vbuf.
      if (i + 1 != ops.size() || (columnRow && columnRow != plan->row)) {
        why = "a softmax ends a chain, over rows of its columns' length";
        return failure();
      }
      columnRow = plan->row;
      step.kind = ChainStep::Softmax;
      step.row = plan->row;
      a = sourceOf(op->getOperand(0), stream);
      break;
    case ElementwisePlan::Reduce:
    case ElementwisePlan::Concat:
    case ElementwisePlan::Norm:
    case ElementwisePlan::Move:
    case ElementwisePlan::MaxPool:
    case ElementwisePlan::Gather:
      // Whole rows into fewer elements, or moves: a kernel of its own.
      why = "a reduction or a concatenation runs as a kernel of its own";
      return failure();
    }
    if (failed(a) || failed(b) ||
        (i > 0 && a->kind != ChainSource::Running &&
         (step.kind != ChainStep::Binary || b->kind != ChainSource::Running))) {
      why = "an op of the chain does not take the result of the one before";
      return failure();
    }
    step.a = *a;
    step.b = *b;
    steps.push_back(step);
    running = op->getResult(0);
    ++i;
  }
  auto result = cast<RankedTensorType>(ops.back()->getResult(0).getType());
  if (rowPeriod && llvm::any_of(steps, [&](const ChainStep &step) {
        return step.kind == ChainStep::Column && rowPeriod != lastDim(result);
      })) {
    why = "a broadcast block of more than one row beside a column";
    return failure();
  }
  return steps;
}

} // namespace

namespace {

bool sameShapeAs(Operation *at, Value x) {
  return at && at->getNumResults() == 1 &&
         at->getResult(0).getType() == x.getType();
}

/// The tanh form of GELU, 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))),
/// from the cube of x (x * x then times x, either order, or x ^ 3): each op
/// the only user of the one before, then x and 0.5 in any order ((x * g) *
/// 0.5, (g * 0.5) * x, or (0.5 x) * g with 0.5 x its own op). Its ops in
/// block order, or empty.
SmallVector<Operation *, 5> geluTanhFrom(Operation *start, Value x) {
  Operation *cube = nullptr;
  SmallVector<Operation *, 5> ops = {start};
  if (auto pow = dyn_cast<graph::PowOp>(start)) {
    if (pow.getLhs() == x && isScalarNear(pow.getRhs(), 3.0))
      cube = start;
  } else if (auto square = dyn_cast<graph::MulOp>(start);
             square && square.getLhs() == x && square.getRhs() == x) {
    auto next = dyn_cast_or_null<graph::MulOp>(soleUser(start));
    if (next && otherOperand(next, square.getResult()) == x) {
      cube = next;
      ops.push_back(next);
    }
  }
  if (!cube)
    return {};
  auto scaled = dyn_cast_or_null<graph::MulOp>(soleUser(cube));
  auto sum = dyn_cast_or_null<graph::AddOp>(soleUser(scaled));
  auto inner = dyn_cast_or_null<graph::MulOp>(soleUser(sum));
  auto tanh = dyn_cast_or_null<graph::TanhOp>(soleUser(inner));
  auto onePlus = dyn_cast_or_null<graph::AddOp>(soleUser(tanh));
  if (!scaled ||
      !isScalarNear(otherOperand(scaled, cube->getResult(0)), 0.044715) ||
      !sum || otherOperand(sum, scaled.getResult()) != x || !inner ||
      !isScalarNear(otherOperand(inner, sum.getResult()), 0.7978845608028654) ||
      !tanh || !onePlus ||
      !isScalarNear(otherOperand(onePlus, tanh.getResult()), 1.0))
    return {};
  ops.append({scaled, sum, inner, tanh, onePlus});
  auto first = dyn_cast_or_null<graph::MulOp>(soleUser(onePlus));
  if (!first)
    return {};
  Value other = otherOperand(first, onePlus.getResult());
  auto second = dyn_cast_or_null<graph::MulOp>(soleUser(first));
  Value last = second ? otherOperand(second, first.getResult()) : Value();
  auto half =
      other ? dyn_cast_or_null<graph::MulOp>(other.getDefiningOp()) : nullptr;
  if (last && ((other == x && isScalarNear(last, 0.5)) ||
               (isScalarNear(other, 0.5) && last == x)))
    ops.append({first, second});
  else if (half && half->hasOneUse() && half.getNumOperands() == 2 &&
           isScalarNear(otherOperand(half, x), 0.5))
    ops.append({half, first});
  else
    return {};
  if (!llvm::all_of(ops, [&](Operation *op) { return sameShapeAs(op, x); }))
    return {};
  llvm::sort(ops,
             [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  return ops;
}

/// The tanh-form GELU whose first op (in block order) is `op`.
SmallVector<Operation *, 5> matchGeluTanh(Operation *op, Value *input) {
  // x from `op`: x ^ 3, x * x, or x * 0.5 (either order).
  Value x;
  if (auto pow = dyn_cast<graph::PowOp>(op))
    x = pow.getLhs();
  else if (auto mul = dyn_cast<graph::MulOp>(op)) {
    if (mul.getLhs() == mul.getRhs())
      x = mul.getLhs();
    else
      for (unsigned i : {1u, 0u})
        if (isScalarNear(op->getOperand(i), 0.5))
          x = op->getOperand(1 - i);
  }
  if (!x || !sameShapeAs(op, x))
    return {};
  for (Operation *user : x.getUsers()) {
    SmallVector<Operation *, 5> ops = geluTanhFrom(user, x);
    if (!ops.empty() && ops.front() == op) {
      if (input)
        *input = x;
      return ops;
    }
  }
  return {};
}

} // namespace

StringRef sinan::geluUnaryOf(ArrayRef<Operation *> gelu) {
  return llvm::any_of(gelu,
                      [](Operation *op) { return isa<graph::TanhOp>(op); })
             ? "gelu_tanh"
             : "gelu";
}

SmallVector<Operation *, 5> sinan::matchGelu(Operation *op, Value *input) {
  if (SmallVector<Operation *, 5> tanh = matchGeluTanh(op, input);
      !tanh.empty())
    return tanh;
  // x scaled by 1 / sqrt(2).
  Value x;
  if (auto div = dyn_cast<graph::DivOp>(op)) {
    if (isScalarNear(div.getRhs(), M_SQRT2))
      x = div.getLhs();
  } else if (llvm::isa<graph::MulOp>(op)) {
    for (unsigned i : {1u, 0u})
      if (isScalarNear(op->getOperand(i), M_SQRT1_2))
        x = op->getOperand(1 - i);
  }
  if (!x || !sameShapeAs(op, x))
    return {};
  Operation *erf = soleUser(op);
  auto add = dyn_cast_or_null<graph::AddOp>(soleUser(erf));
  if (!llvm::isa_and_nonnull<graph::ErfOp>(erf) || !add ||
      !isScalarNear(otherOperand(add, erf->getResult(0)), 1.0) ||
      !sameShapeAs(add, x))
    return {};
  // Then * x and * 0.5, in either order.
  auto first = dyn_cast_or_null<graph::MulOp>(soleUser(add));
  Value other = otherOperand(first, add.getResult());
  auto second = dyn_cast_or_null<graph::MulOp>(soleUser(first));
  Value last = second ? otherOperand(second, first.getResult()) : Value();
  if (!other || !last || !sameShapeAs(first, x) || !sameShapeAs(second, x) ||
      !((other == x && isScalarNear(last, 0.5)) ||
        (isScalarNear(other, 0.5) && last == x)))
    return {};
  if (input)
    *input = x;
  return {op, erf, add, first, second};
}

SmallVector<Operation *, 5> sinan::geluOf(Value x) {
  SmallVector<Operation *> users(x.getUsers());
  if (users.size() < 2)
    return {};
  for (Operation *user : users) {
    Value input;
    SmallVector<Operation *, 5> gelu = matchGelu(user, &input);
    if (!gelu.empty() && input == x &&
        llvm::all_of(users, [&](Operation *other) {
          return llvm::is_contained(gelu, other);
        }))
      return gelu;
  }
  return {};
}

SmallVector<Operation *, 2> sinan::siluOf(Value x) {
  SmallVector<Operation *> users(x.getUsers());
  if (users.size() != 2)
    return {};
  for (auto [s, m] :
       {std::pair{users[0], users[1]}, std::pair{users[1], users[0]}}) {
    auto sigmoid = dyn_cast<graph::SigmoidOp>(s);
    auto mul = dyn_cast<graph::MulOp>(m);
    if (!sigmoid || !mul || !sigmoid->hasOneUse() ||
        *sigmoid->user_begin() != mul || sigmoid.getType() != x.getType() ||
        mul.getType() != x.getType() ||
        otherOperand(mul, sigmoid.getResult()) != x)
      continue;
    return {sigmoid, mul};
  }
  return {};
}

SmallVector<Operation *, 5> sinan::hardSwishOf(Value x) {
  SmallVector<Operation *> users(x.getUsers());
  if (users.size() != 2)
    return {};
  auto sameShape = [&](Operation *at) {
    return at && at->getNumResults() == 1 &&
           at->getResult(0).getType() == x.getType();
  };
  for (Operation *scale : users) {
    // x / 6 or x * (1/6).
    Value by = otherOperand(scale, x);
    if (!sameShape(scale) ||
        !((llvm::isa<graph::MulOp>(scale) && isScalarNear(by, 1.0 / 6)) ||
          (llvm::isa<graph::DivOp>(scale) && scale->getOperand(0) == x &&
           isScalarNear(by, 6.0))))
      continue;
    auto add = dyn_cast_or_null<graph::AddOp>(soleUser(scale));
    if (!add || !isScalarNear(otherOperand(add, scale->getResult(0)), 0.5))
      continue;
    // Bounded to [0, 1]: min then max, or the graph.clip canonicalization
    // makes of them.
    SmallVector<Operation *, 5> ops = {scale, add};
    Operation *bounded = soleUser(add);
    if (auto clip = dyn_cast_or_null<graph::ClipOp>(bounded)) {
      if (!clip.getMinAttr() || !clip.getMaxAttr() ||
          clip.getMinAttr().getValueAsDouble() != 0.0 ||
          clip.getMaxAttr().getValueAsDouble() != 1.0)
        continue;
      ops.push_back(clip);
    } else {
      auto min = dyn_cast_or_null<graph::MinOp>(bounded);
      auto max = dyn_cast_or_null<graph::MaxOp>(soleUser(min));
      if (!min || !isScalarNear(otherOperand(min, add.getResult()), 1.0) ||
          !max || !isScalarNear(otherOperand(max, min.getResult()), 0.0))
        continue;
      ops.append({min, max});
      bounded = max;
    }
    auto mul = dyn_cast_or_null<graph::MulOp>(soleUser(bounded));
    if (!mul || otherOperand(mul, bounded->getResult(0)) != x)
      continue;
    ops.push_back(mul);
    if (!llvm::all_of(ArrayRef(ops).drop_front(), sameShape))
      continue;
    return ops;
  }
  return {};
}

SmallVector<Operation *, 2>
sinan::elementwiseChain(Operation *op, const TargetDesc &target,
                        function_ref<bool(Operation *)> allowed) {
  // Longer chains would only shrink the chunks.
  constexpr size_t kMostOps = 16;
  SmallVector<Operation *, 2> chain;
  SmallVector<Operation *, 5> gelu = matchGelu(op);
  if (!gelu.empty())
    chain.append(gelu.begin() + 1, gelu.end());
  else if (!isSnpuElementwise(op, target))
    return chain;
  while (chain.size() + 1 < kMostOps) {
    Value result = (chain.empty() ? op : chain.back())->getResult(0);
    SmallVector<Operation *> users(result.getUsers());
    // A GELU of the running value (its two users).
    SmallVector<Operation *, 5> next = geluOf(result);
    if (next.empty() && users.size() == 1 &&
        isSnpuElementwise(users.front(), target))
      next = {users.front()};
    if (next.empty() || chain.size() + 1 + next.size() > kMostOps ||
        !llvm::all_of(next, allowed))
      break;
    chain.append(next.begin(), next.end());
  }
  // The vector unit must be able to compute each op from the one before;
  // a broadcast it cannot stream ends the chain earlier.
  SmallVector<Operation *> all = {op};
  all.append(chain.begin(), chain.end());
  // And only the last op's result may leave the kernel.
  auto closed = [&] {
    return llvm::all_of(ArrayRef(all).drop_back(), [&](Operation *inner) {
      return llvm::all_of(inner->getUsers(), [&](Operation *user) {
        return llvm::is_contained(all, user);
      });
    });
  };
  // And its chunks must fit vbuf (each value it streams takes a buffer).
  auto fits = [&](ArrayRef<ChainStep> steps) {
    auto result = cast<RankedTensorType>(all.back()->getResult(0).getType());
    return chainChunk(steps, result.getNumElements(), lastDim(result), target) >
           0;
  };
  std::string why;
  while (!chain.empty()) {
    FailureOr<SmallVector<ChainStep>> steps = chainSteps(all, why);
    if (succeeded(steps) && closed() && fits(*steps))
      break;
    chain.pop_back();
    all.pop_back();
  }
  return chain;
}

std::optional<double> sinan::snpuChainCycles(func::FuncOp kernel,
                                             const TargetDesc &target) {
  SmallVector<Operation *> ops = kernelBodyOps(kernel);
  auto ret = cast<func::ReturnOp>(kernel.getBody().front().getTerminator());
  if (ops.size() < 2 || ret.getNumOperands() != 1 ||
      throughStorage(ret.getOperand(0)) != ops.back()->getResult(0) ||
      llvm::any_of(ops, [&](Operation *op) {
        return !isSnpuElementwise(op, target) ||
               llvm::isa<graph::MatMulOp, graph::Conv2dOp>(op);
      }))
    return std::nullopt;
  std::string why;
  FailureOr<SmallVector<ChainStep>> steps = chainSteps(ops, why);
  auto result = cast<RankedTensorType>(ops.back()->getResult(0).getType());
  int64_t outBytes =
      getElementTypeOrSelf(kernel.getResultTypes()[0]).getIntOrFloatBitWidth() /
      8;
  if (failed(steps) || !chainChunk(*steps, result.getNumElements(),
                                   lastDim(result), target, nullptr, outBytes))
    return std::nullopt;
  // Its arguments and result once through DRAM, at the types the kernel
  // keeps there, against a vector pass per step, and a load's and a
  // store's latency.
  double bytes = 0;
  for (Type type : llvm::concat<const Type>(kernel.getArgumentTypes(),
                                            kernel.getResultTypes())) {
    auto shaped = cast<ShapedType>(type);
    bytes += double(shaped.getNumElements()) *
             double(shaped.getElementTypeBitWidth() / 8);
  }
  double dram = std::min<double>(double(target.dmaBytesPerCycle) * target.cores,
                                 double(target.dramBytesPerCycle));
  double vector = double(steps->size()) * double(result.getNumElements()) *
                  4.0 / (double(target.vectorBytesPerCycle) * target.cores);
  return std::max(bytes / dram, vector) + 2.0 * target.dramLatencyCycles;
}

bool sinan::tiling::runsAsColumnChain(Operation *op, const TargetDesc &target,
                                      int64_t outBytes) {
  std::string why;
  FailureOr<ElementwisePlan> plan = planOf(op, why, &target);
  if (failed(plan) || plan->form != ElementwisePlan::Column)
    return false;
  FailureOr<SmallVector<ChainStep>> steps = chainSteps({op}, why);
  auto result = cast<RankedTensorType>(op->getResult(0).getType());
  return succeeded(steps) &&
         chainChunk(*steps, result.getNumElements(), lastDim(result), target,
                    nullptr, outBytes) > 0;
}

LogicalResult sinan::tiling::convertElementwiseChain(func::FuncOp kernel,
                                                     ArrayRef<Operation *> ops,
                                                     const TargetDesc &target) {
  std::string why;
  FailureOr<SmallVector<ChainStep>> found = chainSteps(ops, why);
  if (failed(found))
    return ops.front()->emitError()
           << "the SNPU cannot run this chain of elementwise ops: " << why;
  SmallVector<ChainStep> steps = *found;
  // A relu at the end is the store's.
  bool relu = steps.size() > 1 && steps.back().kind == ChainStep::Unary &&
              steps.back().op == "relu";
  if (relu)
    steps.pop_back();
  auto result = cast<RankedTensorType>(ops.back()->getResult(0).getType());
  int64_t elements = result.getNumElements();
  // (A result kept as bf16 is rounded by the store: its chunks start on
  // granules at two bytes an element.)
  int64_t outBytes =
      getElementTypeOrSelf(kernel.getResultTypes()[0]).getIntOrFloatBitWidth() /
      8;
  bool columnsOnce = false;
  int64_t chunk = chainChunk(steps, elements, lastDim(result), target,
                             &columnsOnce, outBytes);
  // The chunk buffers (each streamed argument and the running value) and
  // the rows loaded once, by argument number (the body is rebuilt below).
  SmallVector<unsigned> streams, rows, columns;
  int64_t row = 0;
  for (ChainStep &step : steps) {
    bool binary = step.kind == ChainStep::Binary ||
                  step.kind == ChainStep::Row || step.kind == ChainStep::Column;
    for (ChainSource *source : {&step.a, &step.b}) {
      if ((source == &step.b && !binary) ||
          source->kind == ChainSource::Running)
        continue;
      auto arg = dyn_cast<BlockArgument>(source->value);
      if (!arg)
        return ops.front()->emitError(
            "an operand of this chain of elementwise ops is not an argument "
            "of its kernel");
      source->arg = arg.getArgNumber();
      source->value = nullptr;
      SmallVector<unsigned> &list = source->kind == ChainSource::Row ? rows
                                    : source->kind == ChainSource::Column
                                        ? columns
                                        : streams;
      if (!llvm::is_contained(list, source->arg))
        list.push_back(source->arg);
      if (source->kind == ChainSource::Row)
        row = step.row;
    }
  }
  if (chunk == 0)
    return ops.front()->emitError()
           << "target " << target.name << ": chunks of this chain of "
           << ops.size() << " elementwise ops do not fit the vector buffer "
           << "(local.vbuf.size_kib = " << target.vbuf.sizeBytes / 1024 << ")";

  Location loc = ops.front()->getLoc();
  Block &body = replaceBodyWithMemRefs(kernel, result);
  OpBuilder builder(kernel.getContext());
  builder.setInsertionPointToStart(&body);
  DenseMap<unsigned, Value> flat, rowBuffers;
  for (unsigned arg : llvm::concat<unsigned>(streams, columns))
    flat[arg] = flatten(builder, loc, body.getArgument(arg));
  int64_t columnRow = chainRow(steps, 0);
  for (unsigned arg : rows) {
    // Loaded once; read at repeat stride 0.
    Value buffer = allocVector(builder, loc, &body, {row});
    npu::DmaLoadOp::create(builder, loc,
                           flatten(builder, loc, body.getArgument(arg)), buffer,
                           DenseI64ArrayAttr());
    rowBuffers[arg] = buffer;
  }
  Value out = flatten(builder, loc, body.getArguments().back());
  auto vbuf =
      npu::MemorySpaceAttr::get(builder.getContext(), npu::MemorySpace::vbuf);
  // Columns loaded once per region of chunks (chainChunk's columnsOnce):
  // a row's element at the start of a granule of its own, so the view of a
  // chunk's rows starts on one; the region's first row is `regionRow0`.
  // The DMA brings the region's elements as one run (a DMA row a granule
  // would cost a cycle each) and the vector unit spreads them.
  int64_t granule = target.alignmentBytes / 4;
  DenseMap<unsigned, Value> columnOnce, columnRun;
  int64_t regionRow0 = 0;
  if (columnsOnce)
    for (unsigned arg : columns) {
      int64_t most =
          largestRegion(elements / columnRow, chunk / columnRow, target);
      columnOnce[arg] = allocVector(builder, loc, &body, {most, granule});
      columnRun[arg] = allocVector(builder, loc, &body, {most});
    }
  auto loadColumns = [&](int64_t first, int64_t count) {
    regionRow0 = first;
    for (unsigned arg : columns) {
      Value run = reinterpretView(builder, loc, columnRun[arg],
                                  builder.getIndexAttr(0), {count}, {1});
      npu::DmaLoadOp::create(
          builder, loc,
          chunkView(builder, loc, flat[arg],
                    arith::ConstantIndexOp::create(builder, loc, first), count),
          run, DenseI64ArrayAttr());
      npu::VScalOp::create(
          builder, loc, "mul",
          reinterpretView(builder, loc, columnRun[arg], builder.getIndexAttr(0),
                          {count, 1}, {1, 1}),
          reinterpretView(builder, loc, columnOnce[arg],
                          builder.getIndexAttr(0), {count, 1}, {granule, 1}),
          builder.getF32FloatAttr(1.0f));
    }
  };
  // With columns, chunks are counted in rows (the scalar unit has no
  // division to find a chunk's first row from its first element).
  auto emitChunk = [&](Value offset, int64_t size, Value firstRow) {
    DenseMap<unsigned, Value> chunkOf;
    for (unsigned arg : streams) {
      Value buffer = allocVector(builder, loc, &body, {size});
      npu::DmaLoadOp::create(builder, loc,
                             chunkView(builder, loc, flat[arg], offset, size),
                             buffer, DenseI64ArrayAttr());
      chunkOf[arg] = buffer;
    }
    // A column's elements for the chunk's rows (whole rows: the chunk is a
    // multiple of their length).
    DenseMap<unsigned, Value> columnOf;
    for (unsigned arg : columnsOnce ? ArrayRef<unsigned>() : columns) {
      Value buffer = allocVector(builder, loc, &body, {size / columnRow});
      npu::DmaLoadOp::create(
          builder, loc,
          chunkView(builder, loc, flat[arg], firstRow, size / columnRow),
          buffer, DenseI64ArrayAttr());
      columnOf[arg] = buffer;
    }
    Value running = allocVector(builder, loc, &body, {size});
    auto vector = [&](const ChainSource &source) {
      return source.kind == ChainSource::Running ? running
                                                 : chunkOf[source.arg];
    };
    auto asRows = [&](Value buffer, int64_t row) {
      SmallVector<int64_t, 2> shape = {size / row, row};
      return memref::ExpandShapeOp::create(
          builder, loc,
          MemRefType::get(shape, builder.getF32Type(),
                          MemRefLayoutAttrInterface(), vbuf),
          buffer, ArrayRef<ReassociationIndices>{{0, 1}});
    };
    for (const ChainStep &step : steps) {
      switch (step.kind) {
      case ChainStep::Unary:
        npu::VUnOp::create(builder, loc, step.op, vector(step.a), running);
        break;
      case ChainStep::Binary:
        npu::VBinOp::create(builder, loc, step.op, vector(step.a),
                            vector(step.b), running);
        break;
      case ChainStep::Scalar:
        npu::VScalOp::create(builder, loc, step.op, vector(step.a), running,
                             builder.getF32FloatAttr(step.scalar));
        break;
      case ChainStep::Clip:
        emitClip(builder, loc, vector(step.a), running, step.min, step.max);
        break;
      case ChainStep::Row: {
        Value repeated = reinterpretView(builder, loc, rowBuffers[step.b.arg],
                                         builder.getIndexAttr(0),
                                         {size / step.row, step.row}, {0, 1});
        npu::VBinOp::create(builder, loc, step.op,
                            asRows(vector(step.a), step.row), repeated,
                            asRows(running, step.row));
        break;
      }
      case ChainStep::Softmax: {
        // As the softmax kernel: exp(x - max) / sum, a column each.
        int64_t count = size / step.row;
        Value scalars = allocVector(builder, loc, &body, {count});
        emitSoftmaxRows(builder, loc, asRows(vector(step.a), step.row),
                        asRows(running, step.row), scalars,
                        reinterpretView(builder, loc, scalars,
                                        builder.getIndexAttr(0),
                                        {count, step.row}, {1, 0}));
        break;
      }
      case ChainStep::Column: {
        SmallVector<int64_t, 2> shape = {size / step.row, step.row};
        Value perRow;
        if (columnsOnce) {
          Value rows = arith::SubIOp::create(
              builder, loc, firstRow,
              arith::ConstantIndexOp::create(builder, loc, regionRow0));
          Value at = arith::MulIOp::create(
              builder, loc, rows,
              arith::ConstantIndexOp::create(builder, loc, granule));
          perRow = reinterpretView(builder, loc, columnOnce[step.b.arg], at,
                                   shape, {granule, 0});
        } else {
          perRow = memref::ReinterpretCastOp::create(
              builder, loc,
              MemRefType::get(
                  shape, builder.getF32Type(),
                  StridedLayoutAttr::get(builder.getContext(), 0, {1, 0}),
                  vbuf),
              columnOf[step.b.arg], 0, shape, ArrayRef<int64_t>{1, 0});
        }
        npu::VBinOp::create(builder, loc, step.op,
                            asRows(vector(step.a), step.row), perRow,
                            asRows(running, step.row));
        break;
      }
      }
    }
    npu::DmaStoreOp::create(builder, loc, running,
                            chunkView(builder, loc, out, offset, size))
        .setRelu(relu);
  };
  int64_t cores =
      columnRow
          ? streamChunks(
                builder, loc, elements / columnRow, chunk / columnRow, target,
                [&](Value row, int64_t rows) {
                  Value offset = arith::MulIOp::create(
                      builder, loc, row,
                      arith::ConstantIndexOp::create(builder, loc, columnRow));
                  emitChunk(offset, rows * columnRow, row);
                },
                columnsOnce ? function_ref<void(int64_t, int64_t)>(loadColumns)
                            : nullptr)
          : streamChunks(builder, loc, elements, chunk, target,
                         [&](Value offset, int64_t size) {
                           emitChunk(offset, size, Value());
                         });
  finishKernel(builder, kernel, cores, {chunk});
  return success();
}

std::optional<float> sinan::scalarConstant(Value value) {
  auto constant = value.getDefiningOp<graph::ConstantOp>();
  auto dense =
      constant ? dyn_cast<DenseElementsAttr>(constant.getValue()) : nullptr;
  if (!dense || dense.getNumElements() != 1 || !dense.getElementType().isF32())
    return std::nullopt;
  return *dense.getValues<float>().begin();
}
