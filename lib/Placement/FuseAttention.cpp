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
    if (std::optional<float> c = scalarConstant(mul.getRhs()))
      return std::make_pair(mul.getLhs(), *c);
    if (std::optional<float> c = scalarConstant(mul.getLhs()))
      return std::make_pair(mul.getRhs(), *c);
  }
  if (auto div = dyn_cast_or_null<graph::DivOp>(op))
    if (std::optional<float> c = scalarConstant(div.getRhs()); c && *c != 0)
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

/// A projection as exported: matmul(X, W) with W a constant [K, N], and a
/// bias row constant [N] added (each the only user of the one before).
struct Projection {
  graph::MatMulOp matmul;
  graph::AddOp bias; ///< Or null.
  DenseElementsAttr weights, row;
  Value result() { return bias ? bias.getResult() : matmul.getResult(); }
};

DenseElementsAttr constantOf(Value value) {
  auto constant = value.getDefiningOp<graph::ConstantOp>();
  auto dense =
      constant ? dyn_cast<DenseElementsAttr>(constant.getValue()) : nullptr;
  return dense && dense.getElementType().isF32() ? dense : nullptr;
}

std::optional<Projection> projectionOf(Value value) {
  Projection p;
  Operation *def = value.getDefiningOp();
  if ((p.bias = dyn_cast_or_null<graph::AddOp>(def))) {
    for (auto [product, row] : {std::pair{p.bias.getLhs(), p.bias.getRhs()},
                                std::pair{p.bias.getRhs(), p.bias.getLhs()}})
      if (auto matmul = product.getDefiningOp<graph::MatMulOp>();
          matmul && matmul->hasOneUse()) {
        p.matmul = matmul;
        p.row = constantOf(row);
        break;
      }
    if (!p.matmul || !p.row || p.row.getType().getRank() != 1)
      return std::nullopt;
  } else if (!(p.matmul = dyn_cast_or_null<graph::MatMulOp>(def))) {
    return std::nullopt;
  }
  p.weights = constantOf(p.matmul.getRhs());
  if (!p.weights || p.weights.getType().getRank() != 2 ||
      (p.row && p.row.getNumElements() != p.weights.getType().getDimSize(1)))
    return std::nullopt;
  return p;
}

/// The value an attention operand is a view of (through single-use
/// reshapes and transposes).
Value viewSource(Value value) {
  for (Operation *def = value.getDefiningOp();
       def && llvm::isa<graph::ReshapeOp, graph::TransposeOp>(def) &&
       def->hasOneUse();
       def = value.getDefiningOp())
    value = def->getOperand(0);
  return value;
}

/// Q, K and V projected from one X by three products with a bias row
/// each (BERT's and GPT's query, key and value layers) become one product
/// with the weights and rows side by side, and slices of it: one matrix-unit
/// kernel instead of three (the attention reads the slices as views). Each
/// column is computed as before (a column's sum does not depend on the
/// others), so nothing changes but the kernels.
void fuseProjections(graph::AttentionOp attention) {
  SmallVector<Projection, 3> parts;
  for (Value operand :
       {attention.getQuery(), attention.getKey(), attention.getValue()}) {
    Value source = viewSource(operand);
    std::optional<Projection> p = projectionOf(source);
    if (!p || !source.hasOneUse())
      return;
    parts.push_back(*p);
  }
  Value x = parts[0].matmul.getLhs();
  int64_t k = parts[0].weights.getType().getDimSize(0);
  for (Projection &p : parts)
    if (p.matmul.getLhs() != x || bool(p.bias) != bool(parts[0].bias) ||
        p.weights.getType().getDimSize(0) != k ||
        p.matmul.getType().getRank() != parts[0].matmul.getType().getRank())
      return;
  if (parts[0].matmul == parts[1].matmul ||
      parts[1].matmul == parts[2].matmul || parts[0].matmul == parts[2].matmul)
    return;
  // The weights [K, N0 + N1 + N2] and the row [N0 + N1 + N2].
  SmallVector<int64_t, 3> widths;
  int64_t total = 0;
  for (Projection &p : parts) {
    widths.push_back(p.weights.getType().getDimSize(1));
    total += widths.back();
  }
  SmallVector<float> weights(k * total), row;
  int64_t column = 0;
  for (auto [p, n] : llvm::zip(parts, widths)) {
    auto values = llvm::to_vector(p.weights.getValues<float>());
    for (int64_t r = 0; r < k; ++r)
      std::copy_n(values.begin() + r * n, n,
                  weights.begin() + r * total + column);
    if (p.bias)
      llvm::append_range(row, p.row.getValues<float>());
    column += n;
  }
  // Before the first of the three products (X is defined before each).
  Operation *first = parts[0].matmul;
  for (Projection &p : parts)
    if (p.matmul->isBeforeInBlock(first))
      first = p.matmul;
  OpBuilder builder(first);
  Location loc = parts[0].matmul.getLoc();
  MLIRContext *context = builder.getContext();
  auto f32 = Float32Type::get(context);
  auto weightType = RankedTensorType::get({k, total}, f32);
  Value w = graph::ConstantOp::create(
      builder, loc, DenseElementsAttr::get(weightType, ArrayRef(weights)));
  auto outType = cast<RankedTensorType>(parts[0].matmul.getType());
  SmallVector<int64_t> shape(outType.getShape());
  shape.back() = total;
  auto wideType = outType.clone(shape);
  Value wide = graph::MatMulOp::create(builder, loc, wideType, x, w);
  if (parts[0].bias) {
    auto rowType = RankedTensorType::get({total}, f32);
    Value b = graph::ConstantOp::create(
        builder, loc, DenseElementsAttr::get(rowType, ArrayRef(row)));
    wide = graph::AddOp::create(builder, parts[0].bias.getLoc(), wideType, wide,
                                b);
  }
  column = 0;
  for (auto [p, n] : llvm::zip(parts, widths)) {
    SmallVector<int64_t> starts(shape.size(), 0), limits(shape),
        steps(shape.size(), 1);
    starts.back() = column;
    limits.back() = column + n;
    Value result = p.result();
    Value slice =
        graph::SliceOp::create(builder, result.getLoc(), result.getType(), wide,
                               builder.getDenseI64ArrayAttr(starts),
                               builder.getDenseI64ArrayAttr(limits),
                               builder.getDenseI64ArrayAttr(steps));
    result.replaceAllUsesWith(slice);
    column += n;
  }
  // (After every slice: the builder inserts before the first product.)
  for (Projection &p : parts) {
    SmallVector<Operation *, 2> constants = {p.matmul.getRhs().getDefiningOp()};
    if (p.bias) {
      Value rowValue = p.bias.getLhs() == p.matmul.getResult()
                           ? p.bias.getRhs()
                           : p.bias.getLhs();
      constants.push_back(rowValue.getDefiningOp());
      p.bias->erase();
    }
    p.matmul->erase();
    // Their own constants, unless something else reads them.
    for (Operation *constant : constants)
      if (constant && constant->use_empty())
        constant->erase();
  }
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
    for (graph::AttentionOp attention : fused)
      fuseProjections(attention);
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
  SmallVector<graph::AttentionOp> fused;

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
    fused.push_back(attention);
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
