//===- FormLayerGroups.cpp - Pairs of SNPU convolution kernels as one -----===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The first layer groups (docs/layer-groups.md): a grid convolution and the
// 1x1 convolution that reads it, a transformer's two feed-forward products,
// or a layer normalization and the product that reads it (a pre-norm
// block's), run as one kernel, so the intermediate stays in local memory
// and the group pays one kernel's head and tail.
//
//===----------------------------------------------------------------------===//

#include "sinan/Placement/Passes.h"
#include "sinan/Placement/Placement.h"

#include "sinan/Conversion/GraphToNpu.h"
#include "sinan/Conversion/Passes.h"
#include "sinan/Dialect/Graph/IR/GraphDialect.h"
#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Dialect/Npu/IR/NpuOps.h"
#include "sinan/Dialect/Npu/Transforms/Passes.h"
#include "sinan/runtime/Target.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Pass/PassManager.h"

namespace sinan {
#define GEN_PASS_DEF_FORMLAYERGROUPS
#include "sinan/Placement/Passes.h.inc"
} // namespace sinan

using namespace mlir;
using namespace sinan;

namespace {

/// A kernel function `name` that runs `first` then `second`, whose first
/// argument is `first`'s result: `first`'s arguments, then `second`'s past
/// its first. Constants `second` copied in for its tiler are marked with
/// the argument they stand for.
func::FuncOp mergeKernels(ModuleOp module, SymbolTable &symbols,
                          func::FuncOp first, func::FuncOp second,
                          StringRef name) {
  OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
  SmallVector<Type> args(first.getArgumentTypes());
  llvm::append_range(args, second.getArgumentTypes().drop_front());
  auto kernel = func::FuncOp::create(
      builder, first.getLoc(), name,
      builder.getFunctionType(args, second.getResultTypes()));
  kernel->setAttr(npu::kTargetAttrName, first->getAttr(npu::kTargetAttrName));
  Block *entry = kernel.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  unsigned firstArgs = first.getNumArguments();
  IRMapping mapping;
  mapping.map(first.getArguments(),
              entry->getArguments().take_front(firstArgs));
  Value middle;
  for (Operation &op : first.getBody().front()) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      middle = mapping.lookup(ret.getOperand(0));
      continue;
    }
    builder.clone(op, mapping);
  }
  Block &body = second.getBody().front();
  mapping.map(body.getArgument(0), middle);
  for (unsigned i = 1; i < body.getNumArguments(); ++i)
    mapping.map(body.getArgument(i), entry->getArgument(firstArgs + i - 1));
  // The second kernel's first op (its convolution) takes its constant
  // operands as copies; operand i is its argument i.
  Operation *primary = kernelBodyOps(second).front();
  for (Operation &op : body) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      func::ReturnOp::create(builder, ret.getLoc(),
                             mapping.lookup(ret.getOperand(0)));
      continue;
    }
    Operation *copy = builder.clone(op, mapping);
    if (auto constant = dyn_cast<graph::ConstantOp>(op))
      for (OpOperand &use : constant->getUses())
        if (use.getOwner() == primary && use.getOperandNumber() > 0)
          copy->setAttr(kArgumentAttrName,
                        builder.getI64IntegerAttr(firstArgs +
                                                  use.getOperandNumber() - 1));
  }
  symbols.insert(kernel); // Renames on a clash.
  return kernel;
}

