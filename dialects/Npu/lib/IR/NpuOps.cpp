//===- NpuOps.cpp - npu dialect operations --------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Dialect/Npu/IR/NpuOps.h"

#include "sinan/runtime/DType.h"
#include "sinan/runtime/Target.h"
#include "sinan/runtime/isa/IsaTable.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/InterleavedRange.h"

#include <mutex>

using namespace mlir;
using namespace sinan::npu;

std::optional<MemorySpace> sinan::npu::memorySpaceOf(MemRefType type) {
  Attribute space = type.getMemorySpace();
  if (!space)
    return MemorySpace::dram;
  if (auto npuSpace = llvm::dyn_cast<MemorySpaceAttr>(space))
    return npuSpace.getValue();
  return std::nullopt;
}

std::optional<Engine> sinan::npu::engineOf(Operation *op) {
  if (llvm::isa<DmaLoadOp, DmaGatherOp, DmaMoveOp, FillOp>(op))
    return Engine::din;
  if (llvm::isa<DmaStoreOp>(op))
    return Engine::dout;
  if (llvm::isa<MmaOp>(op))
    return Engine::mxu;
  if (llvm::isa<VBinOp, VUnOp, VScalOp, VFmaOp, VRedOp, VTransOp, VCvtOp>(op))
    return Engine::vec;
  return std::nullopt;
}

int64_t sinan::npu::spanBytes(MemRefType type) {
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)))
    return -1;
  int64_t last = 0;
  for (auto [size, stride] : llvm::zip(type.getShape(), strides))
    last += (size - 1) * stride;
  int64_t element = std::max<int64_t>(1, type.getElementTypeBitWidth() / 8);
  return (last + 1) * element;
}

namespace {
std::mutex targetMutex;
llvm::StringMap<std::unique_ptr<sinan::TargetDesc>> &targetCache() {
  static llvm::StringMap<std::unique_ptr<sinan::TargetDesc>> cache;
  return cache;
}
} // namespace

void sinan::npu::registerTarget(const TargetDesc &target) {
  std::lock_guard<std::mutex> lock(targetMutex);
  targetCache()[target.name] = std::make_unique<TargetDesc>(target);
}

const sinan::TargetDesc *sinan::npu::targetOf(Operation *op) {
  Operation *kernel = op;
  while (kernel && !kernel->hasAttr(kTargetAttrName))
    kernel = kernel->getParentOp();
  if (!kernel) {
    op->emitError("is not inside an npu kernel (a function with the ")
        << kTargetAttrName << " attribute)";
    return nullptr;
  }
  auto attr = kernel->getAttrOfType<TargetAttr>(kTargetAttrName);
  if (!attr) {
    kernel->emitError() << kTargetAttrName << " must be an #npu.target";
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(targetMutex);
  auto &cache = targetCache();
  auto &entry = cache[attr.getName()];
  if (!entry) {
    std::string error;
    std::optional<TargetDesc> target =
        resolveTarget(attr.getName().str(), error);
    if (!target) {
      cache.erase(attr.getName());
      kernel->emitError() << "target '" << attr.getName() << "': " << error;
      return nullptr;
    }
    entry = std::make_unique<TargetDesc>(std::move(*target));
  }
  return entry.get();
}

namespace {
/// A view the DMA can move: rank 1-4, static shape and strides, unit
/// innermost stride, a device element type.
LogicalResult verifyDmaView(Operation *op, MemRefType type, StringRef name,
                            bool gathers = false) {
  if (type.getRank() < 1 || type.getRank() > 4)
    return op->emitOpError()
           << name << " must have rank 1 to 4, not " << type.getRank();
  if (!type.hasStaticShape())
    return op->emitOpError() << name << " must have a static shape";
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)) ||
      llvm::any_of(strides, ShapedType::isDynamic))
    return op->emitOpError() << name << " must have static strides";
  if (gathers ? strides.back() < 0 : strides.back() != 1)
    return op->emitOpError() << name
                             << " must be contiguous in its "
                                "innermost dimension";
  if (!memorySpaceOf(type))
    return op->emitOpError() << name
                             << " has a memory space that is not "
                                "an #npu.space";
  return success();
}

