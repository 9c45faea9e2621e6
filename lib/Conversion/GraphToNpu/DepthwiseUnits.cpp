//===- DepthwiseUnits.cpp - Units of the vector unit's convolutions -------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Units of groups by output rows, their split over the cores and their
// runs (Depthwise.h), shared by both forms of the depthwise kernel.
//
//===----------------------------------------------------------------------===//

#include "Depthwise.h"

#include "sinan/Dialect/Npu/IR/NpuOps.h"
#include "sinan/runtime/Target.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

#include <algorithm>

using namespace mlir;

namespace sinan::tiling::depthwise {

/// Every unit, in order: images, blocks of groups, bands.
Band bandOf(const ConvShape &s, int64_t oh0, int64_t rows) {
  Band band;
  band.need = (rows - 1) * s.sh + (s.kh - 1) * s.dh + 1;
  int64_t first = oh0 * s.sh - s.top;
  band.before = std::clamp<int64_t>(-first, 0, band.need);
  band.count = std::max<int64_t>(0, std::min(first + band.need, s.h) -
                                        std::max<int64_t>(first, 0));
  band.after = band.need - band.before - band.count;
  band.start = std::max<int64_t>(first, 0);
  return band;
}

int64_t gridWidth(const ConvShape &s) {
  return std::max((s.ow - 1) * s.sw + (s.kw - 1) * s.dw + 1, s.w + s.left);
}

llvm::SmallVector<Unit> allUnits(const ConvShape &s, int64_t ct, int64_t rows) {
  int64_t blocks = ceilDiv(s.group, ct), bands = ceilDiv(s.oh, rows);
  llvm::SmallVector<Unit> units;
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t block = 0; block < blocks; ++block)
      for (int64_t band = 0; band < bands; ++band) {
        int64_t c0 = block * ct, oh0 = band * rows;
        units.push_back({n, c0, std::min(ct, s.group - c0), oh0,
                         std::min(rows, s.oh - oh0)});
      }
  return units;
}

/// Splits `units` into at most `cores` contiguous runs, [first, next
/// first), as even as the output allows: cores store at once, so each run
/// must start on a granule of the output of its own (the hazard checker
/// tracks granules).
static llvm::SmallVector<int64_t> coreStarts(const ConvShape &s,
                                             llvm::ArrayRef<Unit> units,
                                             int64_t cores, int64_t align) {
  int64_t granule = align / s.outBytes, total = units.size();
  llvm::SmallVector<int64_t> starts = {0};
  for (int64_t c = 1; c < cores; ++c) {
    int64_t want = c * total / cores, best = -1;
    for (int64_t u = starts.back() + 1; u < total; ++u) {
      // A split inside a block of several channels splits each of their
      // planes, and the next plane's start too.
      const Unit &unit = units[u];
      int64_t plane = s.oh * s.ow;
      bool aligned =
          unit.oh0 == 0 || unit.ct * s.fg == 1
              ? ((unit.n * s.f + unit.c0 * s.fg) * plane + unit.oh0 * s.ow) %
                        granule ==
                    0
              : plane % granule == 0 && (unit.oh0 * s.ow) % granule == 0;
      if (!aligned)
        continue;
      if (best < 0 || std::abs(u - want) < std::abs(best - want))
        best = u;
      if (u > want)
        break;
    }
    if (best < 0)
      break;
    starts.push_back(best);
  }
  starts.push_back(total);
  return starts;
}

/// The units of each core (cores whose run would be empty dropped).
llvm::SmallVector<llvm::SmallVector<Unit>>
unitsPerCore(const ConvShape &s, int64_t ct, int64_t rows, int64_t cores,
             int64_t align) {
  llvm::SmallVector<Unit> units = allUnits(s, ct, rows);
  llvm::SmallVector<int64_t> starts = coreStarts(s, units, cores, align);
  llvm::SmallVector<llvm::SmallVector<Unit>> parts;
  for (size_t c = 0; c + 1 < starts.size(); ++c)
    parts.emplace_back(units.begin() + starts[c],
                       units.begin() + starts[c + 1]);
  return parts;
}

/// A core's units as runs: each the longest stretch of one shape whose
/// offsets step evenly.
llvm::SmallVector<Run> runsOf(llvm::ArrayRef<Unit> units, UnitKey shapeOf,
                              UnitKey offsetsOf) {
  llvm::SmallVector<Run> runs;
  for (size_t i = 0; i < units.size();) {
    Run run{units[i], shapeOf(units[i]), offsetsOf(units[i]), {}};
    llvm::SmallVector<int64_t> before = run.base;
    size_t j = i + 1;
    for (; j < units.size() && shapeOf(units[j]) == run.shape; ++j) {
      llvm::SmallVector<int64_t> at = offsetsOf(units[j]), delta;
      for (size_t k = 0; k < at.size(); ++k)
        delta.push_back(at[k] - before[k]);
      if (run.step.empty())
        run.step = delta;
      else if (delta != run.step)
        break;
      before = at;
    }
    if (run.step.empty())
      run.step.assign(run.base.size(), 0);
    run.count = int64_t(j - i);
    runs.push_back(std::move(run));
    i = j;
  }
  return runs;
}

