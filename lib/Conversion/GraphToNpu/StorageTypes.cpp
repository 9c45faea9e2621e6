//===- StorageTypes.cpp - Kernel arguments kept in DRAM as bf16 -----------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Between two matrix-unit kernels an activation need not be f32 in DRAM:
// the consumer rounds it to bf16 on the way in anyway. A kernel function
// shows such an argument or result by its bf16 type and a graph.cast marked
// npu.storage that converts it for the f32 ops of the body; the tilers
// match the body without those casts (peelStorageCasts) and take their
// DRAM views from the function type, so the DMA converts.
//
//===----------------------------------------------------------------------===//

#include "sinan/Conversion/GraphToNpu.h"

#include "sinan/Dialect/Graph/IR/GraphOps.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace sinan;

bool sinan::isStorageCast(Operation *op) {
  return llvm::isa_and_nonnull<graph::CastOp>(op) &&
         op->hasAttr(kStorageCastAttrName);
}

Value sinan::throughStorage(Value value) {
  // (Two in a row inside a layer group: an intermediate's narrowing and
  // widening, sinan-form-layer-groups.)
  while (Operation *op = value.getDefiningOp()) {
    if (!isStorageCast(op))
      break;
    value = op->getOperand(0);
  }
  return value;
}

static RankedTensorType withElement(Type type, Type element) {
  return cast<RankedTensorType>(type).clone(element);
}

static graph::CastOp storageCast(OpBuilder &builder, Location loc, Value input,
                                 Type type) {
  auto cast = graph::CastOp::create(builder, loc, type, input);
  cast->setAttr(kStorageCastAttrName, builder.getUnitAttr());
  return cast;
}

void sinan::storeArgumentAsBF16(func::FuncOp kernel, unsigned index) {
  Block &body = kernel.getBody().front();
  BlockArgument arg = body.getArgument(index);
  Type wide = arg.getType();
  if (!getElementTypeOrSelf(wide).isF32())
    return;
  Type narrow = withElement(wide, BFloat16Type::get(kernel.getContext()));
  OpBuilder builder = OpBuilder::atBlockBegin(&body);
  arg.setType(narrow);
  auto cast = storageCast(builder, kernel.getLoc(), arg, wide);
  arg.replaceAllUsesExcept(cast.getResult(), cast);
  SmallVector<Type> inputs(kernel.getArgumentTypes());
  inputs[index] = narrow;
  kernel.setType(
      FunctionType::get(kernel.getContext(), inputs, kernel.getResultTypes()));
}

void sinan::storeResultAsBF16(func::FuncOp kernel, unsigned index) {
  auto ret = cast<func::ReturnOp>(kernel.getBody().front().getTerminator());
  Value value = ret.getOperand(index);
  if (!getElementTypeOrSelf(value.getType()).isF32())
    return;
  OpBuilder builder(ret);
  Type narrow =
      withElement(value.getType(), BFloat16Type::get(kernel.getContext()));
  ret.setOperand(index, storageCast(builder, kernel.getLoc(), value, narrow));
  SmallVector<Type> results(kernel.getResultTypes());
  results[index] = narrow;
  kernel.setType(FunctionType::get(kernel.getContext(),
                                   kernel.getArgumentTypes(), results));
}

void sinan::applyStorageTypes(func::FuncOp kernel, FunctionType storage) {
  auto narrowed = [](Type have, Type want) {
    return getElementTypeOrSelf(have).isF32() &&
           getElementTypeOrSelf(want).isBF16();
  };
  for (auto [i, type] : llvm::enumerate(storage.getInputs()))
    if (i < kernel.getNumArguments() &&
        narrowed(kernel.getArgumentTypes()[i], type))
      storeArgumentAsBF16(kernel, i);
  for (auto [i, type] : llvm::enumerate(storage.getResults()))
    if (i < kernel.getNumResults() &&
        narrowed(kernel.getResultTypes()[i], type))
      storeResultAsBF16(kernel, i);
}

void sinan::peelStorageCasts(func::FuncOp kernel) {
  Block &body = kernel.getBody().front();
  for (Operation &op : llvm::make_early_inc_range(body)) {
    if (!isStorageCast(&op))
      continue;
    Value input = op.getOperand(0);
    if (auto arg = dyn_cast<BlockArgument>(input);
        arg && arg.getOwner() == &body)
      arg.setType(op.getResult(0).getType());
    op.getResult(0).replaceAllUsesWith(input);
    op.erase();
  }
}