LogicalResult verifySpace(Operation *op, MemRefType type, StringRef name,
                          bool wantLocal) {
  std::optional<MemorySpace> space = memorySpaceOf(type);
  if (!space)
    return op->emitOpError() << name << " must be in an #npu.space";
  if (wantLocal && *space == MemorySpace::dram)
    return op->emitOpError() << name << " must be in a local memory";
  if (!wantLocal && *space != MemorySpace::dram)
    return op->emitOpError()
           << name << " must be in dram, not " << stringifyMemorySpace(*space);
  return success();
}

LogicalResult verifyCopy(Operation *op, MemRefType src, MemRefType dst,
                         bool loading) {
  if (failed(verifyDmaView(op, src, "source")) ||
      failed(verifyDmaView(op, dst, "destination")) ||
      failed(verifySpace(op, src, "source", !loading)) ||
      failed(verifySpace(op, dst, "destination", loading)))
    return failure();
  if (src.getShape() != dst.getShape())
    return op->emitOpError("source and destination shapes differ");
  return success();
}
} // namespace

/// [rows before, rows after, before, after] from a transfer's `padding`.
static std::array<int64_t, 4>
paddingOrZero(std::optional<ArrayRef<int64_t>> padding) {
  std::array<int64_t, 4> result = {0, 0, 0, 0};
  if (padding) {
    if (padding->size() == 2)
      std::copy(padding->begin(), padding->end(), result.begin() + 2);
    else if (padding->size() == 4)
      std::copy(padding->begin(), padding->end(), result.begin());
  }
  return result;
}

std::array<int64_t, 4> DmaLoadOp::getPaddingOrZero() {
  return paddingOrZero(getPadding());
}

std::array<int64_t, 4> DmaMoveOp::getPaddingOrZero() {
  return paddingOrZero(getPadding());
}

/// A DMA-in transfer's padding, and its source shape: the destination's
/// less the padding.
static LogicalResult verifyPadding(Operation *op, MemRefType src,
                                   MemRefType dst,
                                   std::optional<ArrayRef<int64_t>> padding) {
  if (padding && padding->size() != 2 && padding->size() != 4)
    return op->emitOpError("padding must be [before, after] or [rows before, "
                           "rows after, before, after]");
  if (padding && padding->size() == 4 && dst.getRank() < 2)
    return op->emitOpError("row padding needs a destination of rank 2 or "
                           "more");
  if (padding && llvm::any_of(*padding, [](int64_t p) { return p < 0; }))
    return op->emitOpError("padding must not be negative");
  std::array<int64_t, 4> pad = paddingOrZero(padding);
  SmallVector<int64_t> want(dst.getShape());
  int64_t rank = dst.getRank();
  want[rank - 1] -= pad[2] + pad[3];
  if (rank >= 2)
    want[rank - 2] -= pad[0] + pad[1];
  if (llvm::any_of(want, [](int64_t d) { return d < 0; }))
    return op->emitOpError("padding is larger than the destination");
  if (src.getRank() != rank || src.getShape() != ArrayRef<int64_t>(want))
    return op->emitOpError() << "source shape must be the destination's less "
                                "the padding ("
                             << llvm::interleaved(want, "x") << ")";
  return success();
}

LogicalResult DmaLoadOp::verify() {
  MemRefType src = getSrc().getType(), dst = getDst().getType();
  if (failed(verifyDmaView(*this, src, "source", /*gathers=*/true)) ||
      failed(verifyDmaView(*this, dst, "destination")) ||
      failed(verifySpace(*this, src, "source", false)) ||
      failed(verifySpace(*this, dst, "destination", true)))
    return failure();
  return verifyPadding(*this, src, dst, getPadding());
}

LogicalResult DmaGatherOp::verify() {
  MemRefType table = getTable().getType(), indices = getIndices().getType(),
             dst = getDst().getType();
  if (failed(verifyDmaView(*this, table, "table")) ||
      failed(verifyDmaView(*this, dst, "destination")) ||
      failed(verifySpace(*this, table, "table", false)) ||
      failed(verifySpace(*this, dst, "destination", true)))
    return failure();
  if (table.getRank() != 2 || dst.getRank() != 2)
    return emitOpError("table and destination must be 2-D (rows x row)");
  if (!indices.getElementType().isSignlessInteger(32) &&
      !indices.getElementType().isSignlessInteger(64))
    return emitOpError("indices must be i32 or i64");
  if (indices.getRank() != 1 || !indices.hasStaticShape() ||
      !indices.isLastDimUnitStride() ||
      memorySpaceOf(indices) != MemorySpace::dram)
    return emitOpError("indices must be a contiguous 1-D array in dram");
  if (dst.getDimSize(0) != indices.getDimSize(0) ||
      dst.getDimSize(1) != table.getDimSize(1))
    return emitOpError() << "destination must be " << indices.getDimSize(0)
                         << "x" << table.getDimSize(1)
                         << " (an index's row each)";
  return success();
}