/// A kernel function `name` that normalizes with `norm` (a layer
/// normalization kernel) what `product` (a matrix product kernel) then
/// multiplies: the normalization's input, then `product`'s arguments past
/// its first, then the normalization's scale and bias, so the product's
/// arguments keep their places (its tiler's and its fallback's) and the
/// weights copied into its body keep the argument they stand for.
func::FuncOp mergeNormIntoProduct(ModuleOp module, SymbolTable &symbols,
                                  func::FuncOp norm, func::FuncOp product,
                                  StringRef name) {
  OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
  unsigned productArgs = product.getNumArguments();
  SmallVector<Type> args = {norm.getArgumentTypes().front()};
  llvm::append_range(args, product.getArgumentTypes().drop_front());
  llvm::append_range(args, norm.getArgumentTypes().drop_front());
  auto kernel = func::FuncOp::create(
      builder, norm.getLoc(), name,
      builder.getFunctionType(args, product.getResultTypes()));
  kernel->setAttr(npu::kTargetAttrName, norm->getAttr(npu::kTargetAttrName));
  Block *entry = kernel.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  IRMapping mapping;
  mapping.map(norm.getArgument(0), entry->getArgument(0));
  for (unsigned i = 1; i < norm.getNumArguments(); ++i)
    mapping.map(norm.getArgument(i), entry->getArgument(productArgs + i - 1));
  Value middle;
  for (Operation &op : norm.getBody().front()) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      middle = mapping.lookup(ret.getOperand(0));
      continue;
    }
    builder.clone(op, mapping);
  }
  Block &body = product.getBody().front();
  mapping.map(body.getArgument(0), middle);
  for (unsigned i = 1; i < productArgs; ++i)
    mapping.map(body.getArgument(i), entry->getArgument(i));
  Operation *primary = kernelBodyOps(product).front();
  for (Operation &op : body) {
    Operation *copy = builder.clone(op, mapping);
    if (auto constant = dyn_cast<graph::ConstantOp>(op))
      for (OpOperand &use : constant->getUses())
        if (use.getOwner() == primary && use.getOperandNumber() > 0)
          copy->setAttr(kArgumentAttrName,
                        builder.getI64IntegerAttr(use.getOperandNumber()));
  }
  symbols.insert(kernel); // Renames on a clash.
  return kernel;
}

/// Whether `kernel` tiles and its local buffers fit: a copy lowered to npu
/// and allocated (the estimate's fit checks count the buffers the tiler
/// makes, but a group that could not be allocated must not be formed: it
/// would fail the module's compile instead of running as two kernels).
bool lowersAndFits(func::FuncOp kernel) {
  MLIRContext *context = kernel.getContext();
  OwningOpRef<ModuleOp> trial = ModuleOp::create(kernel.getLoc());
  OpBuilder builder = OpBuilder::atBlockEnd(trial->getBody());
  builder.clone(*kernel);
  ScopedDiagnosticHandler quiet(context,
                                [](Diagnostic &) { return success(); });
  PassManager pm(context);
  pm.addPass(createConvertGraphToNpu());
  OpPassManager &kernels = pm.nest<func::FuncOp>();
  kernels.addPass(npu::createNpuMultiBuffer());
  kernels.addPass(npu::createNpuAllocateLocal());
  return succeeded(pm.run(*trial));
}

/// The launch that alone reads `launch`'s one result, as its first argument
/// and only there, in the same block, when neither is in `merged`: the
/// second kernel of a group `launch` may start. Null otherwise.
npu::LaunchOp soleReader(npu::LaunchOp launch,
                         const llvm::SmallPtrSetImpl<Operation *> &merged) {
  if (merged.count(launch) || launch->getNumResults() != 1 ||
      !launch->getResult(0).hasOneUse())
    return {};
  Value result = launch->getResult(0);
  auto next = dyn_cast<npu::LaunchOp>(*result.getUsers().begin());
  if (!next || merged.count(next) || next->getNumResults() != 1 ||
      next.getArgs().empty() || next.getArgs().front() != result ||
      llvm::count(next.getArgs(), result) != 1 ||
      next->getBlock() != launch->getBlock())
    return {};
  return next;
}

/// Replaces `launch` and `next` (and their kernels `first` and `second`) by
/// one launch of `kernel` with `operands`.
void replaceWithGroup(npu::LaunchOp launch, npu::LaunchOp next,
                      func::FuncOp kernel, ValueRange operands,
                      func::FuncOp first, func::FuncOp second,
                      SymbolTable &symbols,
                      llvm::SmallPtrSetImpl<Operation *> &merged) {
  OpBuilder builder(next);
  auto group = npu::LaunchOp::create(
      builder, next.getLoc(), next->getResultTypes(),
      FlatSymbolRefAttr::get(kernel.getSymNameAttr()), operands);
  next->replaceAllUsesWith(group->getResults());
  merged.insert(launch);
  merged.insert(next);
  next.erase();
  launch.erase();
  symbols.erase(first);
  symbols.erase(second);
}

