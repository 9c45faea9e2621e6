//===- Depthwise.h - The vector unit's convolution kernels ------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// What the two forms of the vector unit's depthwise kernel share
// (DepthwiseToNpu.cpp: channel planes; DepthwiseChannelsLast.cpp: pixel
// rows of channels): units of groups by output rows, their split over the
// cores, runs of units that a loop takes, and the cost of a unit.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_LIB_CONVERSION_GRAPHTONPU_DEPTHWISE_H
#define SINAN_LIB_CONVERSION_GRAPHTONPU_DEPTHWISE_H

#include "Conv.h"

#include "llvm/ADT/STLFunctionalExtras.h"

namespace sinan::tiling::depthwise {

/// A unit of work: groups [c0, c0 + ct) of image n (one channel each when
/// depthwise), output rows [oh0, oh0 + rows).
struct Unit {
  int64_t n, c0, ct, oh0, rows;
};

/// The input rows a band of `rows` output rows from `oh0` reads (`need`):
/// `before` padding rows, `count` image rows from image row `start`,
/// `after` padding rows (the channels-last form's grid and the separable
/// max pooling's rows).
struct Band {
  int64_t need = 0, before = 0, count = 0, after = 0, start = 0;
};
Band bandOf(const ConvShape &s, int64_t oh0, int64_t rows);

/// The padded width a unit's column taps read: the output's span and the
/// image with its left padding, whichever is wider.
int64_t gridWidth(const ConvShape &s);

/// Every unit, in order: images, blocks of groups, bands.
llvm::SmallVector<Unit> allUnits(const ConvShape &s, int64_t ct, int64_t rows);

/// The units of each core (cores whose run would be empty dropped): at
/// most `cores` contiguous runs, as even as the output allows (each run
/// starts on a granule of the output of its own).
llvm::SmallVector<llvm::SmallVector<Unit>>
unitsPerCore(const ConvShape &s, int64_t ct, int64_t rows, int64_t cores,
             int64_t align);

/// What must agree within a run (a unit's shape) and what steps evenly
/// along it (its offsets).
using UnitKey = llvm::function_ref<llvm::SmallVector<int64_t>(const Unit &)>;

/// `count` units of one shape like `unit`, offsets `base` + i * `step`.
struct Run {
  Unit unit;
  llvm::SmallVector<int64_t> shape, base, step;
  int64_t count = 1;
};

/// A core's units as runs: each the longest stretch of one shape whose
/// offsets step evenly.
llvm::SmallVector<Run> runsOf(llvm::ArrayRef<Unit> units, UnitKey shapeOf,
                              UnitKey offsetsOf);

/// An element offset: `constant` plus each induction variable times its
/// step.
struct Affine {
  int64_t constant = 0;
  llvm::SmallVector<std::pair<mlir::Value, int64_t>, 2> terms;
  Affine plus(mlir::Value iv, int64_t step) const {
    Affine sum = *this;
    if (iv && step)
      sum.terms.push_back({iv, step});
    return sum;
  }
};

/// `offset` as an index computed here (a constant when it has no terms).
mlir::OpFoldResult materialize(mlir::OpBuilder &builder, mlir::Location loc,
                               const Affine &offset);

/// Emits a core's runs: repetitions of a few runs whose bases step evenly
/// become an outer loop (marked npu.buffered when `buffered`: the runs
/// buffer themselves); `emitRun(run, base)` emits one run from `base`.
void emitRuns(
    mlir::OpBuilder &builder, mlir::Location loc, llvm::ArrayRef<Run> runs,
    llvm::function_ref<void(const Run &, llvm::ArrayRef<Affine>)> emitRun,
    bool buffered = false);

/// DMA cycles of `rows` rows of `rowBytes` (no latency).
int64_t dmaCost(const TargetDesc &target, int64_t rowBytes, int64_t rows);

/// One unit's busy cycles on DMA-in, the vector unit and DMA-out, and its
/// DRAM bytes.
struct UnitCost {
  int64_t in = 0, vector = 0, out = 0, dram = 0;
  /// The least time between units' starts that their dependences allow
  /// (0: none beyond the engines' busy time).
  int64_t chain = 0;
};

/// The estimate of `cost`'s unit over `perCore` units in `runs` runs on
/// the busiest core, `total` units in all: double-buffered, a unit takes
/// its busiest engine's time, or half the vector unit's, store's and DRAM
/// latency's (a result buffer is reused two units later, once its store
/// has landed); each run fills and drains the pipeline (a load's and a
/// store's latency). The chip's DRAM channel bounds it too.
double estimate(const UnitCost &cost, int64_t perCore, int64_t runs,
                int64_t total, const TargetDesc &target);

/// The channels-last form's plan for a depthwise convolution or a max
/// pooling (one input and output channel per group), or nullopt when it
/// does not apply or no unit fits `budget` bytes of vbuf.
std::optional<DepthwisePlan> chooseChannelsLast(const ConvShape &s,
                                                const TargetDesc &target,
                                                const ConvEpilogue &epilogue,
                                                int64_t budget);

/// Emits `plan` (channels-last) for one core's `units` into the body at
/// the builder. Max pooling has no `weights` (nor bias nor epilogue).
void emitChannelsLast(mlir::OpBuilder &builder, mlir::Location loc,
                      const TargetDesc &target, const ConvShape &s,
                      const ConvEpilogue &epilogue, const DepthwisePlan &plan,
                      llvm::ArrayRef<Unit> units, mlir::Value x,
                      mlir::Value weights, mlir::Value bias,
                      mlir::Value residual, mlir::Value y);

} // namespace sinan::tiling::depthwise

#endif // SINAN_LIB_CONVERSION_GRAPHTONPU_DEPTHWISE_H