LogicalResult DmaStoreOp::verify() {
  return verifyCopy(*this, getSrc().getType(), getDst().getType(), false);
}

LogicalResult DmaMoveOp::verify() {
  MemRefType src = getSrc().getType(), dst = getDst().getType();
  if (failed(verifyDmaView(*this, src, "source")) ||
      failed(verifyDmaView(*this, dst, "destination")) ||
      failed(verifySpace(*this, src, "source", true)) ||
      failed(verifySpace(*this, dst, "destination", true)))
    return failure();
  if (src.getElementType() != dst.getElementType())
    return emitOpError("source and destination element types differ (dmove "
                       "does not convert)");
  return verifyPadding(*this, src, dst, getPadding());
}

LogicalResult FillOp::verify() {
  if (failed(verifyDmaView(*this, getDst().getType(), "destination")) ||
      failed(verifySpace(*this, getDst().getType(), "destination", true)))
    return failure();
  int64_t pattern = getPatternAttr().getInt();
  if (pattern < 0 || pattern > 0xffffffffll)
    return emitOpError("pattern must be 32 bits");
  return success();
}

LogicalResult MmaOp::verify() {
  MemRefType lhs = getLhs().getType(), rhs = getRhs().getType(),
             acc = getAcc().getType();
  struct Operand {
    MemRefType type;
    StringRef name;
    MemorySpace space;
  } operands[] = {{lhs, "lhs", MemorySpace::ibuf},
                  {rhs, "rhs", MemorySpace::wbuf},
                  {acc, "acc", MemorySpace::acc}};
  for (const Operand &operand : operands) {
    if (operand.type.getRank() != 2)
      return emitOpError() << operand.name << " must be a 2-D tile";
    if (failed(verifyDmaView(*this, operand.type, operand.name)))
      return failure();
    if (memorySpaceOf(operand.type) != operand.space)
      return emitOpError() << operand.name << " must be in "
                           << stringifyMemorySpace(operand.space);
  }
  if (lhs.getDimSize(1) != rhs.getDimSize(0) ||
      lhs.getDimSize(0) != acc.getDimSize(0) ||
      rhs.getDimSize(1) != acc.getDimSize(1))
    return emitOpError() << "shapes " << lhs << " x " << rhs << " -> " << acc
                         << " do not form a matrix product";
  Type in = lhs.getElementType();
  bool bf16 = in.isBF16() && rhs.getElementType().isBF16() &&
              acc.getElementType().isF32();
  bool i8 = in.isInteger(8) && rhs.getElementType().isInteger(8) &&
            acc.getElementType().isInteger(32);
  if (!bf16 && !i8)
    return emitOpError("takes bf16 x bf16 -> f32 or i8 x i8 -> i32");
  return success();
}

