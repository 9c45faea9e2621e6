//===- Decompose.cpp - Expand composite graph ops -------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The importer keeps LayerNormalization and Gelu whole (one op a backend
// may fuse); backends that run small ops get them back here, in the order
// and with the constants of the reference kernels (runtime/ref), so the
// expansion computes the same values bit for bit.
//
//===----------------------------------------------------------------------===//

#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Dialect/Graph/IR/ShapeInference.h"
#include "sinan/Dialect/Graph/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>

namespace sinan::graph {
#define GEN_PASS_DEF_GRAPHDECOMPOSE
#include "sinan/Dialect/Graph/Transforms/Passes.h.inc"
} // namespace sinan::graph

using namespace mlir;
using namespace sinan::graph;

namespace {

/// Builds elementwise ops on one element type at one location.
struct Expander {
  OpBuilder &b;
  Location loc;
  Type element;

  /// A rank-0 constant of the element type.
  Value c(double value) {
    auto type = RankedTensorType::get({}, element);
    return ConstantOp::create(
        b, loc, DenseElementsAttr::get(type, b.getFloatAttr(element, value)));
  }
  template <typename OpTy> Value op(Value x, Value y) {
    return OpTy::create(b, loc, x, y)->getResult(0);
  }
  template <typename OpTy> Value op(Value x) {
    return OpTy::create(b, loc, x)->getResult(0);
  }
  Value add(Value x, Value y) { return op<AddOp>(x, y); }
  Value sub(Value x, Value y) { return op<SubOp>(x, y); }
  Value mul(Value x, Value y) { return op<MulOp>(x, y); }
};

Value expand(GeluOp gelu, OpBuilder &b) {
  Value x = gelu.getInput();
  Expander e{b, gelu.getLoc(), getElementTypeOrSelf(x)};
  Value inner;
  if (gelu.getApproximate() == "tanh") {
    inner = e.mul(e.c(0.7978845608028654),
                  e.add(x, e.mul(e.c(0.044715), e.mul(x, e.mul(x, x)))));
    inner = e.op<TanhOp>(inner);
  } else {
    inner = e.op<ErfOp>(e.mul(x, e.c(0.7071067811865476)));
  }
  return e.mul(e.mul(e.c(0.5), x), e.add(e.c(1), inner));
}

Value expand(LayerNormOp norm, OpBuilder &b) {
  Value x = norm.getInput();
  Expander e{b, norm.getLoc(), getElementTypeOrSelf(x)};
  int64_t rank = cast<ShapedType>(x.getType()).getRank();
  int64_t axis = *normalizeAxis(norm.getAxis(), rank);
  SmallVector<int64_t> axes;
  for (int64_t d = axis; d < rank; ++d)
    axes.push_back(d);
  auto mean = [&](Value v) {
    return ReduceMeanOp::create(b, e.loc, v, b.getDenseI64ArrayAttr(axes),
                                b.getBoolAttr(true))
        ->getResult(0);
  };
  Value centred = e.sub(x, mean(x));
  Value var = mean(e.mul(centred, centred));
  Value invStd = e.op<ReciprocalOp>(
      e.op<SqrtOp>(e.add(var, e.c(norm.getEpsilon().convertToFloat()))));
  Value y = e.mul(e.mul(centred, invStd), norm.getScale());
  return norm.getBias() ? e.add(y, norm.getBias()) : y;
}

struct GraphDecompose
    : public sinan::graph::impl::GraphDecomposeBase<GraphDecompose> {
  using GraphDecomposeBase::GraphDecomposeBase;

  bool wanted(StringRef name) const {
    return ops.empty() || llvm::is_contained(ops, name.str());
  }

  void runOnOperation() override {
    SmallVector<Operation *> composite;
    getOperation()->walk([&](Operation *op) {
      if (isa<GeluOp, LayerNormOp>(op) && wanted(op->getName().stripDialect()))
        composite.push_back(op);
    });
    OpBuilder b(&getContext());
    for (Operation *op : composite) {
      b.setInsertionPoint(op);
      Value result = TypeSwitch<Operation *, Value>(op)
                         .Case([&](GeluOp gelu) { return expand(gelu, b); })
                         .Case([&](LayerNormOp n) { return expand(n, b); });
      op->getResult(0).replaceAllUsesWith(result);
      op->erase();
    }
  }
};

} // namespace
