//===- FuseAttention.cpp - Attention as exporters write it, as one op ----===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// PyTorch's exporter (and graph-decompose) write attention as
//   matmul(Q, K^T) [/ c or * c] [+ mask] -> softmax(last axis) -> matmul(., V)
// on [batch..., S, D] operands. When the target's SNPU runs graph.attention
// as one kernel, this pass rewrites the chain into it, so the scores never
// leave the device's local memory.
//
//===----------------------------------------------------------------------===//

#include "sinan/Placement/Passes.h"
#include "sinan/Placement/Placement.h"

#include "sinan/Conversion/GraphToNpu.h"
#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/runtime/Target.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cmath>

namespace sinan {
#define GEN_PASS_DEF_FUSEATTENTION
#include "sinan/Placement/Passes.h.inc"
} // namespace sinan

using namespace mlir;
using namespace sinan;

namespace {

/// The value of a one-element f32 constant.
std::optional<float> scalarOf(Value value) {
  auto constant = value.getDefiningOp<graph::ConstantOp>();
  auto dense =
      constant ? dyn_cast<DenseElementsAttr>(constant.getValue()) : nullptr;
  if (!dense || dense.getNumElements() != 1 || !dense.getElementType().isF32())
    return std::nullopt;
  return *dense.getValues<float>().begin();
}

bool isPowerOfTwo(float value) {
  int exponent = 0;
  return std::isfinite(value) && value > 0 &&
         std::frexp(value, &exponent) == 0.5f;
}

/// `x * factor` or `x / divisor` by a scalar constant: x and the factor it
/// multiplies by (1 / divisor), when `value` is one of those.
std::optional<std::pair<Value, float>> scaled(Value value) {
  Operation *op = value.getDefiningOp();
  if (auto mul = dyn_cast_or_null<graph::MulOp>(op)) {
    if (std::optional<float> c = scalarOf(mul.getRhs()))
      return std::make_pair(mul.getLhs(), *c);
    if (std::optional<float> c = scalarOf(mul.getLhs()))
      return std::make_pair(mul.getRhs(), *c);
  }
  if (auto div = dyn_cast_or_null<graph::DivOp>(op))
    if (std::optional<float> c = scalarOf(div.getRhs()); c && *c != 0)
      return std::make_pair(div.getLhs(), 1.0f / *c);
  return std::nullopt;
}

/// A static f32 tensor of rank 3 or 4.
RankedTensorType operandType(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || !type.hasStaticShape() || !type.getElementType().isF32() ||
      (type.getRank() != 3 && type.getRank() != 4))
    return {};
  return type;
}

/// The chain from Q K^T to P V, matched backwards from the second product.
struct Match {
  Value query, keysT, value, mask;
  float scale = 1;
  graph::MatMulOp output;
  /// The ops that go (each the only user of the one before, up to the
  /// output).
  SmallVector<Operation *, 6> ops;
};

std::optional<Match> matchAt(graph::MatMulOp output) {
  Match m;
  m.output = output;
  auto softmax = output.getLhs().getDefiningOp<graph::SoftmaxOp>();
  if (!softmax || !softmax->hasOneUse())
    return std::nullopt;
  auto probsType = cast<RankedTensorType>(softmax.getType());
  int64_t axis = softmax.getAxisAttr().getInt();
  if (axis != -1 && axis != probsType.getRank() - 1)
    return std::nullopt;
  m.ops.push_back(softmax);
  Value at = softmax.getInput();
  // + mask (either side: the other operand comes from the scores).
  auto through = [&](Value v) {
    Operation *op = v.getDefiningOp();
    return op && op->hasOneUse() ? op : nullptr;
  };
  if (auto add = dyn_cast_or_null<graph::AddOp>(through(at))) {
    for (auto [scores, mask] : {std::pair{add.getLhs(), add.getRhs()},
                                std::pair{add.getRhs(), add.getLhs()}}) {
      Operation *def = scores.getDefiningOp();
      if (def && llvm::isa<graph::MatMulOp, graph::MulOp, graph::DivOp>(def) &&
          scores.getType() == add.getType()) {
        m.mask = mask;
        at = scores;
        m.ops.push_back(add);
        break;
      }
    }
    if (!m.mask)
      return std::nullopt;
  }
  if (Operation *op = through(at))
    if (std::optional<std::pair<Value, float>> s = scaled(at)) {
      m.scale = s->second;
      at = s->first;
      m.ops.push_back(op);
    }
  auto scores = at.getDefiningOp<graph::MatMulOp>();
  if (!scores || !scores->hasOneUse())
    return std::nullopt;
  m.ops.push_back(scores);
  m.query = scores.getLhs();
  m.keysT = scores.getRhs();
  m.value = output.getRhs();
  // A query scaled by a power of two before the product (torchvision's
  // multi-head attention): the same scores, scaled after it, exactly.
  if (Operation *op = through(m.query))
    if (std::optional<std::pair<Value, float>> s = scaled(m.query);
        s && isPowerOfTwo(s->second)) {
      m.scale *= s->second;
      m.query = s->first;
      m.ops.push_back(op);
    }
  RankedTensorType q = operandType(m.query), kT = operandType(m.keysT),
                   v = operandType(m.value);
  if (!q || !kT || !v || q.getRank() != kT.getRank() ||
      q.getRank() != v.getRank())
    return std::nullopt;
  int64_t rank = q.getRank();
  // Equal batch dimensions; [.., Sq, D] x [.., D, Sk], then [.., Sk, Dv].
  if (q.getShape().drop_back(2) != kT.getShape().drop_back(2) ||
      q.getShape().drop_back(2) != v.getShape().drop_back(2) ||
      q.getDimSize(rank - 1) != kT.getDimSize(rank - 2) ||
      kT.getDimSize(rank - 1) != v.getDimSize(rank - 2))
    return std::nullopt;
  if (m.mask) {
    auto mask = dyn_cast<RankedTensorType>(m.mask.getType());
    if (!mask || !mask.hasStaticShape() || !mask.getElementType().isF32() ||
        mask.getRank() > rank)
      return std::nullopt;
  }
  return m;
}

