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
#include "sinan/Placement/Placement.h"

#include "sinan/Conversion/GraphToNpu.h"
#include "sinan/Dialect/Graph/IR/GraphDialect.h"
#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Dialect/Npu/IR/NpuOps.h"
#include "sinan/runtime/Target.h"

#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/Threading.h"
#include "llvm/ADT/MapVector.h"

namespace sinan {
#define GEN_PASS_DEF_SNPUBF16ACTIVATIONS
#include "sinan/Placement/Passes.h.inc"
} // namespace sinan

using namespace mlir;
using namespace sinan;

/// Whether the tilers' estimates for `producers` and `users`
/// (kernels and the argument each takes the value as) add up to no more
/// cycles, `extra` added, with the value kept as bf16. A result stored as
/// bf16 must start each core's part on a granule of its own at half the
/// bytes per element, which can cost a tiler its best split (a 28x28 plane
/// of bf16 is not whole granules).
static bool bf16Pays(ArrayRef<func::FuncOp> producers,
                     ArrayRef<std::pair<func::FuncOp, unsigned>> users,
                     const TargetDesc &target, double extra = 0.0) {
  // Copies of the kernels (their tilers read the function's types) with
  // the value narrowed.
  llvm::MapVector<Operation *, func::FuncOp> copies;
  auto copyOf = [&](func::FuncOp kernel) {
    auto [it, added] = copies.insert({kernel, func::FuncOp()});
    if (added)
      it->second = kernel.clone();
    return it->second;
  };
  for (func::FuncOp producer : producers)
    storeResultAsBF16(copyOf(producer), 0);
  for (auto [kernel, index] : users)
    storeArgumentAsBF16(copyOf(kernel), index);
  // The estimates (each a plan search the first time its shape asks) at
  // once: they only read the kernels, and the plan caches are shared
  // safely between threads.
  auto pairs = copies.takeVector();
  if (pairs.empty())
    return extra <= 0;
  SmallVector<std::optional<double>> was(pairs.size()), now(pairs.size());
  mlir::parallelFor(
      pairs.front().second.getContext(), 0, pairs.size(), [&](size_t i) {
        was[i] =
            estimateKernelCycles(cast<func::FuncOp>(pairs[i].first), target);
        now[i] = estimateKernelCycles(pairs[i].second, target);
      });
  double before = 0, after = 0;
  bool known = true;
  for (auto [i, pair] : llvm::enumerate(pairs)) {
    known &= was[i] && now[i];
    before += was[i].value_or(0);
    after += now[i].value_or(0);
    pair.second.erase();
  }
  return known && after + extra <= before;
}

/// Cycles of a kernel that converts `type` (f32) to bf16 in DRAM: each
/// element loaded as f32 and stored from f32 (the DMA engines move the
/// longer side of each row), one after the other, split over the cores,
/// and a load's and a store's round trip.
static double conversionCycles(RankedTensorType type,
                               const TargetDesc &target) {
  double bytes = double(type.getNumElements()) * 8.0;
  double bandwidth = std::min<double>(
      target.dramBytesPerCycle, double(target.dmaBytesPerCycle) * target.cores);
  return bytes / bandwidth + 2.0 * target.dramLatencyCycles;
}

/// A kernel function `name` for `target` that returns its f32 argument of
/// `type` as bf16 (an identity reshape, a DMA move, with its result kept
/// as bf16: the DMA converts on the way out).
static func::FuncOp conversionKernel(ModuleOp module, SymbolTable &symbols,
                                     StringRef name, RankedTensorType type,
                                     StringRef target, Location loc) {
  OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
  auto kernel = func::FuncOp::create(builder, loc, name,
                                     builder.getFunctionType({type}, {type}));
  kernel->setAttr(npu::kTargetAttrName,
                  npu::TargetAttr::get(module.getContext(), target));
  Block *entry = kernel.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  auto reshape =
      graph::ReshapeOp::create(builder, loc, type, entry->getArgument(0));
  func::ReturnOp::create(builder, loc, reshape.getResult());
  symbols.insert(kernel); // Renames on a clash.
  storeResultAsBF16(kernel, 0);
  return kernel;
}

/// Whether `kernel`'s body is one concatenation.
static bool isConcatKernel(func::FuncOp kernel) {
  SmallVector<Operation *> ops = kernelBodyOps(kernel);
  return ops.size() == 1 && llvm::isa<graph::ConcatOp>(ops.front());
}

