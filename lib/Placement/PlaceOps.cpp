//===- PlaceOps.cpp - Each graph op to the SNPU or the CPU ----------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Placement/Passes.h"
#include "sinan/Placement/Placement.h"

#include "sinan/Conversion/GraphToNpu.h"

#include "sinan/Dialect/Graph/IR/GraphDialect.h"
#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Dialect/Npu/IR/NpuOps.h"
#include "sinan/runtime/Target.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"

namespace sinan {
#define GEN_PASS_DEF_PLACEOPS
#include "sinan/Placement/Passes.h.inc"
} // namespace sinan

using namespace mlir;
using namespace sinan;
using namespace sinan::placement;

namespace {

enum class Side { Snpu, Cpu };

StringRef sideName(Side side) { return side == Side::Snpu ? "snpu" : "cpu"; }

/// What the pass knows of one op.
struct Decision {
  Operation *op = nullptr;
  Side side = Side::Cpu;
  std::string why;
  SnpuSupport support;
  /// A forced placement from the overrides file.
  std::optional<Side> forced;
  /// The relu a convolution's kernel absorbs (it follows the convolution).
  Operation *epilogue = nullptr;
  /// The convolution whose kernel absorbs this relu.
  Operation *absorbedBy = nullptr;
  std::optional<double> snpuCycles;
  /// Host cycles with the epilogues it absorbs (the cost model's), and its
  /// own (the module's host step).
  double hostCycles = 0, ownHostCycles = 0;
};

struct PlaceOpsPass : public sinan::impl::PlaceOpsBase<PlaceOpsPass> {
  using PlaceOpsBase::PlaceOpsBase;

  void runOnOperation() override;

private:
  LogicalResult readOverrides(ArrayRef<Decision *> decisions);
  Side sideOf(Value value) const;
  /// Host-link cycles `d` adds on `side` (its inputs from the other side,
  /// its results the other side reads), given the others' placements.
  double copiesOn(const Decision &d, Side side) const;
  void decideByCost(MutableArrayRef<Decision> decisions);
  void writeReport(ArrayRef<Decision> decisions, const TargetDesc &target);