namespace {
/// Whether `type` is a per-repeat scalar: rank 2, innermost stride 0.
bool isRepeatScalar(MemRefType type) {
  SmallVector<int64_t> strides;
  int64_t offset;
  return type.getRank() == 2 &&
         succeeded(type.getStridesAndOffset(strides, offset)) &&
         strides.back() == 0;
}

/// Element types the vector unit computes in.
bool isVectorElement(Type element) {
  return element.isF32() || element.isBF16() || element.isF16() ||
         element.isSignlessInteger(8) || element.isSignlessInteger(16) ||
         element.isSignlessInteger(32);
}

/// The vector unit's operands: one shape and element type, rank 1 or 2,
/// contiguous rows; sources in vbuf or acc, the destination in vbuf. The
/// second source may be a per-repeat scalar when `broadcasts`.
/// `converts`: the element types may differ (npu.vcvt).
LogicalResult verifyVectorOperands(Operation *op, ArrayRef<Value> sources,
                                   Value dst, bool broadcasts = false,
                                   bool converts = false) {
  auto dstType = cast<MemRefType>(dst.getType());
  SmallVector<std::pair<Value, StringRef>> operands;
  for (Value source : sources)
    operands.push_back({source, "source"});
  operands.push_back({dst, "destination"});
  for (auto [value, name] : operands) {
    auto type = cast<MemRefType>(value.getType());
    if (type.getRank() > 2)
      return op->emitOpError() << name << " must have rank 1 or 2";
    bool scalar = broadcasts && sources.size() > 1 && value == sources[1] &&
                  isRepeatScalar(type);
    if (failed(verifyDmaView(op, type, name, /*gathers=*/scalar)))
      return failure();
    if (type.getShape() != dstType.getShape())
      return op->emitOpError(converts
                                 ? "operands must have one shape"
                                 : "operands must have one shape and element "
                                   "type");
    if (!converts && type.getElementType() != dstType.getElementType())
      return op->emitOpError("operands must have one shape and element type");
    if (!isVectorElement(type.getElementType()))
      return op->emitOpError() << "the vector unit has no "
                               << type.getElementType() << " elements";
    std::optional<MemorySpace> space = memorySpaceOf(type);
    bool destination = value == dst && name == "destination";
    if (destination ? space != MemorySpace::vbuf
                    : space != MemorySpace::vbuf && space != MemorySpace::acc)
      return op->emitOpError() << name << " must be in "
                               << (destination ? "vbuf" : "vbuf or acc");
  }
  return success();
}

template <typename E>
LogicalResult verifyOpName(Operation *op, StringRef name, StringRef what) {
  if (!sinan::isa::parseName<E>(std::string_view(name.data(), name.size())))
    return op->emitOpError() << "'" << name << "' is not a vector " << what;
  return success();
}
} // namespace

LogicalResult VBinOp::verify() {
  if (failed(verifyOpName<sinan::isa::VBinOp>(*this, getOp(), "binary op")))
    return failure();
  return verifyVectorOperands(*this, {getLhs(), getRhs()}, getDst(),
                              /*broadcasts=*/true);
}

LogicalResult VFmaOp::verify() {
  if (!llvm::isa<FloatType>(getAcc().getType().getElementType()))
    return emitOpError("multiplies and adds floats only");
  return verifyVectorOperands(*this, {getLhs(), getRhs()}, getAcc(),
                              /*broadcasts=*/true);
}

LogicalResult VUnOp::verify() {
  if (failed(verifyOpName<sinan::isa::VUnOp>(*this, getOp(), "unary op")))
    return failure();
  return verifyVectorOperands(*this, {getSrc()}, getDst());
}

LogicalResult VScalOp::verify() {
  if (failed(verifyOpName<sinan::isa::VBinOp>(*this, getOp(), "binary op")))
    return failure();
  Type element = getDst().getType().getElementType();
  if (llvm::isa<FloatType>(element) ? !llvm::isa<FloatAttr>(getScalar())
                                    : !llvm::isa<IntegerAttr>(getScalar()))
    return emitOpError() << "scalar must be "
                         << (llvm::isa<FloatType>(element) ? "a float"
                                                           : "an integer")
                         << " for " << element << " elements";
  return verifyVectorOperands(*this, {getSrc()}, getDst());
}

LogicalResult VCvtOp::verify() {
  return verifyVectorOperands(*this, {getSrc()}, getDst(),
                              /*broadcasts=*/false, /*converts=*/true);
}

LogicalResult VRedOp::verify() {
  if (failed(verifyOpName<sinan::isa::VRedOp>(*this, getOp(), "reduction")))
    return failure();
  MemRefType src = getSrc().getType(), dst = getDst().getType();
  if (src.getRank() != 2 || dst.getRank() != 1)
    return emitOpError("source must have rank 2 (rows x len) and the "
                       "destination rank 1 (one element per row)");
  if (failed(verifyDmaView(*this, src, "source")) ||
      failed(verifyDmaView(*this, dst, "destination")))
    return failure();
  if (dst.getDimSize(0) != src.getDimSize(0))
    return emitOpError() << "destination must have " << src.getDimSize(0)
                         << " elements, one per source row";
  if (src.getElementType() != dst.getElementType())
    return emitOpError("source and destination element types differ");
  Type element = src.getElementType();
  if (!isVectorElement(element))
    return emitOpError() << "the vector unit has no " << element << " elements";
  std::optional<MemorySpace> from = memorySpaceOf(src), to = memorySpaceOf(dst);
  if (from != MemorySpace::vbuf && from != MemorySpace::acc)
    return emitOpError("source must be in vbuf or acc");
  if (to != MemorySpace::vbuf)
    return emitOpError("destination must be in vbuf");
  return success();
}

