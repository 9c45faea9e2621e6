//===- Capabilities.cpp - What the SNPU runs, and what it costs -----------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Placement/Placement.h"

#include "sinan/Conversion/GraphToNpu.h"
#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Dialect/Graph/Transforms/Passes.h"
#include "sinan/runtime/Target.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cctype>
#include <limits>

using namespace mlir;

namespace sinan::placement {
namespace {

/// A static f32 tensor type, or null.
RankedTensorType staticF32(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape() || !tensor.getElementType().isF32())
    return {};
  return tensor;
}

int64_t bytesOf(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || !type.hasStaticShape() ||
      !type.getElementType().isIntOrIndexOrFloat())
    return 0;
  return type.getNumElements() *
         std::max<int64_t>(1, type.getElementTypeBitWidth() / 8);
}

/// The bytes an op moves: its operands and results, except that a gather
/// or a slice reads only what it selects (an embedding lookup touches its
/// rows, not the table), as many bytes as it writes.
double allBytes(Operation *op) {
  double bytes = 0;
  for (Value value : op->getOperands())
    bytes += bytesOf(value);
  for (Value value : op->getResults())
    bytes += bytesOf(value);
  return bytes;
}

double movedBytes(Operation *op) {
  if (!llvm::isa<graph::GatherOp, graph::SliceOp>(op))
    return allBytes(op);
  double bytes = 2.0 * double(bytesOf(op->getResult(0)));
  for (Value value : op->getOperands().drop_front())
    bytes += bytesOf(value);
  return bytes;
}

} // namespace

/// The cycles of the SNPU kernels graph-decompose makes of `resize` (its
/// products and row copies, built in a scratch block and dropped), or none
/// when it stays whole or a piece has no SNPU kernel.
static std::optional<double> resizeCycles(graph::ResizeOp resize,
                                          const TargetDesc &target, bool bf16) {
  Block scratch;
  OpBuilder builder(resize.getContext());
  builder.setInsertionPointToStart(&scratch);
  std::optional<double> total;
  if (graph::expandResize(resize, builder)) {
    total = 0.0;
    for (Operation &piece : scratch) {
      if (llvm::isa<graph::ConstantOp, graph::ReshapeOp>(piece))
        continue;
      std::optional<double> cycles = snpuCycles(&piece, target, bf16);
      if (!cycles) {
        total.reset();
        break;
      }
      *total += *cycles;
    }
  }
  while (!scratch.empty()) {
    scratch.back().dropAllUses();
    scratch.back().erase();
  }
  return total;
}

SnpuSupport snpuSupport(Operation *op, const TargetDesc &target, bool bf16) {
  SnpuSupport support;
  auto refuse = [&](std::string why) {
    support.refusal = std::move(why);
    return support;
  };
  if (auto resize = dyn_cast<graph::ResizeOp>(op)) {
    if (!resizeCycles(resize, target, bf16))
      return refuse(snpuElementwiseRefusal(op, target));
    support.kind = KernelKind::Elementwise;
    return support;
  }
  if (llvm::isa<graph::AttentionOp>(op)) {
    if (!bf16)
      return refuse("--snpu-precision=f32: the matrix unit multiplies in bf16");
    std::string why = snpuAttentionRefusal(op, target);
    if (!why.empty())
      return refuse(why);
    support.kind = KernelKind::Tiled;
    return support;
  }
  if (!llvm::isa<graph::MatMulOp, graph::Conv2dOp>(op)) {
    std::string why = snpuElementwiseRefusal(op, target);
    if (!why.empty())
      return refuse(why);
    support.kind = KernelKind::Elementwise;
    return support;
  }
  auto result = op->getNumResults() == 1 ? staticF32(op->getResult(0).getType())
                                         : RankedTensorType();
  if (!result)
    return refuse("the result is not a static f32 tensor");
  if (!bf16)
    return refuse("--snpu-precision=f32: the matrix unit multiplies in bf16");
  std::string why = llvm::isa<graph::MatMulOp>(op)
                        ? snpuMatmulRefusal(op, target)
                        : snpuConvRefusal(op, target);
  if (!why.empty())
    return refuse(why);
  support.kind = KernelKind::Tiled;
  return support;
}