/// Groups `launch` and `next` into one launch of the merged `kernel` with
/// `operands` when it lowers, fits and its estimate `both` beats `apart` (the
/// two kernels' sum); erases `kernel` otherwise.
void groupIfCheaper(npu::LaunchOp launch, npu::LaunchOp next,
                    func::FuncOp kernel, std::optional<double> both,
                    double apart, ValueRange operands, func::FuncOp first,
                    func::FuncOp second, SymbolTable &symbols,
                    llvm::SmallPtrSetImpl<Operation *> &merged) {
  if (!both || *both >= apart || !lowersAndFits(kernel)) {
    symbols.erase(kernel);
    return;
  }
  replaceWithGroup(launch, next, kernel, operands, first, second, symbols,
                   merged);
}

/// The operands of `launch` followed by those of `next` but its first (the
/// result of `launch`).
SmallVector<Value> chainedOperands(npu::LaunchOp launch, npu::LaunchOp next) {
  SmallVector<Value> operands(launch.getArgs());
  llvm::append_range(operands, next.getArgs().drop_front());
  return operands;
}

/// Calls `visit` with each launch, the launch that alone reads its result
/// (soleReader) and their kernels, in program order; `merged` holds the
/// launches groups took so far.
void forEachReaderPair(
    ModuleOp module, SymbolTable &symbols,
    function_ref<void(npu::LaunchOp, npu::LaunchOp, func::FuncOp, func::FuncOp,
                      llvm::SmallPtrSetImpl<Operation *> &)>
        visit) {
  placement::LaunchedKernels kernels(module, symbols);
  SmallVector<npu::LaunchOp> launches(kernels.launches());
  llvm::SmallPtrSet<Operation *, 16> merged;
  for (npu::LaunchOp launch : launches) {
    npu::LaunchOp next = soleReader(launch, merged);
    if (!next)
      continue;
    func::FuncOp first = kernels.soleCallee(launch),
                 second = kernels.soleCallee(next);
    if (first && second)
      visit(launch, next, first, second, merged);
  }
}

