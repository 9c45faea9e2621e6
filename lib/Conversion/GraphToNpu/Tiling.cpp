//===- Tiling.cpp - Helpers the graph -> npu tilers share -----------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "Tiling.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;

namespace sinan::tiling {

scf::ForOp loop(OpBuilder &builder, Location loc, Value lower, Value upper,
                int64_t step, function_ref<void(Value)> body) {
  auto forOp =
      scf::ForOp::create(builder, loc, lower, upper,
                         arith::ConstantIndexOp::create(builder, loc, step));
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(forOp.getBody());
  body(forOp.getInductionVar());
  return forOp;
}

scf::ForOp loopUnlessOnce(OpBuilder &builder, Location loc, Value lower,
                          Value upper, int64_t step,
                          function_ref<void(Value)> body) {
  std::optional<int64_t> lo = getConstantIntValue(lower),
                         hi = getConstantIntValue(upper);
  if (lo && hi && *hi - *lo == step) {
    body(lower);
    return {};
  }
  return loop(builder, loc, lower, upper, step, body);
}

void splitOverCores(OpBuilder &builder, Location loc, int64_t fullBlocks,
                    int64_t blockSize, int64_t cores,
                    function_ref<void(Value)> full,
                    function_ref<void(Value)> edge, bool buffered) {
  auto mark = [&](scf::ForOp forOp) {
    if (buffered && forOp)
      forOp->setAttr(npu::kBufferedAttrName, builder.getUnitAttr());
  };
  auto index = [&](int64_t value) -> Value {
    return arith::ConstantIndexOp::create(builder, loc, value);
  };
  if (cores == 1) {
    if (fullBlocks > 0)
      mark(loopUnlessOnce(builder, loc, index(0), index(fullBlocks * blockSize),
                          blockSize, full));
    if (edge)
      edge(index(fullBlocks * blockSize));
    return;
  }
  // Core c takes full blocks from lo: q each, one more for c < r. The q
  // run as a loop of static bounds from lo (sinan-npu-multi-buffer takes
  // only those), the extra one after it on the cores that have it.
  Value core = npu::CoreIdOp::create(builder, loc, builder.getIndexType());
  int64_t q = fullBlocks / cores, r = fullBlocks % cores;
  Value before = arith::AddIOp::create(
      builder, loc, arith::MulIOp::create(builder, loc, core, index(q)),
      arith::MinSIOp::create(builder, loc, core, index(r)));
  Value lo = arith::MulIOp::create(builder, loc, before, index(blockSize));
  auto at = [&](Value offset) {
    full(arith::AddIOp::create(builder, loc, lo, offset));
  };
  if (q > 0)
    mark(loopUnlessOnce(builder, loc, index(0), index(q * blockSize), blockSize,
                        at));
  if (r > 0) {
    // Once on cores c < r: from min(max(c - r + 1, 0), 1) to 1.
    Value past = arith::MaxSIOp::create(
        builder, loc, arith::AddIOp::create(builder, loc, core, index(1 - r)),
        index(0));
    Value once = arith::MinSIOp::create(builder, loc, past, index(1));
    loop(builder, loc, once, index(1), 1,
         [&](Value) { at(index(q * blockSize)); });
  }
  // The edge block runs on core r (one with fewer full blocks).
  if (edge)
    onCore(builder, loc, core, r % cores,
           [&] { edge(index(fullBlocks * blockSize)); });
}

void onCore(OpBuilder &builder, Location loc, Value core, int64_t c,
            function_ref<void()> body) {
  auto index = [&](int64_t value) -> Value {
    return arith::ConstantIndexOp::create(builder, loc, value);
  };
  Value d = arith::SubIOp::create(builder, loc, core, index(c));
  Value once = arith::MinSIOp::create(
      builder, loc, arith::MulIOp::create(builder, loc, d, d), index(1));
  loop(builder, loc, once, index(1), 1, [&](Value) {
    body();
  })->setAttr(npu::kOnceAttrName, builder.getI64IntegerAttr(c));
}

Value emitClip(OpBuilder &builder, Location loc, Value from, Value to,
               std::optional<float> min, std::optional<float> max) {
  for (auto [op, bound] : {std::pair{"max", min}, std::pair{"min", max}})
    if (bound) {
      npu::VScalOp::create(builder, loc, op, from, to,
                           builder.getF32FloatAttr(*bound));
      from = to;
    }
  return from;
}

void emitSilu(OpBuilder &builder, Location loc, Value from, Value to,
              Value scratch) {
  npu::VUnOp::create(builder, loc, "sigmoid", from, scratch);
  npu::VBinOp::create(builder, loc, "mul", from, scratch, to);
}

void emitUnaryActivation(OpBuilder &builder, Location loc,
                         const ConvEpilogue &epilogue, Value from, Value to) {
  if (epilogue.hardswish)
    npu::VUnOp::create(builder, loc, "hardswish", from, to);
  if (epilogue.sigmoid)
    npu::VUnOp::create(builder, loc, "sigmoid", from, to);
}

/// exp(x - max) / sum over each row of `in` into `out` (may be `in`), the
/// rows' maxima and sums in `scalars`, which `perRow` views as one element
/// per row: the softmax kernel's and a chain's last step.
void emitSoftmaxRows(OpBuilder &builder, Location loc, Value in, Value out,
                     Value scalars, Value perRow) {
  npu::VRedOp::create(builder, loc, "max", in, scalars);
  npu::VBinOp::create(builder, loc, "sub", in, perRow, out);
  npu::VUnOp::create(builder, loc, "exp", out, out);
  npu::VRedOp::create(builder, loc, "sum", out, scalars);
  npu::VBinOp::create(builder, loc, "div", out, perRow, out);
}

Value allocTile(OpBuilder &builder, Location loc, Block *entry, int64_t rows,
                int64_t cols, Type element, npu::MemorySpace space,
                int64_t align) {
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(entry);
  int64_t stride = pitch(cols, bytesOf(element), align);
  auto layout = StridedLayoutAttr::get(builder.getContext(), 0, {stride, 1});
  auto type =
      MemRefType::get({rows, cols}, element, layout,
                      npu::MemorySpaceAttr::get(builder.getContext(), space));
  return memref::AllocOp::create(builder, loc, type);
}

Value reinterpretView(OpBuilder &builder, Location loc, Value source,
                      OpFoldResult offset, ArrayRef<int64_t> sizes,
                      ArrayRef<int64_t> strides) {
  auto type = cast<MemRefType>(source.getType());
  std::optional<int64_t> fixed = getConstantIntValue(offset);
  if (fixed)
    offset = builder.getIndexAttr(*fixed);
  auto result = MemRefType::get(
      sizes, type.getElementType(),
      StridedLayoutAttr::get(builder.getContext(),
                             fixed ? *fixed : ShapedType::kDynamic, strides),
      type.getMemorySpace());
  SmallVector<OpFoldResult> sizeAttrs, strideAttrs;
  for (int64_t size : sizes)
    sizeAttrs.push_back(builder.getIndexAttr(size));
  for (int64_t stride : strides)
    strideAttrs.push_back(builder.getIndexAttr(stride));
  return memref::ReinterpretCastOp::create(builder, loc, result, source, offset,
                                           sizeAttrs, strideAttrs);
}

MemRefType dramMemRef(Type type) {
  auto tensor = cast<RankedTensorType>(type);
  return MemRefType::get(
      tensor.getShape(), tensor.getElementType(), MemRefLayoutAttrInterface(),
      npu::MemorySpaceAttr::get(type.getContext(), npu::MemorySpace::dram));
}

Block &replaceBodyWithMemRefs(func::FuncOp kernel, TypeRange results) {
  SmallVector<Type> args;
  for (Type type : kernel.getArgumentTypes())
    args.push_back(dramMemRef(type));
  // A result kept as bf16 (storeResultAsBF16) has the function's element
  // type.
  for (auto [i, type] : llvm::enumerate(results))
    args.push_back(
        dramMemRef(i < kernel.getNumResults()
                       ? cast<RankedTensorType>(type).clone(
                             getElementTypeOrSelf(kernel.getResultTypes()[i]))
                       : type));
  Block &body = kernel.getBody().front();
  body.dropAllDefinedValueUses();
  body.erase();
  kernel.setType(FunctionType::get(kernel.getContext(), args, {}));
  return *kernel.addEntryBlock();
}

void finishKernel(OpBuilder &builder, func::FuncOp kernel, int64_t cores,
                  ArrayRef<int64_t> blocks, StringRef plan) {
  Block &body = kernel.getBody().front();
  builder.setInsertionPointToEnd(&body);
  func::ReturnOp::create(builder, kernel.getLoc());
  kernel->setAttr(npu::kCoresAttrName, builder.getI64IntegerAttr(cores));
  kernel->setAttr("npu.blocks", builder.getDenseI64ArrayAttr(blocks));
  if (!plan.empty())
    kernel->setAttr("npu.plan", builder.getStringAttr(plan));
}

} // namespace sinan::tiling
