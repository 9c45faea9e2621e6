//===- ConvPair.cpp - A grid convolution and the 1x1 after it -------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The first layer group (docs/layer-groups.md): a kernel whose body is a
// convolution the grid tiler runs (with its relu) and a 1x1 convolution
// that reads all of its result and nothing else of it (with a residual add
// and a relu). The grid tiler's epilogue leaves each block of output rows
// as channel rows, which are the 1x1's right operand, so the intermediate
// never goes to DRAM and the pair pays one kernel's head and tail.
//
//===----------------------------------------------------------------------===//

#include "Conv.h"
#include "Tiling.h"

#include "sinan/Conversion/GraphToNpu.h"
#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/runtime/Target.h"

using namespace mlir;
using namespace sinan;
using namespace sinan::tiling;

namespace {

/// The only user of `value` past storage casts, or null.
Operation *soleUser(Value value) {
  while (value.hasOneUse()) {
    Operation *user = *value.getUsers().begin();
    if (!isStorageCast(user))
      return user;
    value = user->getResult(0);
  }
  return nullptr;
}

int64_t elementBytes(Type type) { return bytesOf(getElementTypeOrSelf(type)); }

DenseElementsAttr constantWeights(graph::Conv2dOp conv) {
  auto constant = conv.getWeight().getDefiningOp<graph::ConstantOp>();
  return constant ? dyn_cast<DenseElementsAttr>(constant.getValue())
                  : DenseElementsAttr();
}

} // namespace

namespace sinan::tiling {

std::optional<ConvPair> matchConvPair(ArrayRef<Operation *> ops,
                                      func::FuncOp kernel,
                                      const TargetDesc &target) {
  if (ops.size() < 2 || ops.size() > 5 || !kernel ||
      kernel.getNumResults() != 1 || !target.matrixTiles.count(DType::BF16))
    return std::nullopt;
  auto first = dyn_cast<graph::Conv2dOp>(ops[0]);
  if (!first)
    return std::nullopt;
  ConvPair pair;
  pair.first = first;
  size_t at = 1;
  Operation *next = soleUser(first.getResult());
  if (auto relu = dyn_cast_or_null<graph::ReluOp>(next);
      relu && ops[at] == relu) {
    pair.stage.firstRelu = true;
    next = soleUser(relu.getOutput());
    ++at;
  }
  auto second = dyn_cast_or_null<graph::Conv2dOp>(next);
  if (!second || at >= ops.size() || ops[at] != second.getOperation() ||
      throughStorage(second.getInput()) != ops[at - 1]->getResult(0))
    return std::nullopt;
  pair.second = second;
  ++at;
  Block &body = kernel.getBody().front();
  Value result = second.getResult();
  if (at < ops.size())
    if (auto add = dyn_cast<graph::AddOp>(ops[at]);
        add && soleUser(result) == add) {
      Value other = add.getLhs() == result ? add.getRhs() : add.getLhs();
      if (throughStorage(other) != body.getArguments().back() ||
          other.getType() != result.getType())
        return std::nullopt;
      pair.stage.residual = true;
      pair.stage.residualBytes =
          elementBytes(body.getArguments().back().getType());
      result = add.getResult();
      ++at;
    }
  if (at < ops.size())
    if (auto relu = dyn_cast<graph::ReluOp>(ops[at]);
        relu && soleUser(result) == relu) {
      pair.stage.relu = true;
      result = relu.getOutput();
      ++at;
    }
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  if (at != ops.size() || throughStorage(ret.getOperand(0)) != result)
    return std::nullopt;

  // The shapes: a dense grid convolution of at most 256 output channels (one
  // block of them) in granules of bf16, and a 1x1 of all of them over the
  // same pixels.
  std::optional<ConvShape> s = convShapeOf(first, target);
  std::optional<ConvShape> t = convShapeOf(second, target);
  pair.weights = constantWeights(first);
  pair.pairWeights = constantWeights(second);
  int64_t align = target.alignmentBytes;
  const MatrixTile &tile = target.matrixTiles.at(DType::BF16);
  if (!s || !t || !pair.weights || !pair.pairWeights || s->group != 1 ||
      !gridApplies(*s) || s->f > 256 || (s->f * 2) % align ||
      elementBytes(first.getInput().getType()) != 4 || t->group != 1 ||
      t->kh != 1 || t->kw != 1 || t->sh != 1 || t->sw != 1 || t->top != 0 ||
      t->left != 0 || t->c != s->f || t->n != s->n || t->h != s->oh ||
      t->w != s->ow || t->oh != s->oh || t->ow != s->ow || t->f % tile.m)
    return std::nullopt;
  pair.s = *s;
  pair.stage.f = t->f;
  pair.stage.bias = static_cast<bool>(second.getBias());
  pair.stage.outBytes = elementBytes(kernel.getResultTypes()[0]);
  // Blocks of the pair's output channels: the widest that gives a plan.
  for (int64_t f0 : {int64_t(512), int64_t(256), int64_t(128), int64_t(64),
                     int64_t(32), int64_t(tile.m)}) {
    if (f0 % tile.m || t->f % f0)
      continue;
    pair.stage.f0 = f0;
    if (std::optional<GridPlan> plan =
            chooseGridPlan(*s, target, ConvEpilogue(), &pair.stage)) {
      pair.plan = *plan;
      return pair;
    }
  }
  return std::nullopt;
}

LogicalResult convertConvPairKernel(func::FuncOp kernel, const ConvPair &pair,
                                    const TargetDesc &target) {
  return emitGridPair(kernel, pair.first, pair.s, pair.plan, pair.stage, target,
                      pair.weights, pair.pairWeights);
}

} // namespace sinan::tiling

std::optional<std::pair<ConvSummation, ConvSummation>>
sinan::snpuPairSummations(func::FuncOp kernel, const TargetDesc &target) {
  std::optional<tiling::ConvPair> pair =
      tiling::matchConvPair(kernelBodyOps(kernel), kernel, target);
  if (!pair)
    return std::nullopt;
  // The grid tiler's chunks, the bias last; the pair's products over all of
  // the grid convolution's channels at once, from its residual (loaded
  // into the accumulators), its bias last.
  return std::pair(ConvSummation{pair->plan.c0, true},
                   ConvSummation{pair->s.f, true, false, pair->stage.residual});
}

std::optional<double> sinan::estimatePairCycles(func::FuncOp kernel,
                                                const TargetDesc &target) {
  std::optional<tiling::ConvPair> pair =
      tiling::matchConvPair(kernelBodyOps(kernel), kernel, target);
  return pair ? std::optional(pair->plan.cycles) : std::nullopt;
}
