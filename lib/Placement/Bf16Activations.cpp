//===- Bf16Activations.cpp - bf16 activations between SNPU kernels --------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A convolution's or matrix product's input is rounded to bf16 as the DMA
// brings it into the matrix unit's buffers, so an activation that passes
// from one such kernel to others loses nothing when its producer stores it
// as bf16: its consumers read half the bytes, and DRAM-bound kernels (the
// 1x1 convolutions of a ResNet) speed up by as much.
//
//===----------------------------------------------------------------------===//

#include "sinan/Placement/Passes.h"

#include "sinan/Conversion/GraphToNpu.h"
#include "sinan/Dialect/Graph/IR/GraphDialect.h"
#include "sinan/Dialect/Npu/IR/NpuOps.h"
#include "sinan/runtime/Target.h"

#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/MapVector.h"

namespace sinan {
#define GEN_PASS_DEF_SNPUBF16ACTIVATIONS
#include "sinan/Placement/Passes.h.inc"
} // namespace sinan

using namespace mlir;
using namespace sinan;

namespace {

/// Whether the tilers' estimates for `producer` and `users` (kernels and
/// the argument each takes the value as) add up to no more cycles with the
/// value kept as bf16. A result stored as bf16 must start each core's part
/// on a granule of its own at half the bytes per element, which can cost a
/// tiler its best split (a 28x28 plane of bf16 is not whole granules).
bool faster(func::FuncOp producer,
            ArrayRef<std::pair<func::FuncOp, unsigned>> users,
            const TargetDesc &target) {
  // Copies of the kernels (their tilers read the function's types) with
  // the value narrowed.
  llvm::MapVector<Operation *, func::FuncOp> copies;
  auto copyOf = [&](func::FuncOp kernel) {
    auto [it, added] = copies.insert({kernel, func::FuncOp()});
    if (added)
      it->second = kernel.clone();
    return it->second;
  };
  storeResultAsBF16(copyOf(producer), 0);
  for (auto [kernel, index] : users)
    storeArgumentAsBF16(copyOf(kernel), index);
  double before = 0, after = 0;
  bool known = true;
  for (auto [kernel, copy] : copies) {
    std::optional<double> was =
        estimateKernelCycles(cast<func::FuncOp>(kernel), target);
    std::optional<double> now = estimateKernelCycles(copy, target);
    known &= was && now;
    before += was.value_or(0);
    after += now.value_or(0);
    copy.erase();
  }
  return known && after <= before;
}

struct SnpuBf16ActivationsPass
    : public sinan::impl::SnpuBf16ActivationsBase<SnpuBf16ActivationsPass> {
  using SnpuBf16ActivationsBase::SnpuBf16ActivationsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::string error;
    std::optional<TargetDesc> desc = resolveTarget(target, error);
    if (!desc) {
      module.emitError() << "target '" << target << "': " << error;
      return signalPassFailure();
    }
    SymbolTable symbols(module);
    // A kernel function launched once, whose types may change.
    SmallVector<npu::LaunchOp> launches;
    llvm::DenseMap<StringAttr, int> launchesOf;
    module.walk([&](npu::LaunchOp launch) {
      launches.push_back(launch);
      ++launchesOf[launch.getKernelAttr().getAttr()];
    });
    auto callee = [&](npu::LaunchOp launch) {
      auto kernel = symbols.lookup<func::FuncOp>(launch.getKernel());
      return kernel && !kernel.isExternal() &&
                     launchesOf[launch.getKernelAttr().getAttr()] == 1
                 ? kernel
                 : func::FuncOp();
    };
    for (npu::LaunchOp launch : launches) {
      func::FuncOp producer = callee(launch);
      if (!producer || launch->getNumResults() != 1 ||
          launch->getResult(0).use_empty() ||
          !snpuStoresBF16Result(producer, *desc))
        continue;
      // Every user must be a launch that takes it as bf16 unchanged.
      Value result = launch->getResult(0);
      SmallVector<std::pair<func::FuncOp, unsigned>> users;
      for (OpOperand &use : result.getUses()) {
        auto user = dyn_cast<npu::LaunchOp>(use.getOwner());
        func::FuncOp consumer = user ? callee(user) : func::FuncOp();
        if (!consumer ||
            !snpuTakesBF16Argument(consumer, use.getOperandNumber(), *desc,
                                   residuals))
          break;
        users.push_back({consumer, use.getOperandNumber()});
      }
      if (users.size() !=
              size_t(std::distance(result.use_begin(), result.use_end())) ||
          !faster(producer, users, *desc))
        continue;
      storeResultAsBF16(producer, 0);
      result.setType(producer.getResultTypes()[0]);
      for (OpOperand &use : result.getUses())
        storeArgumentAsBF16(callee(cast<npu::LaunchOp>(use.getOwner())),
                            use.getOperandNumber());
    }
  }
};

} // namespace
