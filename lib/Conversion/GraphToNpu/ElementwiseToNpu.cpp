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
// do a clip's bounds.
//
//===----------------------------------------------------------------------===//

#include "Tiling.h"
#include "sinan/Conversion/GraphToNpu.h"

#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Dialect/Npu/IR/NpuOps.h"
#include "sinan/runtime/Target.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"

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

/// The value of a one-element f32 constant, if `value` is one.
std::optional<float> scalarConstant(Value value) {
  auto constant = value.getDefiningOp<graph::ConstantOp>();
  auto dense =
      constant ? dyn_cast<DenseElementsAttr>(constant.getValue()) : nullptr;
  if (!dense || dense.getNumElements() != 1 || !dense.getElementType().isF32())
    return std::nullopt;
  return *dense.getValues<float>().begin();
}

/// How an elementwise op maps onto the vector unit.
struct ElementwisePlan {
  enum Form { Unary, Binary, Row, Scalar, Clip } form = Unary;
  /// Clip: its bounds, applied as max then min with a scalar.
  std::optional<float> min, max;
  StringRef op;      ///< The vector unit's operation.
  unsigned data = 0; ///< The operand streamed in chunks (Scalar: 0 or 1).
  float scalar = 0;  ///< Scalar: the constant.
  int64_t elements = 0;
  int64_t row = 0; ///< Row: elements per row.
};

/// The plan for `op`, or why the vector unit cannot run it.
FailureOr<ElementwisePlan> planOf(Operation *op, std::string &why) {
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
    return fail(
        "no SNPU kernel for " + name +
        (op->getNumOperands() > 2
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
  // One row repeated over the first operand's rows.
  RankedTensorType rowType = staticF32(op->getOperand(1).getType());
  if (sameSize(0) && rowType && result.getRank() >= 2 &&
      rowType.getNumElements() == result.getShape().back() &&
      (rowType.getRank() == 0 ||
       rowType.getShape().back() == result.getShape().back())) {
    plan.form = ElementwisePlan::Row;
    plan.row = result.getShape().back();
    return plan;
  }
  return fail("operand 1 is broadcast other than as one row over the rows "
              "of operand 0 or as one constant element");
}

/// Elements per chunk: whole granules (whole rows in Row form) filling
/// vbuf's share of one chunk buffer, spread evenly over the cores; 0 when
/// not even one unit fits.
int64_t chunkElements(const ElementwisePlan &plan, const TargetDesc &target,
                      int64_t cores) {
  int64_t align = target.alignmentBytes;
  // Chunk buffers: the streamed operands, each twice (multi-buffered); a
  // broadcast row once.
  int64_t streamed = plan.form == ElementwisePlan::Binary ? 2 : 1;
  int64_t region =
      plan.form == ElementwisePlan::Row
          ? (int64_t(target.vbuf.sizeBytes) - roundUp(plan.row * 4, align)) /
                2 / align * align
          : int64_t(target.vbuf.sizeBytes) / (2 * streamed) / align * align;
  int64_t unit = plan.form == ElementwisePlan::Row
                     ? plan.row * (align / std::gcd(plan.row * 4, align))
                     : align / 4;
  int64_t most = region / 4 / unit * unit;
  if (most == 0)
    return 0;
  int64_t perCore = ceilDiv(plan.elements, cores);
  return std::max(unit, std::min(most, roundUp(perCore, unit)));
}

/// A local vbuf buffer of `shape` f32, at the kernel's entry.
Value allocVector(OpBuilder &builder, Location loc, Block *entry,
                  ArrayRef<int64_t> shape) {
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(entry);
  auto type = MemRefType::get(
      shape, builder.getF32Type(), MemRefLayoutAttrInterface(),
      npu::MemorySpaceAttr::get(builder.getContext(), npu::MemorySpace::vbuf));
  return memref::AllocOp::create(builder, loc, type);
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

} // namespace

std::string sinan::snpuElementwiseRefusal(Operation *op,
                                          const TargetDesc &target) {
  std::string why;
  FailureOr<ElementwisePlan> plan = planOf(op, why);
  if (failed(plan))
    return why;
  if (chunkElements(*plan, target, target.cores) == 0)
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
  FailureOr<ElementwisePlan> found = planOf(op, why);
  if (failed(found))
    return op->emitError() << "the SNPU cannot run this op: " << why;
  ElementwisePlan plan = *found;
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
  int64_t cores =
      std::min<int64_t>(target.cores, ceilDiv(plan.elements, chunk));
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
    }
    // A relu that follows the op is applied by the store.
    npu::DmaStoreOp::create(builder, loc, buffer,
                            chunkView(builder, loc, out, offset, size))
        .setRelu(relu);
  };
  // Core c streams full chunks [lo, hi): q each, one more for c < r; the
  // partial last chunk runs on core r. Each core's loop has constant
  // bounds, so sinan-npu-multi-buffer can double its buffers.
  int64_t fullChunks = plan.elements / chunk;
  int64_t rest = plan.elements % chunk;
  int64_t q = fullChunks / cores, r = fullChunks % cores;
  auto index = [&](int64_t value) -> Value {
    return arith::ConstantIndexOp::create(builder, loc, value);
  };
  auto chunksOf = [&](int64_t c) {
    int64_t lo = (c * q + std::min(c, r)) * chunk;
    int64_t hi = lo + (q + (c < r ? 1 : 0)) * chunk;
    if (hi > lo)
      loop(builder, loc, index(lo), index(hi), chunk,
           [&](Value offset) { emitChunk(offset, chunk); });
  };
  auto edge = [&] {
    if (rest)
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
  finishKernel(builder, kernel, cores, {chunk});
  return success();
}