  std::optional<TargetDesc> desc;
  llvm::DenseMap<Operation *, Decision *> byOp;
};

LogicalResult PlaceOpsPass::readOverrides(ArrayRef<Decision *> decisions) {
  if (overrides.empty())
    return success();
  auto fail = [&](const Twine &message) {
    getOperation().emitError()
        << "--placement-overrides " << overrides << ": " << message;
    return failure();
  };
  auto buffer = llvm::MemoryBuffer::getFile(overrides, /*IsText=*/true);
  if (!buffer)
    return fail(buffer.getError().message());
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  if (!json)
    return fail(llvm::toString(json.takeError()));
  const llvm::json::Object *object = json->getAsObject();
  if (!object)
    return fail("expected an object of node names to \"snpu\" or \"cpu\"");
  for (const auto &[key, value] : *object) {
    std::optional<StringRef> text = value.getAsString();
    // "snpu:vector" / "snpu:matrix": a convolution of narrow groups on the
    // SNPU, on the unit named (kNarrowGroupsAttrName); "snpu:winograd" /
    // "snpu:direct": a dense one by the algorithm named
    // (kConvAlgorithmAttrName).
    StringRef form;
    if (text && text->starts_with("snpu:"))
      form = text->drop_front(5);
    bool algorithm = form == "winograd" || form == "direct";
    if (!text || (*text != "snpu" && *text != "cpu" && form != "vector" &&
                  form != "matrix" && !algorithm))
      return fail("'" + key.str() +
                  "': expected \"snpu\", \"cpu\", \"snpu:vector\", "
                  "\"snpu:matrix\", \"snpu:winograd\" or \"snpu:direct\"");
    Side side = *text == "cpu" ? Side::Cpu : Side::Snpu;
    StringRef name = key; // Not key.str(): a temporary std::string (ASan).
    bool byKind = name.consume_front("op:");
    bool matched = false;
    for (Decision *d : decisions) {
      if (byKind ? d->op->getName().stripDialect() != name
                 : nodeName(d->op) != name)
        continue;
      matched = true;
      d->forced = side;
      if (form.empty())
        continue;
      auto conv = dyn_cast<graph::Conv2dOp>(d->op);
      if (algorithm) {
        if (!conv || conv.getGroup() != 1)
          return fail("'" + key.str() + "': \"" + *text +
                      "\" is for convolutions of one group");
        conv->setAttr(kConvAlgorithmAttrName,
                      StringAttr::get(conv.getContext(), form));
        continue;
      }
      if (!conv || conv.getGroup() == 1)
        return fail("'" + key.str() + "': \"" + *text +
                    "\" is for grouped convolutions");
      conv->setAttr(kNarrowGroupsAttrName,
                    StringAttr::get(conv.getContext(), form));
    }
    if (!matched)
      return fail("'" + key.str() + "' names no " +
                  (byKind ? "op of the model" : "node of the model"));
  }
  return success();
}

Side PlaceOpsPass::sideOf(Value value) const {
  Operation *def = value.getDefiningOp();
  if (!def)
    return Side::Cpu; // A model input arrives in host memory.
  auto it = byOp.find(def);
  return it == byOp.end() ? Side::Cpu : it->second->side;
}

double PlaceOpsPass::copiesOn(const Decision &d, Side side) const {
  double cycles = 0;
  for (Value operand : d.op->getOperands()) {
    // Constants are copied to the device once per session and kept there.
    if (operand.getDefiningOp<graph::ConstantOp>() || sideOf(operand) == side)
      continue;
    // One copy serves every reader on this side.
    bool shared = llvm::any_of(operand.getUsers(), [&](Operation *user) {
      auto it = byOp.find(user);
      return user != d.op && it != byOp.end() && it->second->side == side;
    });
    if (!shared)
      cycles += linkCycles(operand, *desc);
  }
  Operation *last = d.epilogue ? d.epilogue : d.op;
  for (Value result : last->getResults()) {
    bool readOtherSide = llvm::any_of(result.getUsers(), [&](Operation *user) {
      auto it = byOp.find(user);
      Side userSide = it == byOp.end() ? Side::Cpu : it->second->side;
      return userSide != side; // func.return reads in host memory.
    });
    if (readOtherSide)
      cycles += linkCycles(result, *desc);
  }
  return cycles;
}

void PlaceOpsPass::decideByCost(MutableArrayRef<Decision> decisions) {
  // Each candidate takes the cheaper side given its neighbours' sides;
  // repeat until no side changes (a bounded number of rounds).
  for (int round = 0; round < 8; ++round) {
    bool changed = false;
    for (Decision &d : decisions) {
      if (!d.support || d.forced || d.absorbedBy || !d.snpuCycles)
        continue;
      double snpu = *d.snpuCycles + copiesOn(d, Side::Snpu);
      double host = d.hostCycles + copiesOn(d, Side::Cpu);
      Side side = snpu <= host ? Side::Snpu : Side::Cpu;
      d.why = llvm::formatv("auto: SNPU ~{0} cycles with copies {1} host ~{2}",
                            int64_t(snpu), side == Side::Snpu ? "<=" : ">",
                            int64_t(host));
      changed |= side != d.side;
      d.side = side;
    }
    if (!changed)
      break;
  }
}

void PlaceOpsPass::runOnOperation() {
  ModuleOp module = getOperation();
  desc = placement::resolvePassTarget(module, target);
  if (!desc)
    return signalPassFailure();
  if (mode != "snpu" && mode != "cpu" && mode != "auto") {
    module.emitError() << "placement '" << mode
                       << "': expected snpu, cpu or auto";
    return signalPassFailure();
  }
  if (precision != "bf16" && precision != "f32") {
    module.emitError() << "SNPU precision '" << precision
                       << "': expected bf16 or f32";
    return signalPassFailure();
  }
  bool bf16 = precision == "bf16";
  HostSpeed host{hostGflops, hostGbps};

  SmallVector<Decision> decisions;
  module.walk([&](func::FuncOp func) {
    if (func->hasAttr(npu::kTargetAttrName))
      return;
    for (Operation &op : func.getBody().getOps())
      if (llvm::isa_and_nonnull<graph::GraphDialect>(op.getDialect()) &&
          !llvm::isa<graph::ConstantOp>(op)) {
        Decision d;
        d.op = &op;
        decisions.push_back(std::move(d));
      }
  });
  for (Decision &d : decisions)
    byOp[d.op] = &d;
  SmallVector<Decision *> all;
  for (Decision &d : decisions)
    all.push_back(&d);
  if (failed(readOverrides(all)))
    return signalPassFailure();

  for (Decision &d : decisions) {
    d.support = snpuSupport(d.op, *desc, bf16);
    d.snpuCycles = snpuCycles(d.op, *desc, bf16);
    d.hostCycles = d.ownHostCycles = hostCycles(d.op, *desc, host);
    if (d.forced == Side::Snpu && !d.support) {
      d.op->emitError() << "node '" << nodeName(d.op) << "' ("
                        << d.op->getName() << ") is forced to the SNPU by "
                        << overrides << ", but the SNPU cannot run it: "
                        << d.support.refusal;
      return signalPassFailure();
    }
    if (d.forced) {
      d.side = *d.forced;
      d.why = "forced by " + overrides;
    } else if (mode == "cpu") {
      d.side = Side::Cpu;
      d.why = "--placement=cpu";
    } else if (!d.support) {
      d.side = Side::Cpu;
      d.why = d.support.refusal;
    } else {
      d.side = Side::Snpu;
      d.why = "the SNPU runs it (--placement=snpu)";
    }
    // A reshape runs nowhere: the schedule gives its result its operand's
    // bytes (a view step on the device, an in-place host op on the host).
    if (llvm::isa<graph::ReshapeOp>(d.op) && d.support) {
      d.snpuCycles = 0.0;
      if (!d.forced && mode != "cpu")
        d.why = "a view of its operand's bytes (no kernel)";
    }
  }
  // A convolution's or elementwise op's epilogue (residual add, relu,
  // clip) joins its kernel wherever the op goes, up to an op forced
  // elsewhere.
  for (Decision &d : decisions)
    if (d.support && !d.absorbedBy && (!d.forced || *d.forced == Side::Snpu))
      for (Operation *next : fusedEpilogue(d.op, *desc)) {
        Decision &e = *byOp[next];
        // An add of two convolutions joins the first one's kernel only.
        if (e.forced || e.absorbedBy)
          break;
        d.epilogue = next;
        e.absorbedBy = d.op;
        e.snpuCycles.reset(); // Part of the kernel's.
        d.hostCycles += e.hostCycles;
      }
  if (mode == "auto")
    decideByCost(decisions);
  for (Decision &d : decisions)
    if (d.absorbedBy) {
      const Decision &conv = *byOp[d.absorbedBy];
      d.side = conv.side;
      d.why = conv.side == Side::Snpu
                  ? "fused into the kernel of '" + nodeName(conv.op) + "'"
                  : "follows '" + nodeName(conv.op) + "' (" + conv.why + ")";
    }

  Builder builder(module.getContext());
  for (Decision &d : decisions) {
    d.op->setAttr(kPlacementAttrName, builder.getStringAttr(sideName(d.side)));
    // The op's own time on the host (an absorbed epilogue's is not in the
    // op it follows there).
    if (d.side == Side::Cpu)
      d.op->setAttr(kHostCyclesAttrName, builder.getI64IntegerAttr(int64_t(
                                             std::ceil(d.ownHostCycles))));
    else
      d.op->removeAttr(kHostCyclesAttrName);
  }
  if (!report.empty())
    writeReport(decisions, *desc);
}

void PlaceOpsPass::writeReport(ArrayRef<Decision> decisions,
                               const TargetDesc &target) {
  std::error_code ec;
  bool json = StringRef(report).ends_with(".json");
  llvm::ToolOutputFile file(report, ec, llvm::sys::fs::OF_Text);
  if (ec) {
    getOperation().emitError()
        << "--placement-report " << report << ": " << ec.message();
    return signalPassFailure();
  }
  int64_t macs = 0, snpuMacs = 0, snpuOps = 0;
  for (const Decision &d : decisions) {
    macs += networkMacsOf(d.op);
    if (d.side == Side::Snpu) {
      snpuMacs += networkMacsOf(d.op);
      ++snpuOps;
    }
  }
  llvm::raw_ostream &os = file.os();
  if (json) {
    llvm::json::Array ops;
    for (const Decision &d : decisions) {
      llvm::json::Object entry{{"node", nodeName(d.op)},
                               {"op", d.op->getName().stripDialect()},
                               {"placement", sideName(d.side)},
                               {"why", d.why},
                               {"macs", networkMacsOf(d.op)},
                               {"host_cycles", int64_t(d.hostCycles)}};
      if (d.snpuCycles)
        entry["snpu_cycles"] = int64_t(*d.snpuCycles);
      ops.push_back(std::move(entry));
    }
    llvm::json::Object root{{"target", target.name},
                            {"mode", mode},
                            {"host_gflops", hostGflops.getValue()},
                            {"host_gbps", hostGbps.getValue()},
                            {"ops", std::move(ops)},
                            {"macs", macs},
                            {"snpu_macs", snpuMacs}};
    os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
  } else {
    os << llvm::formatv("placement on {0}, --placement={1} (host assumed at "
                        "{2} GFLOP/s, {3} GB/s)\n",
                        target.name, mode, hostGflops.getValue(),
                        hostGbps.getValue());
    size_t width = 4;
    for (const Decision &d : decisions)
      width = std::max(width, nodeName(d.op).size());
    os << llvm::left_justify("node", width)
       << llvm::formatv(" {0,-12} {1,-5} {2,12} {3,12}  why\n", "op", "where",
                        "snpu cyc", "host cyc");
    for (const Decision &d : decisions)
      os << llvm::left_justify(nodeName(d.op), width)
         << llvm::formatv(" {0,-12} {1,-5} {2,12} {3,12}  {4}\n",
                          d.op->getName().stripDialect(), sideName(d.side),
                          d.snpuCycles ? std::to_string(int64_t(*d.snpuCycles))
                                       : "-",
                          int64_t(d.hostCycles), d.why);
    os << llvm::formatv("{0} of {1} ops on the SNPU; {2} of {3} MACs "
                        "({4:F1} %)\n",
                        snpuOps, decisions.size(), snpuMacs, macs,
                        macs ? 100.0 * double(snpuMacs) / double(macs) : 0.0);
  }
  file.keep();
}

} // namespace
