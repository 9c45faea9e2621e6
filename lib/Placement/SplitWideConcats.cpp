//===- SplitWideConcats.cpp - Concats no wider than a kernel's ABI -------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// See the pass description in Passes.td: a concat of n > m inputs becomes
// concat(concat(first n - m + 1 inputs), the other m - 1), and the inner
// one is split again while it is wider than m.
//
//===----------------------------------------------------------------------===//

#include "sinan/Placement/Passes.h"

#include "sinan/Dialect/Graph/IR/GraphOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

namespace sinan {
#define GEN_PASS_DEF_SPLITWIDECONCATS
#include "sinan/Placement/Passes.h.inc"
} // namespace sinan

using namespace mlir;
using namespace sinan;

namespace {

/// Splits `concat` until no concat it leaves has more than `most` inputs.
void split(graph::ConcatOp concat, int64_t most) {
  OpBuilder builder(concat);
  while (static_cast<int64_t>(concat.getInputs().size()) > most) {
    SmallVector<Value> inputs(concat.getInputs());
    size_t first = inputs.size() - most + 1;
    builder.setInsertionPoint(concat);
    // The inner concat may itself be too wide; it is split on its turn.
    auto inner = graph::ConcatOp::create(
        builder, concat.getLoc(), ArrayRef<Value>(inputs).take_front(first),
        concat.getAxisAttr());
    SmallVector<Value> rest{inner.getResult()};
    rest.append(inputs.begin() + first, inputs.end());
    concat.getInputsMutable().assign(rest);
    concat = inner;
  }
}

struct SplitWideConcatsPass
    : public sinan::impl::SplitWideConcatsBase<SplitWideConcatsPass> {
  using SplitWideConcatsBase::SplitWideConcatsBase;

  void runOnOperation() override {
    if (maxInputs < 2) {
      getOperation().emitError()
          << "sinan-split-wide-concats: max-inputs must be at least 2, got "
          << static_cast<int64_t>(maxInputs);
      return signalPassFailure();
    }
    SmallVector<graph::ConcatOp> wide;
    getOperation().walk([&](graph::ConcatOp concat) {
      if (static_cast<int64_t>(concat.getInputs().size()) > maxInputs)
        wide.push_back(concat);
    });
    for (graph::ConcatOp concat : wide)
      split(concat, maxInputs);
  }
};

} // namespace