/// `reps` repetitions of runs [first, first + period), each repetition's
/// bases `delta[k]` past the one before (an outer loop over inner runs: a
/// channel block's bands, block after block).
namespace {
struct Group {
  size_t first = 0, period = 1;
  int64_t reps = 1;
  llvm::SmallVector<llvm::SmallVector<int64_t>> delta;
};
} // namespace

static llvm::SmallVector<Group> groupsOf(llvm::ArrayRef<Run> runs) {
  auto alike = [](const Run &a, const Run &b) {
    return a.shape == b.shape && a.step == b.step && a.count == b.count;
  };
  auto difference = [](const Run &a, const Run &b) {
    llvm::SmallVector<int64_t> delta;
    for (size_t k = 0; k < a.base.size(); ++k)
      delta.push_back(b.base[k] - a.base[k]);
    return delta;
  };
  llvm::SmallVector<Group> groups;
  for (size_t i = 0; i < runs.size();) {
    Group best{i, 1, 1, {}};
    for (size_t period = 1; period <= 4 && i + 2 * period <= runs.size();
         ++period) {
      Group group{i, period, 1, {}};
      for (size_t k = 0; k < period; ++k)
        group.delta.push_back(difference(runs[i + k], runs[i + period + k]));
      for (size_t at = i + period; at + period <= runs.size();
           at += period, ++group.reps) {
        bool same = true;
        for (size_t k = 0; k < period && same; ++k)
          same =
              alike(runs[i + k], runs[at + k]) &&
              difference(runs[at - period + k], runs[at + k]) == group.delta[k];
        if (!same)
          break;
      }
      if (group.reps >= 2 && group.reps * period > best.reps * best.period)
        best = group;
    }
    groups.push_back(best);
    i += best.reps * best.period;
  }
  return groups;
}

OpFoldResult materialize(OpBuilder &builder, Location loc,
                         const Affine &offset) {
  if (offset.terms.empty())
    return builder.getIndexAttr(offset.constant);
  auto index = [&](int64_t value) -> Value {
    return arith::ConstantIndexOp::create(builder, loc, value);
  };
  Value sum;
  for (auto [iv, step] : offset.terms) {
    Value term = arith::MulIOp::create(builder, loc, iv, index(step));
    sum = sum ? Value(arith::AddIOp::create(builder, loc, sum, term)) : term;
  }
  if (offset.constant)
    sum = arith::AddIOp::create(builder, loc, sum, index(offset.constant));
  return sum;
}

void emitRuns(OpBuilder &builder, Location loc, ArrayRef<Run> runs,
              function_ref<void(const Run &, ArrayRef<Affine>)> emitRun,
              bool buffered) {
  for (const Group &group : groupsOf(runs)) {
    auto emitAll = [&](Value rep) {
      for (size_t k = 0; k < group.period; ++k) {
        const Run &run = runs[group.first + k];
        SmallVector<Affine> base;
        for (auto [at, offset] : llvm::enumerate(run.base))
          base.push_back(
              Affine{offset, {}}.plus(rep, rep ? group.delta[k][at] : 0));
        emitRun(run, base);
      }
    };
    if (group.reps == 1)
      emitAll(Value());
    else {
      scf::ForOp outer = loop(
          builder, loc, arith::ConstantIndexOp::create(builder, loc, 0),
          arith::ConstantIndexOp::create(builder, loc, group.reps), 1, emitAll);
      if (buffered)
        outer->setAttr(npu::kBufferedAttrName, builder.getUnitAttr());
    }
  }
}

int64_t dmaCost(const TargetDesc &target, int64_t rowBytes, int64_t rows) {
  return int64_t(target.dmaSetupCycles) +
         std::max(ceilDiv(rowBytes * rows, int64_t(target.dmaBytesPerCycle)),
                  rows);
}

double estimate(const UnitCost &cost, int64_t perCore, int64_t runs,
                int64_t total, const TargetDesc &target) {
  double latency = double(target.dramLatencyCycles);
  double period =
      std::max({double(cost.in), double(cost.vector), double(cost.out),
                (cost.vector + cost.out + latency) / 2, double(cost.chain)});
  double fill = double(cost.in + cost.out) + 2 * latency;
  double channel = double(total) * double(cost.dram) /
                   double(std::max<uint64_t>(target.dramBytesPerCycle, 1));
  return std::max(double(perCore) * period + double(runs) * fill, channel);
}

} // namespace sinan::tiling::depthwise