LogicalResult VTransOp::verify() {
  MemRefType src = getSrc().getType(), dst = getDst().getType();
  if (src.getRank() != 2 || dst.getRank() != 2)
    return emitOpError("source and destination must have rank 2");
  if (failed(verifyDmaView(*this, src, "source")) ||
      failed(verifyDmaView(*this, dst, "destination")))
    return failure();
  int64_t group = getGroup();
  if (src.getElementType() != dst.getElementType())
    return emitOpError("source and destination element types differ");
  int64_t unitBytes = group * llvm::divideCeil(src.getElementTypeBitWidth(), 8);
  if (group < 1 || (unitBytes != 1 && unitBytes != 2 && unitBytes != 4))
    return emitOpError() << "group " << group << " of " << src.getElementType()
                         << " is not a unit of 1, 2 or 4 bytes";
  if (src.getDimSize(1) % group)
    return emitOpError() << "source rows of " << src.getDimSize(1)
                         << " elements are not whole groups of " << group;
  if (dst.getDimSize(0) != src.getDimSize(1) / group ||
      dst.getDimSize(1) != src.getDimSize(0) * group)
    return emitOpError() << "destination must be " << src.getDimSize(1) / group
                         << "x" << src.getDimSize(0) * group
                         << ", the source transposed";
  std::optional<MemorySpace> from = memorySpaceOf(src), to = memorySpaceOf(dst);
  if (from != MemorySpace::vbuf && from != MemorySpace::acc)
    return emitOpError("source must be in vbuf or acc");
  if (to != MemorySpace::vbuf)
    return emitOpError("destination must be in vbuf");
  return success();
}

static LogicalResult verifyEngines(Operation *op, Engine src, Engine dst) {
  if (src == dst)
    return op->emitOpError("source and destination engine are the same");
  return success();
}

LogicalResult SignalOp::verify() {
  return verifyEngines(*this, getSrc(), getDst());
}

LogicalResult WaitOp::verify() {
  return verifyEngines(*this, getSrc(), getDst());
}

LogicalResult LaunchOp::verifySymbolUses(SymbolTableCollection &symbols) {
  Operation *symbol = symbols.lookupNearestSymbolFrom(*this, getKernelAttr());
  // After instruction selection the kernel is machine code (`isa.kernel`),
  // whose bindings are its launch registers.
  if (symbol && symbol->getName().getStringRef() == "isa.kernel")
    return success();
  auto kernel = dyn_cast_or_null<func::FuncOp>(symbol);
  if (!kernel)
    return emitOpError() << "kernel " << getKernelAttr()
                         << " is not a function";
  if (!kernel->hasAttr(kTargetAttrName))
    return emitOpError() << "kernel " << getKernelAttr() << " has no "
                         << kTargetAttrName;
  FunctionType type = kernel.getFunctionType();
  SmallVector<Type> bound(getArgs().getTypes());
  llvm::append_range(bound, getResults().getTypes());
  // Before conversion: the same tensors in and out.
  if (llvm::equal(type.getInputs(), getArgs().getTypes()) &&
      llvm::equal(type.getResults(), getResults().getTypes()))
    return success();
  // After: memrefs, inputs then outputs, of the same shapes and types.
  if (type.getNumResults() == 0 && type.getNumInputs() == bound.size() &&
      llvm::all_of(llvm::zip(type.getInputs(), bound), [](auto pair) {
        auto memref = dyn_cast<MemRefType>(std::get<0>(pair));
        auto shaped = dyn_cast<ShapedType>(std::get<1>(pair));
        return memref && shaped && memref.getShape() == shaped.getShape() &&
               memref.getElementType() == shaped.getElementType();
      }))
    return success();
  return emitOpError() << "operands and results do not match the signature "
                       << type << " of kernel " << getKernelAttr();
}

#define GET_OP_CLASSES
#include "sinan/Dialect/Npu/IR/NpuOps.cpp.inc"