/// Whether `bias` is a row that a 2-D matrix product's result [..., N]
/// adds along its rows: f32 of shape [N] or [1, ..., 1, N].
static bool isBiasRow(Value bias, RankedTensorType result) {
  auto type = dyn_cast<RankedTensorType>(bias.getType());
  if (!type || !type.hasStaticShape() || !type.getElementType().isF32() ||
      type.getRank() < 1 || type.getRank() > result.getRank() ||
      type.getShape().back() != result.getShape().back())
    return false;
  return llvm::all_of(type.getShape().drop_back(),
                      [](int64_t d) { return d == 1; });
}

SmallVector<Operation *, 2> fusedEpilogue(Operation *op,
                                          const TargetDesc &target) {
  SmallVector<Operation *, 2> chain;
  if (op->getNumResults() != 1)
    return chain;
  if (llvm::isa<graph::MatMulOp>(op))
    return matmulEpilogue(op, target);
  if (!llvm::isa<graph::Conv2dOp>(op))
    return elementwiseChain(
        op, target, [](Operation *next) { return !isPlacedOn(next, "cpu"); });
  auto next = [](Operation *at) -> Operation * {
    if (!at->hasOneUse())
      return nullptr;
    Operation *user = *at->user_begin();
    return isPlacedOn(user, "cpu") ? nullptr : user;
  };
  bool conv = llvm::isa<graph::Conv2dOp>(op);
  Value result = op->getResult(0);
  Operation *at = op;
  // A residual: the vector unit adds it to each block before the store.
  if (auto add = dyn_cast_or_null<graph::AddOp>(conv ? next(op) : nullptr)) {
    Value other = add.getLhs() == result ? add.getRhs() : add.getLhs();
    if (other != result && other.getType() == result.getType() &&
        add.getType() == result.getType()) {
      chain.push_back(add);
      at = add;
    }
  }
  // A relu is the store's; a convolution's kernel also clips (ReLU6 and
  // the like) or applies a SiLU, hardswish or sigmoid on the vector unit
  // before its store.
  auto onSnpu = [](ArrayRef<Operation *> ops) {
    return !ops.empty() && llvm::none_of(ops, [](Operation *op) {
      return isPlacedOn(op, "cpu");
    });
  };
  if (conv) {
    SmallVector<Operation *, 5> activation(siluOf(at->getResult(0)));
    if (activation.empty())
      activation = hardSwishOf(at->getResult(0));
    if (onSnpu(activation)) {
      chain.append(activation.begin(), activation.end());
      return chain;
    }
  }
  if (Operation *user = next(at))
    if (llvm::isa<graph::ReluOp>(user) ||
        (conv && llvm::isa<graph::ClipOp, graph::SigmoidOp>(user)))
      chain.push_back(user);
  return chain;
}

int64_t networkMacsOf(Operation *op) {
  if (auto macs = op->getAttrOfType<IntegerAttr>(kNetworkMacsAttrName))
    return macs.getInt();
  return macsOf(op);
}

int64_t macsOf(Operation *op) {
  auto out = dyn_cast<RankedTensorType>(
      op->getNumResults() == 1 ? op->getResult(0).getType() : Type());
  if (!out || !out.hasStaticShape())
    return 0;
  if (auto matmul = dyn_cast<graph::MatMulOp>(op)) {
    auto lhs = dyn_cast<RankedTensorType>(matmul.getLhs().getType());
    if (!lhs || !lhs.hasStaticShape() || lhs.getRank() < 1)
      return 0;
    return out.getNumElements() * lhs.getShape().back();
  }
  if (auto attention = dyn_cast<graph::AttentionOp>(op)) {
    // Q K^T and P V.
    auto q = dyn_cast<RankedTensorType>(attention.getQuery().getType());
    auto k = dyn_cast<RankedTensorType>(attention.getKey().getType());
    if (!q || !k || !q.hasStaticShape() || !k.hasStaticShape() ||
        q.getRank() != 4 || k.getRank() != 4 || q.getDimSize(3) == 0)
      return 0;
    int64_t scores = q.getNumElements() / q.getDimSize(3) * k.getDimSize(2);
    return scores * q.getDimSize(3) + scores * out.getDimSize(3);
  }
  if (auto conv = dyn_cast<graph::Conv2dOp>(op)) {
    auto weight = dyn_cast<RankedTensorType>(conv.getWeight().getType());
    if (!weight || !weight.hasStaticShape() || weight.getRank() != 4)
      return 0;
    return out.getNumElements() * weight.getDimSize(1) * weight.getDimSize(2) *
           weight.getDimSize(3);
  }
  // A transposed convolution scatters each input element into its group's
  // output channels, one product per tap (the runtime's hostOpMacs).
  if (auto conv = dyn_cast<graph::ConvTranspose2dOp>(op)) {
    auto input = dyn_cast<RankedTensorType>(conv.getInput().getType());
    auto weight = dyn_cast<RankedTensorType>(conv.getWeight().getType());
    if (!input || !input.hasStaticShape() || !weight ||
        !weight.hasStaticShape() || weight.getRank() != 4)
      return 0;
    return input.getNumElements() * weight.getDimSize(1) *
           weight.getDimSize(2) * weight.getDimSize(3);
  }
  return 0;
}