SmallVector<Operation *> sinan::kernelBodyOps(func::FuncOp kernel) {
  SmallVector<Operation *> ops;
  for (Operation &op : kernel.getBody().front().without_terminator())
    if (!llvm::isa<graph::ConstantOp>(op) && !isStorageCast(&op))
      ops.push_back(&op);
  // An attention kernel's primary op is the attention, not the views of
  // its operands before it.
  auto attention = llvm::find_if(ops, llvm::IsaPred<graph::AttentionOp>);
  if (attention != ops.end())
    std::rotate(ops.begin(), attention, attention + 1);
  return ops;
}

bool sinan::snpuTakesBF16Argument(func::FuncOp kernel, unsigned index,
                                  const TargetDesc &target, bool residuals) {
  SmallVector<Operation *> ops = kernelBodyOps(kernel);
  Block &body = kernel.getBody().front();
  if (ops.empty() || index >= body.getNumArguments())
    return false;
  // The value the body takes: the argument, or its storage cast's result.
  Value arg = body.getArgument(index);
  if (arg.hasOneUse() && isStorageCast(*arg.getUsers().begin()))
    arg = arg.getUsers().begin()->getResult(0);
  if (!getElementTypeOrSelf(arg.getType()).isF32())
    return false;
  // Attention's Q, K and V (through the views it reads them by: one
  // argument may be all three, sliced).
  if (llvm::isa<graph::AttentionOp>(ops.front()))
    return snpuAttentionReadsAsMatrixOperand(kernel, index);
  if (!arg.hasOneUse())
    return false;
  Operation *user = *arg.getUsers().begin();
  Operation *op = ops.front();
  // A max pooling whose result is kept as bf16 too: the maximum of values
  // rounded to bf16 is the rounded maximum (rounding keeps order), which
  // its readers took anyway.
  if (llvm::isa<graph::MaxPool2dOp>(op))
    return ops.size() == 1 && index == 0 && user == op &&
           kernel.getNumResults() == 1 &&
           getElementTypeOrSelf(kernel.getResultTypes()[0]).isBF16();
  // A concatenation kept as bf16 rounds each input anyway (so its
  // operands may be bf16 in DRAM too, and a view of them: sched.concat
  // needs one element type).
  if (llvm::isa<graph::ConcatOp>(op))
    return ops.size() == 1 && user == op && kernel.getNumResults() == 1 &&
           getElementTypeOrSelf(kernel.getResultTypes()[0]).isBF16();
  bool matrix = false;
  if (auto conv = dyn_cast<graph::Conv2dOp>(op)) {
    std::optional<ConvSummation> sum = snpuConvSummation(ops, target);
    if (!sum)
      return false;
    matrix = !sum->fma;
  } else if (llvm::isa<graph::MatMulOp>(op)) {
    if (!isSnpuMatmul(op, target))
      return false;
    matrix = true;
  } else {
    return false;
  }
  // The matrix unit's operand: the convolution's input, the product's left.
  if (user == op)
    return matrix && index == 0 && op->getOperand(0) == arg;
  // The residual the epilogue adds: the argument after the convolution's
  // operands, or after a matrix product's operands and bias row (not the
  // bias row itself, which the result adds as it is).
  unsigned count = body.getNumArguments();
  bool residual = llvm::isa<graph::Conv2dOp>(op)
                      ? count == op->getNumOperands() + 1 && index == count - 1
                      : count == 4 && index == 3;
  return residuals && residual && llvm::isa<graph::AddOp>(user) &&
         llvm::is_contained(ops, user);
}

bool sinan::snpuStoresBF16Result(func::FuncOp kernel,
                                 const TargetDesc &target) {
  SmallVector<Operation *> ops = kernelBodyOps(kernel);
  if (ops.empty() || kernel.getNumResults() != 1 ||
      !getElementTypeOrSelf(kernel.getResultTypes()[0]).isF32())
    return false;
  if (llvm::isa<graph::Conv2dOp>(ops.front()))
    return snpuConvSummation(ops, target).has_value();
  // Attention's result leaves the accumulator through the DMA, which
  // rounds it for free.
  if (auto attention = dyn_cast<graph::AttentionOp>(ops.front()))
    return snpuAttentionRefusal(attention, target).empty();
  // A max pooling's result is one of its inputs: stored as bf16, rounded
  // as its readers would.
  if (llvm::isa<graph::MaxPool2dOp>(ops.front()))
    return ops.size() == 1;
  // So is a concatenation's: its inputs, each rounded once on the way.
  if (llvm::isa<graph::ConcatOp>(ops.front()))
    return ops.size() == 1;
  // An elementwise chain computes in f32 in vbuf; the DMA rounds its
  // result on the way out.
  if (snpuChainCycles(kernel, target))
    return true;
  return llvm::isa<graph::MatMulOp>(ops.front()) &&
         isSnpuMatmul(ops.front(), target);
}