/// `value` reshaped to `shape` (no op when it has it already).
Value reshaped(OpBuilder &builder, Location loc, Value value,
               ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getShape() == shape)
    return value;
  return graph::ReshapeOp::create(builder, loc, type.clone(shape), value);
}

/// [.., S, X] as 4-D: [B, H, S, X] stays, [H, S, X] gains a batch of one.
SmallVector<int64_t, 4> as4D(RankedTensorType type) {
  SmallVector<int64_t, 4> shape(type.getShape());
  if (shape.size() == 3)
    shape.insert(shape.begin(), 1);
  return shape;
}

struct FuseAttentionPass
    : public sinan::impl::FuseAttentionBase<FuseAttentionPass> {
  using FuseAttentionBase::FuseAttentionBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<TargetDesc> desc =
        placement::resolvePassTarget(module, target);
    if (!desc)
      return signalPassFailure();
    // At f32 the matrix unit runs no attention (sinan-place refuses it).
    if (precision != "bf16")
      return;
    if (failed(readOverrides(module)))
      return signalPassFailure();
    SmallVector<graph::MatMulOp> outputs;
    module.walk([&](graph::MatMulOp op) { outputs.push_back(op); });
    for (graph::MatMulOp output : outputs)
      if (std::optional<Match> m = matchAt(output); m && !forced(*m))
        fuse(*m, *desc);
  }

  /// The keys of the overrides file (sinan-place reports its errors).
  LogicalResult readOverrides(ModuleOp module) {
    if (overrides.empty())
      return success();
    auto buffer = llvm::MemoryBuffer::getFile(overrides, /*IsText=*/true);
    if (!buffer)
      return module.emitError() << "--placement-overrides " << overrides << ": "
                                << buffer.getError().message();
    llvm::Expected<llvm::json::Value> json =
        llvm::json::parse((*buffer)->getBuffer());
    if (!json) {
      llvm::consumeError(json.takeError());
      return success();
    }
    if (const llvm::json::Object *object = json->getAsObject())
      for (const auto &entry : *object)
        forcedKeys.insert(entry.first.str());
    return success();
  }

  /// Whether the overrides name an op of the chain: it keeps its pieces,
  /// which the file places.
  bool forced(const Match &m) const {
    SmallVector<Operation *> ops(m.ops);
    ops.push_back(m.output);
    return llvm::any_of(ops, [&](Operation *op) {
      return forcedKeys.contains(placement::nodeName(op)) ||
             forcedKeys.contains(("op:" + op->getName().stripDialect()).str());
    });
  }

  llvm::StringSet<> forcedKeys;

  void fuse(Match m, const TargetDesc &desc) {
    OpBuilder builder(m.output);
    Location loc = m.output.getLoc();
    auto kT = cast<RankedTensorType>(m.keysT.getType());
    int64_t rank = kT.getRank();
    SmallVector<int64_t> swap = llvm::to_vector(llvm::seq<int64_t>(0, rank));
    std::swap(swap[rank - 1], swap[rank - 2]);
    auto query = cast<RankedTensorType>(m.query.getType());
    auto value = cast<RankedTensorType>(m.value.getType());
    SmallVector<int64_t> keyShape(kT.getShape());
    std::swap(keyShape[rank - 1], keyShape[rank - 2]);
    // K from K^T: a transpose that folds into the one that made K^T.
    Value keys = builder.createOrFold<graph::TransposeOp>(
        m.keysT.getLoc(), kT.clone(keyShape), m.keysT,
        builder.getDenseI64ArrayAttr(swap));
    auto keyType = cast<RankedTensorType>(keys.getType());
    Value q = reshaped(builder, loc, m.query, as4D(query));
    Value k = reshaped(builder, loc, keys, as4D(keyType));
    Value v = reshaped(builder, loc, m.value, as4D(value));
    Value mask;
    if (m.mask) {
      auto maskType = cast<RankedTensorType>(m.mask.getType());
      SmallVector<int64_t> shape(maskType.getShape());
      while (shape.size() < 4)
        shape.insert(shape.begin(), 1);
      mask = reshaped(builder, loc, m.mask, shape);
    }
    auto outType = cast<RankedTensorType>(m.output.getType());
    auto attention = graph::AttentionOp::create(
        builder, loc, outType.clone(as4D(outType)), q, k, v, mask,
        builder.getF32FloatAttr(m.scale), builder.getBoolAttr(false),
        builder.getI64IntegerAttr(0), builder.getF32FloatAttr(0));
    if (!snpuAttentionRefusal(attention, desc).empty()) {
      // The SNPU cannot run it whole: the pieces stay.
      attention->erase();
      for (Value made : {mask, v, k, q, keys})
        if (Operation *op = made ? made.getDefiningOp() : nullptr;
            op && op->use_empty() &&
            llvm::isa<graph::ReshapeOp, graph::TransposeOp>(op))
          op->erase();
      return;
    }
    Value result = reshaped(builder, loc, attention, outType.getShape());
    m.output.replaceAllUsesWith(result);
    m.output->erase();
    for (Operation *op : m.ops)
      op->erase();
    // K^T's transpose when the new one folded through it.
    if (Operation *op = m.keysT.getDefiningOp();
        op && op->use_empty() && llvm::isa<graph::TransposeOp>(op))
      op->erase();
  }
};

} // namespace
