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

// Each op is built by its own statement: the order of C++ argument
// evaluation is unspecified, and the IR should not depend on the compiler.
Value expand(GeluOp gelu, OpBuilder &b) {
  Value x = gelu.getInput();
  Expander e{b, gelu.getLoc(), getElementTypeOrSelf(x)};
  Value inner;
  if (gelu.getApproximate() == "tanh") {
    Value square = e.mul(x, x);
    Value cube = e.mul(x, square);
    Value k = e.c(0.044715);
    Value sum = e.add(x, e.mul(k, cube));
    Value scale = e.c(0.7978845608028654);
    inner = e.op<TanhOp>(e.mul(scale, sum));
  } else {
    Value scale = e.c(0.7071067811865476);
    inner = e.op<ErfOp>(e.mul(x, scale));
  }
  Value one = e.c(1);
  Value onePlus = e.add(one, inner);
  Value half = e.c(0.5);
  return e.mul(e.mul(half, x), onePlus);
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

Value expand(RmsNormOp norm, OpBuilder &b) {
  Value x = norm.getInput();
  Expander e{b, norm.getLoc(), getElementTypeOrSelf(x)};
  int64_t rank = cast<ShapedType>(x.getType()).getRank();
  int64_t axis = *normalizeAxis(norm.getAxis(), rank);
  SmallVector<int64_t> axes;
  for (int64_t d = axis; d < rank; ++d)
    axes.push_back(d);
  Value meanSquare =
      ReduceMeanOp::create(b, e.loc, e.mul(x, x), b.getDenseI64ArrayAttr(axes),
                           b.getBoolAttr(true))
          ->getResult(0);
  Value epsilon = e.c(norm.getEpsilon().convertToFloat());
  Value factor = e.op<ReciprocalOp>(e.op<SqrtOp>(e.add(meanSquare, epsilon)));
  return e.mul(e.mul(x, factor), norm.getScale());
}

/// `v` reshaped to `shape` (itself when it has that shape already).
Value reshaped(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape) {
  auto type = RankedTensorType::get(shape, getElementTypeOrSelf(v));
  if (type == v.getType())
    return v;
  return ReshapeOp::create(b, loc, type, v);
}

Value expand(GroupNormOp norm, OpBuilder &b) {
  Value x = norm.getInput();
  Expander e{b, norm.getLoc(), getElementTypeOrSelf(x)};
  ArrayRef<int64_t> shape = cast<ShapedType>(x.getType()).getShape();
  int64_t groups = norm.getNumGroups(), channels = shape[1];
  // One channel per group (instance normalization): statistics over the
  // spatial axes; else over [N, G, C / G * spatial].
  SmallVector<int64_t> grouped(shape), axes;
  if (groups == channels) {
    for (int64_t d = 2; d < static_cast<int64_t>(shape.size()); ++d)
      axes.push_back(d);
  } else {
    int64_t perGroup = channels / groups;
    for (int64_t d : shape.drop_front(2))
      perGroup *= d;
    grouped = {shape[0], groups, perGroup};
    axes = {2};
  }
  Value view = reshaped(b, e.loc, x, grouped);
  auto mean = [&](Value v) {
    return ReduceMeanOp::create(b, e.loc, v, b.getDenseI64ArrayAttr(axes),
                                b.getBoolAttr(true))
        ->getResult(0);
  };
  Value centred = e.sub(view, mean(view));
  Value var = mean(e.mul(centred, centred));
  Value epsilon = e.c(norm.getEpsilon().convertToFloat());
  Value invStd = e.op<ReciprocalOp>(e.op<SqrtOp>(e.add(var, epsilon)));
  Value normalized = reshaped(b, e.loc, e.mul(centred, invStd), shape);
  SmallVector<int64_t> perChannel{channels};
  perChannel.append(shape.size() - 2, 1);
  // One statement per op: argument evaluation order would shuffle them.
  Value scaled =
      e.mul(normalized, reshaped(b, e.loc, norm.getScale(), perChannel));
  Value bias = reshaped(b, e.loc, norm.getBias(), perChannel);
  return e.add(scaled, bias);
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
      if (isa<GeluOp, LayerNormOp, RmsNormOp, GroupNormOp>(op) &&
          wanted(op->getName().stripDialect()))
        composite.push_back(op);
    });
    OpBuilder b(&getContext());
    for (Operation *op : composite) {
      b.setInsertionPoint(op);
      Value result = TypeSwitch<Operation *, Value>(op)
                         .Case([&](GeluOp gelu) { return expand(gelu, b); })
                         .Case([&](LayerNormOp n) { return expand(n, b); })
                         .Case([&](RmsNormOp n) { return expand(n, b); })
                         .Case([&](GroupNormOp n) { return expand(n, b); });
      op->getResult(0).replaceAllUsesWith(result);
      op->erase();
    }
  }
};

} // namespace