/// Whole passes the vector unit makes over an elementwise kernel's result:
/// a normalization's sums, centering, squares and scaling (emitNorm), one
/// for the others.
static double vectorPasses(Operation *op) {
  if (auto norm = dyn_cast<graph::LayerNormOp>(op))
    return norm.getBias() ? 7.0 : 6.0;
  if (llvm::isa<graph::RmsNormOp>(op))
    return 4.0;
  return 1.0;
}

std::optional<double> snpuCycles(Operation *op, const TargetDesc &target,
                                 bool bf16) {
  if (auto resize = dyn_cast<graph::ResizeOp>(op))
    return resizeCycles(resize, target, bf16);
  SnpuSupport support = snpuSupport(op, target, bf16);
  if (support.kind == KernelKind::Tiled)
    return estimateSnpuCycles(op, target);
  if (support.kind != KernelKind::Elementwise)
    return std::nullopt;
  // Every core streams its share through vbuf: DRAM traffic against the
  // vector unit, plus a load's and a store's latency.
  // (A slice's SNPU estimate still counts its whole operand.)
  double bytes = llvm::isa<graph::SliceOp>(op) ? allBytes(op) : movedBytes(op);
  // A gather fetches its indices a DRAM latency before the rows.
  double latencies = llvm::isa<graph::GatherOp>(op) ? 3.0 : 2.0;
  double dram = std::min<double>(double(target.dmaBytesPerCycle) * target.cores,
                                 double(target.dramBytesPerCycle));
  double vector = vectorPasses(op) * double(bytesOf(op->getResult(0))) /
                  (double(target.vectorBytesPerCycle) * target.cores);
  // A normalization's passes need whole rows in: with a core's rows one
  // chunk, the load, the passes and the store follow one another.
  // (ViT-Tiny's 197 x 192 LayerNorm: 2,098 cycles estimated as overlapped,
  // 2,543 simulated.)
  double streamed = vectorPasses(op) > 1.0 ? bytes / dram + vector
                                           : std::max(bytes / dram, vector);
  return streamed + latencies * target.dramLatencyCycles +
         2.0 * target.dmaSetupCycles;
}

double hostCycles(Operation *op, const TargetDesc &target,
                  const HostSpeed &host) {
  double bytes = movedBytes(op);
  double flops =
      macsOf(op)
          ? 2.0 * macsOf(op)
          : double(op->getNumResults() ? bytesOf(op->getResult(0)) : 0) / 4.0;
  double seconds = std::max(flops / (host.gflops * 1e9),
                            bytes / (host.gbytesPerSecond * 1e9));
  return seconds * double(target.clockMhz) * 1e6;
}

double linkCycles(Value value, const TargetDesc &target) {
  return double(bytesOf(value)) /
             double(std::max<uint64_t>(1, target.hostLinkBytesPerCycle)) +
         double(target.hostLinkLatencyCycles);
}

std::optional<std::string> onnxName(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations())
      if (auto name = dyn_cast<NameLoc>(inner))
        return name.getName().str();
  return std::nullopt;
}

