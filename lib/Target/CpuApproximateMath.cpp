//===- CpuApproximateMath.cpp - Vectorizable math for CPU kernels ---------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Conversion/GraphToLinalg.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace sinan {
#define GEN_PASS_DECL_CPUAPPROXIMATEMATH
#define GEN_PASS_DEF_CPUAPPROXIMATEMATH
#include "sinan/Conversion/Passes.h.inc"
} // namespace sinan

using namespace mlir;

namespace {

struct CpuApproximateMathPass
    : public sinan::impl::CpuApproximateMathBase<CpuApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    // The functions of activations and softmax; the others keep libm.
    populateMathPolynomialApproximationPatterns(patterns, [](StringRef name) {
      return name.consume_front("math.") && sinan::cpuApproximatesMath(name);
    });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