namespace {

struct SnpuBf16ActivationsPass
    : public sinan::impl::SnpuBf16ActivationsBase<SnpuBf16ActivationsPass> {
  using SnpuBf16ActivationsBase::SnpuBf16ActivationsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<TargetDesc> desc =
        placement::resolvePassTarget(module, target);
    if (!desc)
      return signalPassFailure();
    SymbolTable symbols(module);
    // A kernel function launched once, whose types may change.
    placement::LaunchedKernels kernels(module, symbols);
    SmallVector<npu::LaunchOp> launches(kernels.launches());
    auto callee = [&](npu::LaunchOp launch) {
      return kernels.soleCallee(launch);
    };
    // The kernels reading `value` and the argument each reads it as, when
    // every user is a launch that takes it as bf16 unchanged.
    using Readers = SmallVector<std::pair<func::FuncOp, unsigned>>;
    auto bf16Readers = [&](Value value) -> std::optional<Readers> {
      Readers readers;
      for (OpOperand &use : value.getUses()) {
        auto user = dyn_cast<npu::LaunchOp>(use.getOwner());
        func::FuncOp consumer = user ? callee(user) : func::FuncOp();
        if (!consumer ||
            !snpuTakesBF16Argument(consumer, use.getOperandNumber(), *desc,
                                   residuals))
          return std::nullopt;
        readers.push_back({consumer, use.getOperandNumber()});
      }
      return readers;
    };
    // Latest first: a max pooling's result is settled before its producer
    // asks whether the pooling takes its input as bf16.
    for (npu::LaunchOp launch : llvm::reverse(launches)) {
      func::FuncOp producer = callee(launch);
      if (!producer || launch->getNumResults() != 1 ||
          launch->getResult(0).use_empty() ||
          !snpuStoresBF16Result(producer, *desc))
        continue;
      Value result = launch->getResult(0);
      std::optional<Readers> users = bf16Readers(result);
      if (!users)
        continue;
      // A concatenation goes bf16 with its operands, or not at all: mixed
      // types would make a copy of what the schedule makes a view
      // (sched.concat takes one element type). Each operand's producer
      // stores it as bf16 and its other readers take it so.
      SmallVector<func::FuncOp> producers = {producer};
      SmallVector<Value> operands;
      if (isConcatKernel(producer)) {
        bool all = true;
        for (Value operand : launch.getArgs()) {
          auto from = operand.getDefiningOp<npu::LaunchOp>();
          func::FuncOp kernel = from ? callee(from) : func::FuncOp();
          if (!kernel || from->getNumResults() != 1 ||
              llvm::is_contained(operands, operand) ||
              !snpuStoresBF16Result(kernel, *desc)) {
            all = false;
            break;
          }
          for (OpOperand &use : operand.getUses()) {
            if (use.getOwner() == launch)
              continue;
            auto user = dyn_cast<npu::LaunchOp>(use.getOwner());
            func::FuncOp reader = user ? callee(user) : func::FuncOp();
            if (!reader ||
                !snpuTakesBF16Argument(reader, use.getOperandNumber(), *desc,
                                       residuals)) {
              all = false;
              break;
            }
            users->push_back({reader, use.getOperandNumber()});
          }
          producers.push_back(kernel);
          operands.push_back(operand);
          users->push_back({producer, unsigned(operands.size() - 1)});
        }
        if (!all)
          continue;
      }
      if (!bf16Pays(producers, *users, *desc))
        continue;
      for (Value value :
           llvm::concat<Value>(ValueRange(operands), ValueRange(result))) {
        func::FuncOp kernel =
            callee(cast<npu::LaunchOp>(value.getDefiningOp()));
        storeResultAsBF16(kernel, 0);
        value.setType(kernel.getResultTypes()[0]);
        for (OpOperand &use : value.getUses())
          storeArgumentAsBF16(callee(cast<npu::LaunchOp>(use.getOwner())),
                              use.getOperandNumber());
      }
    }
    // A network input that only matrix-unit kernels read: a kernel of its
    // own converts it to bf16 on the device first (the host link still
    // carries f32), when what its readers save pays for that twice over
    // (the savings are estimates: a matrix product's 200x300 input saved
    // less than the 1.9k cycles the conversion took on snpu-edge).
    SmallVector<func::FuncOp> hosts;
    for (auto func : module.getOps<func::FuncOp>())
      if (!func->hasAttr(npu::kTargetAttrName) && !func.isExternal())
        hosts.push_back(func);
    for (func::FuncOp host : hosts)
      for (BlockArgument arg : host.getArguments()) {
        auto type = dyn_cast<RankedTensorType>(arg.getType());
        if (!type || !type.hasStaticShape() || !type.getElementType().isF32() ||
            arg.use_empty())
          continue;
        std::optional<Readers> users = bf16Readers(arg);
        // The conversion goes before the first reader, in the function's
        // body (not in a nested region).
        Block &entry = host.getBody().front();
        Operation *first = nullptr;
        for (Operation *user : arg.getUsers())
          if (user->getBlock() != &entry)
            users.reset();
          else if (!first || user->isBeforeInBlock(first))
            first = user;
        if (!users || !first ||
            !bf16Pays({}, *users, *desc, 2.0 * conversionCycles(type, *desc)))
          continue;
        std::string name = "input";
        if (auto named = host.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                           "graph.name"))
          name = named.str();
        func::FuncOp kernel = conversionKernel(
            module, symbols, placement::kernelSymbol(name + "_to_bf16"), type,
            target, arg.getLoc());
        OpBuilder builder(first);
        auto launch = npu::LaunchOp::create(
            builder, arg.getLoc(), kernel.getResultTypes(),
            FlatSymbolRefAttr::get(kernel.getSymNameAttr()), ValueRange{arg});
        for (auto [consumer, index] : *users)
          storeArgumentAsBF16(consumer, index);
        arg.replaceAllUsesExcept(launch->getResult(0), launch);
      }
  }
};

} // namespace