struct FormLayerGroupsPass
    : public sinan::impl::FormLayerGroupsBase<FormLayerGroupsPass> {
  using FormLayerGroupsBase::FormLayerGroupsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<TargetDesc> desc =
        placement::resolvePassTarget(module, target);
    if (!desc)
      return signalPassFailure();
    SymbolTable symbols(module);
    formPairs(module, symbols, *desc);
    formNormGroups(module, symbols, *desc);
    formQkvGroups(module, symbols, *desc);
  }

  /// Two convolutions, or two products (a feed-forward block: the second
  /// reads the first's GELU as its left operand), the second alone reading
  /// the first's result, merge when both run on the SNPU and the pair is
  /// cheaper.
  void formPairs(ModuleOp module, SymbolTable &symbols,
                 const TargetDesc &desc) {
    forEachReaderPair(
        module, symbols,
        [&](npu::LaunchOp launch, npu::LaunchOp next, func::FuncOp first,
            func::FuncOp second, auto &merged) {
          auto leads = [](func::FuncOp kernel, auto isa) {
            SmallVector<Operation *> ops = kernelBodyOps(kernel);
            return !ops.empty() && isa(ops.front());
          };
          auto conv = llvm::IsaPred<graph::Conv2dOp>;
          auto product = llvm::IsaPred<graph::MatMulOp>;
          bool convs = leads(first, conv) && leads(second, conv);
          if (!convs && !(leads(first, product) && leads(second, product)))
            return;
          std::optional<double> one = estimateKernelCycles(first, desc);
          std::optional<double> two = estimateKernelCycles(second, desc);
          if (!one || !two)
            return;
          func::FuncOp kernel =
              mergeKernels(module, symbols, first, second,
                           (first.getSymName() + "_pair").str());
          std::optional<double> both =
              convs ? estimatePairCycles(kernel, desc)
                    : estimateFfnPairCycles(kernel, desc);
          groupIfCheaper(launch, next, kernel, both, *one + *two,
                         chainedOperands(launch, next), first, second, symbols,
                         merged);
        });
  }

  /// A product kernel (x @ W + bias, nothing before it) whose result only
  /// an attention kernel reads, through views, merges into it: the
  /// attention's tiler computes Q, K and V in local memory (after the norm
  /// groups: a pre-norm block's normalization and product save more
  /// together, and a product that took its normalization is no plain
  /// product any more).
  void formQkvGroups(ModuleOp module, SymbolTable &symbols,
                     const TargetDesc &desc) {
    forEachReaderPair(
        module, symbols,
        [&](npu::LaunchOp launch, npu::LaunchOp next, func::FuncOp first,
            func::FuncOp second, auto &merged) {
          SmallVector<Operation *> product = kernelBodyOps(first);
          if (product.empty() || !llvm::isa<graph::MatMulOp>(product.front()) ||
              llvm::count_if(product, llvm::IsaPred<graph::MatMulOp>) != 1 ||
              llvm::none_of(kernelBodyOps(second),
                            llvm::IsaPred<graph::AttentionOp>))
            return;
          std::optional<double> one = estimateKernelCycles(first, desc);
          std::optional<double> two = estimateKernelCycles(second, desc);
          if (!one || !two)
            return;
          func::FuncOp kernel =
              mergeKernels(module, symbols, first, second,
                           (first.getSymName() + "_qkv").str());
          groupIfCheaper(launch, next, kernel,
                         estimateKernelCycles(kernel, desc), *one + *two,
                         chainedOperands(launch, next), first, second, symbols,
                         merged);
        });
  }

  /// A layer normalization kernel whose result only a product kernel reads,
  /// as its left operand, merges into it (after the pairs: a feed-forward
  /// pair saves more than its normalization would).
  void formNormGroups(ModuleOp module, SymbolTable &symbols,
                      const TargetDesc &desc) {
    forEachReaderPair(
        module, symbols,
        [&](npu::LaunchOp launch, npu::LaunchOp next, func::FuncOp first,
            func::FuncOp second, auto &merged) {
          SmallVector<Operation *> norm = kernelBodyOps(first);
          SmallVector<Operation *> product = kernelBodyOps(second);
          if (norm.size() != 1 ||
              !llvm::isa<graph::LayerNormOp>(norm.front()) ||
              !first.getBody().getOps<graph::ConstantOp>().empty() ||
              product.empty() || !llvm::isa<graph::MatMulOp>(product.front()))
            return;
          // One product, or a feed-forward pair (its first product's rows).
          int64_t products =
              llvm::count_if(product, llvm::IsaPred<graph::MatMulOp>);
          if (products != 1 &&
              !(products == 2 && estimateFfnPairCycles(second, desc)))
            return;
          // (The normalization's kernel is the vector unit's: placement's
          // estimate of it.)
          std::optional<double> one =
              placement::snpuCycles(norm.front(), desc, /*bf16=*/true);
          std::optional<double> two = estimateKernelCycles(second, desc);
          if (!one || !two)
            return;
          func::FuncOp kernel =
              mergeNormIntoProduct(module, symbols, first, second,
                                   (second.getSymName() + "_norm").str());
          SmallVector<Value> operands = {launch.getArgs().front()};
          llvm::append_range(operands, next.getArgs().drop_front());
          llvm::append_range(operands, launch.getArgs().drop_front());
          groupIfCheaper(launch, next, kernel,
                         estimateKernelCycles(kernel, desc), *one + *two,
                         operands, first, second, symbols, merged);
        });
  }
};

} // namespace