SmallVector<Operation *, 2> matmulEpilogue(Operation *op,
                                           const TargetDesc &target) {
  SmallVector<Operation *, 2> chain;
  auto matmul = dyn_cast<graph::MatMulOp>(op);
  if (!matmul)
    return chain;
  auto result = dyn_cast<RankedTensorType>(matmul.getType());
  auto rhs = dyn_cast<RankedTensorType>(matmul.getRhs().getType());
  if (!result || !rhs || rhs.getRank() != 2)
    return chain;
  // A GELU of the product or of the product plus its bias row: the vector
  // unit's `vun gelu` on each block before the store.
  auto gelu = [&](Value value) {
    SmallVector<Operation *, 5> ops = geluOf(value);
    if (llvm::any_of(ops, [](Operation *op) { return isPlacedOn(op, "cpu"); }))
      ops.clear();
    chain.append(ops.begin(), ops.end());
  };
  if (!matmul->hasOneUse()) {
    gelu(matmul.getResult());
    return chain;
  }
  auto add = dyn_cast<graph::AddOp>(*matmul->user_begin());
  if (!add || isPlacedOn(add, "cpu") || add.getType() != result)
    return chain;
  Value other =
      add.getLhs() == matmul.getResult() ? add.getRhs() : add.getLhs();
  if (other == matmul.getResult() || !isBiasRow(other, result))
    return chain;
  chain.push_back(add);
  if (add->hasOneUse() && llvm::isa<graph::ReluOp>(*add->user_begin()) &&
      !isPlacedOn(*add->user_begin(), "cpu")) {
    chain.push_back(*add->user_begin());
    return chain;
  }
  // A residual of the result's type after the bias (a transformer's
  // projection back into the residual stream): the vector unit adds it to
  // each block before the store.
  if (auto residual = add->hasOneUse()
                          ? dyn_cast<graph::AddOp>(*add->user_begin())
                          : graph::AddOp();
      residual && !isPlacedOn(residual, "cpu") &&
      residual.getType() == result) {
    Value addend = residual.getLhs() == add.getResult() ? residual.getRhs()
                                                        : residual.getLhs();
    if (addend != add.getResult() && addend.getType() == result) {
      chain.push_back(residual);
      // Then a layer normalization of the sum, its only user (a post-norm
      // transformer's, BERT's), when the kernel can normalize whole rows.
      if (auto norm = residual->hasOneUse() ? dyn_cast<graph::LayerNormOp>(
                                                  *residual->user_begin())
                                            : graph::LayerNormOp();
          norm && !isPlacedOn(norm, "cpu") && norm.getInput() == residual &&
          snpuFusesNorm(matmul, norm, target))
        chain.push_back(norm);
      return chain;
    }
  }
  gelu(add.getResult());
  return chain;
}

std::string kernelSymbol(StringRef base) {
  std::string name;
  for (char c : base)
    name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name + "_kernel";
}

LaunchedKernels::LaunchedKernels(ModuleOp module, SymbolTable &symbols)
    : symbols(symbols) {
  module.walk([&](npu::LaunchOp launch) {
    all.push_back(launch);
    ++counts[launch.getKernelAttr().getAttr()];
  });
}

func::FuncOp LaunchedKernels::soleCallee(npu::LaunchOp launch) {
  auto kernel = symbols.lookup<func::FuncOp>(launch.getKernel());
  return kernel && !kernel.isExternal() &&
                 counts.lookup(launch.getKernelAttr().getAttr()) == 1
             ? kernel
             : func::FuncOp();
}

std::optional<TargetDesc> resolvePassTarget(Operation *anchor,
                                            StringRef target) {
  std::string error;
  std::optional<TargetDesc> desc = resolveTarget(target.str(), error);
  if (!desc)
    anchor->emitError() << "target '" << target << "': " << error;
  return desc;
}

std::string nodeName(Operation *op) {
  Location loc = op->getLoc();
  if (std::optional<std::string> name = onnxName(loc))
    return *name;
  std::string text = op->getName().getStringRef().str() + " at ";
  llvm::raw_string_ostream os(text);
  loc.print(os);
  return text;
}

} // namespace sinan::placement
