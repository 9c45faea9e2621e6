//===- GraphOps.cpp - Graph dialect operations ----------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Dialect/Graph/IR/GraphOps.h"
#include "sinan/Dialect/Graph/IR/ShapeInference.h"
#include "sinan/runtime/shape/ShapeRules.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"

#include <cstring>

using namespace mlir;
using namespace sinan::graph;
namespace shape = sinan::shape;

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

namespace {
/// When inference fails (operands that cannot work together) the op still
/// gets a well-formed placeholder result, a rank-0 tensor, so builders and
/// typed accessors never crash; verify() then reports what is wrong. Callers
/// that build from untrusted input (the importer) verify each new op.
Type unknownType(Type elementType) {
  return RankedTensorType::get({}, elementType);
}

/// Pushes a ranked tensor of `shape` or, when inference failed, the unknown
/// type. Inference never reports: verify() does, with the op's name.
LogicalResult pushInferred(FailureOr<SmallVector<int64_t>> shape,
                           Type elementType, SmallVectorImpl<Type> &inferred) {
  inferred.push_back(succeeded(shape)
                         ? Type(RankedTensorType::get(*shape, elementType))
                         : unknownType(elementType));
  return success();
}

/// The InferTypeOpInterface verifier would report a shape mismatch twice
/// (the mismatch, then "failed to infer returned types"); verify() reports it
/// once, with both shapes, so the interface check accepts any declared type.
/// Used by every Graph_ShapedOp (see GraphOps.td).
bool areCompatibleResultTypes(TypeRange inferred, TypeRange declared) {
  return inferred.size() == declared.size();
}

ArrayRef<int64_t> shapeOf(Value value) {
  return cast<ShapedType>(value.getType()).getShape();
}

Type elementTypeOf(Value value) { return getElementTypeOrSelf(value); }

/// Checks the declared result shape against the inferred one. A declared
/// shape may be more static than the inferred one (a `?` resolved by the
/// importer) but must agree wherever both are known.
LogicalResult verifyResultShape(Operation *op,
                                FailureOr<SmallVector<int64_t>> inferred) {
  if (failed(inferred))
    return failure();
  auto declared = cast<ShapedType>(op->getResult(0).getType());
  if (succeeded(verifyCompatibleShape(declared.getShape(), *inferred)))
    return success();
  InFlightDiagnostic diag = op->emitOpError("result type ");
  diag << declared << " does not match the inferred shape [";
  llvm::interleaveComma(*inferred, diag, [&](int64_t dim) {
    if (ShapedType::isDynamic(dim))
      diag << "?";
    else
      diag << dim;
  });
  return diag << "]";
}

/// A shared shape rule's verdict on `op`: its refusal `why` as the op's
/// error (the runtime's host-op check reports the same words).
LogicalResult verdict(Operation *op, bool ok, const std::string &why) {
  if (ok)
    return success();
  return op->emitOpError() << why;
}

/// Shared verifier of the broadcasting binary ops.
LogicalResult verifyBroadcastOp(Operation *op) {
  FailureOr<SmallVector<int64_t>> shape = inferBroadcastShape(
      shapeOf(op->getOperand(0)), shapeOf(op->getOperand(1)),
      [&] { return op->emitOpError(); });
  return verifyResultShape(op, shape);
}

/// Applies `fn` elementwise when both operands are constants of the result
/// type (no broadcasting is folded).
template <typename FloatFn, typename IntFn>
Attribute foldBinary(Attribute lhs, Attribute rhs, Type resultType,
                     FloatFn floatFn, IntFn intFn) {
  auto lhsAttr = dyn_cast_if_present<DenseElementsAttr>(lhs);
  auto rhsAttr = dyn_cast_if_present<DenseElementsAttr>(rhs);
  if (!lhsAttr || !rhsAttr || lhsAttr.getType() != resultType ||
      rhsAttr.getType() != resultType)
    return {};
  auto type = cast<ShapedType>(resultType);
  if (isa<FloatType>(type.getElementType())) {
    SmallVector<APFloat> values;
    for (auto [a, b] :
         llvm::zip(lhsAttr.getValues<APFloat>(), rhsAttr.getValues<APFloat>()))
      values.push_back(floatFn(a, b));
    return DenseElementsAttr::get(type, values);
  }
  SmallVector<APInt> values;
  for (auto [a, b] :
       llvm::zip(lhsAttr.getValues<APInt>(), rhsAttr.getValues<APInt>()))
    values.push_back(intFn(a, b));
  return DenseElementsAttr::get(type, values);
}

/// True when `attr` is a splat whose every element equals the float `f` (for
/// float element types, compared bitwise so -0.0 and +0.0 differ) or the
/// integer `i`.
bool isSplatOf(Attribute attr, double f, int64_t i) {
  auto splat = dyn_cast_if_present<SplatElementsAttr>(attr);
  if (!splat)
    return false;
  Type elementType = splat.getElementType();
  if (auto floatType = dyn_cast<FloatType>(elementType)) {
    APFloat expected(f);
    bool lostInfo;
    expected.convert(floatType.getFloatSemantics(),
                     APFloat::rmNearestTiesToEven, &lostInfo);
    return splat.getSplatValue<APFloat>().bitwiseIsEqual(expected);
  }
  return splat.getSplatValue<APInt>().getSExtValue() == i;
}
} // namespace

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// AddOp / MulOp
//===----------------------------------------------------------------------===//

// inferReturnTypes, verify and isCompatibleReturnTypes of the broadcasting
// ops are generated from Graph_BinaryElementwiseOp in GraphOps.td.

static LogicalResult inferBroadcastResult(ValueRange operands,
                                          SmallVectorImpl<Type> &inferred) {
  return pushInferred(
      inferBroadcastShape(shapeOf(operands[0]), shapeOf(operands[1])),
      elementTypeOf(operands[0]), inferred);
}

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  // x + (-0.0) is x for every float x (+0.0 is not: -0.0 + +0.0 is +0.0).
  if (getLhs().getType() == getType() && isSplatOf(adaptor.getRhs(), -0.0, 0))
    return getLhs();
  if (getRhs().getType() == getType() && isSplatOf(adaptor.getLhs(), -0.0, 0))
    return getRhs();
  return foldBinary(
      adaptor.getLhs(), adaptor.getRhs(), getType(),
      [](APFloat a, const APFloat &b) {
        a.add(b, APFloat::rmNearestTiesToEven);
        return a;
      },
      [](const APInt &a, const APInt &b) { return a + b; });
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  if (getLhs().getType() == getType() && isSplatOf(adaptor.getRhs(), 1.0, 1))
    return getLhs();
  if (getRhs().getType() == getType() && isSplatOf(adaptor.getLhs(), 1.0, 1))
    return getRhs();
  // x * 0 is 0 for integers only (a float x may be NaN, infinite or
  // negative); a dynamic result shape has no constant to fold to.
  if (!isa<FloatType>(getType().getElementType()) &&
      getType().hasStaticShape()) {
    for (Attribute operand : adaptor.getOperands())
      if (isSplatOf(operand, 0.0, 0))
        return DenseElementsAttr::get(
            getType(),
            cast<SplatElementsAttr>(operand).getSplatValue<Attribute>());
  }
  return foldBinary(
      adaptor.getLhs(), adaptor.getRhs(), getType(),
      [](APFloat a, const APFloat &b) {
        a.multiply(b, APFloat::rmNearestTiesToEven);
        return a;
      },
      [](const APInt &a, const APInt &b) { return a * b; });
}

//===----------------------------------------------------------------------===//
// Comparisons and select
//===----------------------------------------------------------------------===//

static LogicalResult inferCompareResult(MLIRContext *context,
                                        ValueRange operands,
                                        SmallVectorImpl<Type> &inferred) {
  return pushInferred(
      inferBroadcastShape(shapeOf(operands[0]), shapeOf(operands[1])),
      IntegerType::get(context, 1), inferred);
}

/// Broadcast shape of all three operands of select.
static FailureOr<SmallVector<int64_t>> selectShape(ValueRange operands,
                                                   EmitErrorFn emitError) {
  FailureOr<SmallVector<int64_t>> shape = inferBroadcastShape(
      shapeOf(operands[0]), shapeOf(operands[1]), emitError);
  if (failed(shape))
    return failure();
  return inferBroadcastShape(*shape, shapeOf(operands[2]), emitError);
}

LogicalResult SelectOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  return pushInferred(selectShape(adaptor.getOperands(), nullptr),
                      elementTypeOf(adaptor.getOnTrue()), inferred);
}

LogicalResult CastOp::verify() {
  StringRef mode = getRoundMode();
  if (mode != "up" && mode != "down" && mode != "nearest")
    return emitOpError("round_mode must be \"up\", \"down\" or "
                       "\"nearest\", got \"")
           << mode << "\"";
  return success();
}

LogicalResult TopKOp::verify() {
  auto input = cast<RankedTensorType>(getInput().getType());
  std::string why;
  std::optional<shape::Shape> expected =
      shape::topK(input.getShape(), getAxis(), getK(), why);
  if (!expected)
    return verdict(*this, false, why);
  for (Value result : getResults()) {
    auto type = cast<RankedTensorType>(result.getType());
    if (failed(verifyCompatibleShape(type.getShape(), *expected)))
      return emitOpError("results must have shape ")
             << RankedTensorType::get(*expected, input.getElementType())
             << " (the input with the axis set to k), got " << type;
  }
  return success();
}

LogicalResult SelectOp::verify() {
  return verifyResultShape(
      *this, selectShape(getOperands(), [&] { return emitOpError(); }));
}

//===----------------------------------------------------------------------===//
// Layout, reductions and pooling
//===----------------------------------------------------------------------===//

template <typename AdaptorT>
static FailureOr<SmallVector<int64_t>> reduceShape(AdaptorT adaptor,
                                                   EmitErrorFn emitError) {
  return inferReduceShape(shapeOf(adaptor.getInput()), adaptor.getAxes(),
                          adaptor.getKeepdims(), emitError);
}

template <typename AdaptorT>
static FailureOr<SmallVector<int64_t>> poolShape(AdaptorT adaptor,
                                                 EmitErrorFn emitError) {
  Pool2dParams params{adaptor.getKernel(), adaptor.getStrides(),
                      adaptor.getPads(), adaptor.getDilations(),
                      adaptor.getCeilMode()};
  return inferPool2dShape(shapeOf(adaptor.getInput()), params, emitError);
}

LogicalResult ReshapeOp::verify() {
  auto in = cast<ShapedType>(getInput().getType());
  auto out = cast<ShapedType>(getType());
  std::string why;
  return verdict(*this, shape::reshape(in.getShape(), out.getShape(), why),
                 why);
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  // reshape(reshape(x)) is one reshape.
  if (auto inner = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(inner.getInput());
    return getResult();
  }
  if (auto dense = dyn_cast_if_present<DenseElementsAttr>(adaptor.getInput()))
    if (getType().hasStaticShape())
      return dense.reshape(getType());
  return {};
}

static FailureOr<SmallVector<int64_t>>
transposeShape(Value input, ArrayRef<int64_t> permutation,
               EmitErrorFn emitError) {
  return inferTransposeShape(shapeOf(input), permutation, emitError);
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location>,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  return pushInferred(
      transposeShape(adaptor.getInput(), adaptor.getPermutation(), nullptr),
      elementTypeOf(adaptor.getInput()), inferred);
}

LogicalResult TransposeOp::verify() {
  return verifyResultShape(*this,
                           transposeShape(getInput(), getPermutation(),
                                          [&] { return emitOpError(); }));
}

/// `dense` with its dimensions permuted (result dimension i is input
/// dimension perm[i]), byte by byte; null for bit-packed element types.
static DenseElementsAttr transposeConstant(DenseElementsAttr dense,
                                           ArrayRef<int64_t> perm,
                                           ShapedType type) {
  Type element = dense.getElementType();
  unsigned bits =
      llvm::isa<ComplexType>(element) ? 0 : element.getIntOrFloatBitWidth();
  if (bits == 0 || bits % 8)
    return {};
  size_t bytes = bits / 8;
  ArrayRef<int64_t> inShape = dense.getType().getShape();
  int64_t rank = inShape.size();
  SmallVector<int64_t> inStrides(rank, 1);
  for (int64_t d = rank - 1; d > 0; --d)
    inStrides[d - 1] = inStrides[d] * inShape[d];
  ArrayRef<char> in = dense.getRawData();
  std::vector<char> out(in.size());
  SmallVector<int64_t> index(rank, 0); // Over the result's dimensions.
  for (int64_t at = 0, count = type.getNumElements(); at < count; ++at) {
    int64_t from = 0;
    for (int64_t d = 0; d < rank; ++d)
      from += index[d] * inStrides[perm[d]];
    std::memcpy(out.data() + at * bytes, in.data() + from * bytes, bytes);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < type.getDimSize(d))
        break;
      index[d] = 0;
    }
  }
  return DenseElementsAttr::getFromRawBuffer(
      RankedTensorType::get(type.getShape(), element), out);
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  ArrayRef<int64_t> perm = getPermutation();
  if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())) &&
      getInput().getType() == getType())
    return getInput();
  // transpose(transpose(x, inner), outer) is transpose(x, inner[outer[i]]).
  if (auto inner = getInput().getDefiningOp<TransposeOp>()) {
    ArrayRef<int64_t> first = inner.getPermutation();
    SmallVector<int64_t> composed;
    for (int64_t p : perm)
      composed.push_back(first[p]);
    getInputMutable().assign(inner.getInput());
    setPermutation(composed);
    return getResult();
  }
  auto dense = dyn_cast_if_present<DenseElementsAttr>(adaptor.getInput());
  if (!dense || !getType().hasStaticShape())
    return {};
  if (dense.isSplat())
    return dense.resizeSplat(getType());
  return transposeConstant(dense, perm, getType());
}

namespace {
/// A transpose that moves only unit dimensions keeps the elements' order:
/// a reshape.
struct TransposeOfUnitDims : public OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto type = dyn_cast<RankedTensorType>(op.getInput().getType());
    auto result = dyn_cast<RankedTensorType>(op.getType());
    if (!type || !result || !type.hasStaticShape() || !result.hasStaticShape())
      return failure();
    SmallVector<int64_t> order;
    for (int64_t p : op.getPermutation())
      if (type.getDimSize(p) != 1)
        order.push_back(p);
    if (!llvm::is_sorted(order))
      return failure();
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, result, op.getInput());
    return success();
  }
};
} // namespace

void TransposeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<TransposeOfUnitDims>(context);
}

static FailureOr<SmallVector<int64_t>>
concatShape(ValueRange inputs, int64_t axis, EmitErrorFn emitError) {
  SmallVector<ArrayRef<int64_t>> shapes;
  for (Value v : inputs)
    shapes.push_back(shapeOf(v));
  return inferConcatShape(shapes, axis, emitError);
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  if (adaptor.getInputs().empty())
    return failure();
  return pushInferred(concatShape(adaptor.getInputs(),
                                  static_cast<int64_t>(adaptor.getAxis()),
                                  nullptr),
                      elementTypeOf(adaptor.getInputs()[0]), inferred);
}

LogicalResult ConcatOp::verify() {
  return verifyResultShape(*this, concatShape(getInputs(),
                                              static_cast<int64_t>(getAxis()),
                                              [&] { return emitOpError(); }));
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  return pushInferred(inferGatherShape(shapeOf(adaptor.getData()),
                                       shapeOf(adaptor.getIndices()),
                                       static_cast<int64_t>(adaptor.getAxis())),
                      elementTypeOf(adaptor.getData()), inferred);
}

LogicalResult GatherOp::verify() {
  return verifyResultShape(
      *this, inferGatherShape(shapeOf(getData()), shapeOf(getIndices()),
                              static_cast<int64_t>(getAxis()),
                              [&] { return emitOpError(); }));
}

template <typename OpT> static LogicalResult verifySoftmaxAxis(OpT op) {
  std::string why;
  return verdict(op,
                 shape::axisInRange(static_cast<int64_t>(op.getAxis()),
                                    cast<ShapedType>(op.getType()).getRank(),
                                    why),
                 why);
}

LogicalResult SoftmaxOp::verify() { return verifySoftmaxAxis(*this); }

LogicalResult SliceOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  return pushInferred(inferSliceShape(shapeOf(adaptor.getInput()),
                                      adaptor.getStarts(), adaptor.getLimits(),
                                      adaptor.getSteps()),
                      elementTypeOf(adaptor.getInput()), inferred);
}

LogicalResult SliceOp::verify() {
  return verifyResultShape(
      *this, inferSliceShape(shapeOf(getInput()), getStarts(), getLimits(),
                             getSteps(), [&] { return emitOpError(); }));
}

LogicalResult PadOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &inferred) {
  return pushInferred(inferPadShape(shapeOf(adaptor.getInput()),
                                    adaptor.getLow(), adaptor.getHigh()),
                      elementTypeOf(adaptor.getInput()), inferred);
}

LogicalResult PadOp::verify() {
  std::string why;
  if (!shape::padMode(getMode().str(), why))
    return verdict(*this, false, why);
  return verifyResultShape(*this, inferPadShape(shapeOf(getInput()), getLow(),
                                                getHigh(),
                                                [&] { return emitOpError(); }));
}

LogicalResult TileOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &inferred) {
  return pushInferred(
      inferTileShape(shapeOf(adaptor.getInput()), adaptor.getRepeats()),
      elementTypeOf(adaptor.getInput()), inferred);
}

LogicalResult TileOp::verify() {
  return verifyResultShape(*this,
                           inferTileShape(shapeOf(getInput()), getRepeats(),
                                          [&] { return emitOpError(); }));
}

LogicalResult BroadcastOp::verify() {
  FailureOr<SmallVector<int64_t>> shape = inferBroadcastShape(
      shapeOf(getInput()), shapeOf(getOutput()), [&] { return emitOpError(); });
  return verifyResultShape(*this, shape);
}

template <typename AdaptorT>
static FailureOr<SmallVector<int64_t>> argShape(AdaptorT adaptor,
                                                EmitErrorFn emitError) {
  SmallVector<int64_t> axes{static_cast<int64_t>(adaptor.getAxis())};
  return inferReduceShape(shapeOf(adaptor.getInput()), axes,
                          adaptor.getKeepdims(), emitError);
}

LogicalResult ArgMaxOp::inferReturnTypes(MLIRContext *context,
                                         std::optional<Location>,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  return pushInferred(argShape(adaptor, nullptr), IntegerType::get(context, 64),
                      inferred);
}

LogicalResult ArgMaxOp::verify() {
  return verifyResultShape(
      *this, argShape(Adaptor(*this), [&] { return emitOpError(); }));
}

LogicalResult ArgMinOp::inferReturnTypes(MLIRContext *context,
                                         std::optional<Location>,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  return pushInferred(argShape(adaptor, nullptr), IntegerType::get(context, 64),
                      inferred);
}

LogicalResult ArgMinOp::verify() {
  return verifyResultShape(
      *this, argShape(Adaptor(*this), [&] { return emitOpError(); }));
}

template <typename OpT> static LogicalResult verifyAxisAttr(OpT op) {
  std::string why;
  int64_t rank = cast<ShapedType>(op->getOperand(0).getType()).getRank();
  return verdict(
      op, shape::axisInRange(static_cast<int64_t>(op.getAxis()), rank, why),
      why);
}

LogicalResult GatherElementsOp::verify() {
  std::string why;
  std::optional<shape::Shape> expected =
      shape::gatherElements(shapeOf(getData()), shapeOf(getIndices()),
                            static_cast<int64_t>(getAxis()), why);
  if (!expected)
    return verdict(*this, false, why);
  return verifyResultShape(
      *this, SmallVector<int64_t>(expected->begin(), expected->end()));
}

static LogicalResult verifyReduction(Operation *op, StringRef reduction) {
  std::string why;
  return verdict(op, shape::scatterReduction(reduction.str(), why), why);
}

LogicalResult GatherNdOp::verify() {
  return verifyResultShape(
      *this, inferGatherNdShape(shapeOf(getData()), shapeOf(getIndices()),
                                getBatchDims(), [&] { return emitOpError(); }));
}

LogicalResult ScatterNdOp::verify() {
  std::string why;
  if (!shape::scatterNd(shapeOf(getData()), shapeOf(getIndices()),
                        shapeOf(getUpdates()), why))
    return verdict(*this, false, why);
  return verifyReduction(*this, getReduction());
}

LogicalResult ScatterElementsOp::verify() {
  std::string why;
  if (!shape::scatterElements(shapeOf(getData()), shapeOf(getIndices()),
                              shapeOf(getUpdates()),
                              static_cast<int64_t>(getAxis()), why))
    return verdict(*this, false, why);
  return verifyReduction(*this, getReduction());
}

LogicalResult CumSumOp::verify() { return verifyAxisAttr(*this); }
LogicalResult HardmaxOp::verify() { return verifyAxisAttr(*this); }

static ConvTranspose2dParams
convTransposeParams(ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                    ArrayRef<int64_t> dilations,
                    ArrayRef<int64_t> outputPadding, uint64_t group) {
  return {strides, pads, dilations, outputPadding, static_cast<int64_t>(group)};
}

LogicalResult
ConvTranspose2dOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                    Adaptor adaptor,
                                    SmallVectorImpl<Type> &inferred) {
  return pushInferred(
      inferConvTranspose2dShape(
          shapeOf(adaptor.getInput()), shapeOf(adaptor.getWeight()),
          adaptor.getBias()
              ? std::optional<ArrayRef<int64_t>>(shapeOf(adaptor.getBias()))
              : std::nullopt,
          convTransposeParams(adaptor.getStrides(), adaptor.getPads(),
                              adaptor.getDilations(),
                              adaptor.getOutputPadding(), adaptor.getGroup())),
      elementTypeOf(adaptor.getInput()), inferred);
}

LogicalResult ConvTranspose2dOp::verify() {
  return verifyResultShape(
      *this,
      inferConvTranspose2dShape(
          shapeOf(getInput()), shapeOf(getWeight()),
          getBias() ? std::optional<ArrayRef<int64_t>>(shapeOf(getBias()))
                    : std::nullopt,
          convTransposeParams(getStrides(), getPads(), getDilations(),
                              getOutputPadding(), getGroup()),
          [&] { return emitOpError(); }));
}

LogicalResult ResizeOp::verify() {
  std::string why;
  if (!shape::resize(shapeOf(getInput()), getScales().size(),
                     cast<ShapedType>(getType()).getShape(), why))
    return verdict(*this, false, why);
  StringRef mode = getMode(), coord = getCoordinateMode();
  if (mode != "nearest" && mode != "linear" && mode != "cubic")
    return emitOpError("unknown mode '") << mode << "'";
  if (coord != "half_pixel" && coord != "half_pixel_symmetric" &&
      coord != "pytorch_half_pixel" && coord != "align_corners" &&
      coord != "asymmetric")
    return emitOpError("unknown coordinate mode '") << coord << "'";
  StringRef nearest = getNearestMode();
  if (nearest != "round_prefer_floor" && nearest != "round_prefer_ceil" &&
      nearest != "floor" && nearest != "ceil")
    return emitOpError("unknown nearest mode '") << nearest << "'";
  return success();
}

LogicalResult TriluOp::verify() {
  std::string why;
  return verdict(*this,
                 shape::rankAtLeast(cast<ShapedType>(getType()).getShape(), 2,
                                    "a matrix", why),
                 why);
}

LogicalResult LrnOp::verify() {
  if (static_cast<int64_t>(getSize()) < 1)
    return emitOpError("size must be >= 1");
  std::string why;
  return verdict(*this,
                 shape::rankAtLeast(cast<ShapedType>(getType()).getShape(), 2,
                                    "a channel dimension", why),
                 why);
}
LogicalResult LogSoftmaxOp::verify() { return verifySoftmaxAxis(*this); }

LogicalResult RmsNormOp::verify() {
  std::string why;
  std::optional<shape::Shape> expected =
      shape::layerNorm(shapeOf(getInput()), shapeOf(getScale()), std::nullopt,
                       static_cast<int64_t>(getAxis()), why);
  if (!expected)
    return verdict(*this, false, why);
  return verifyResultShape(
      *this, SmallVector<int64_t>(expected->begin(), expected->end()));
}

LogicalResult GroupNormOp::verify() {
  std::string why;
  std::optional<shape::Shape> expected = shape::groupNorm(
      shapeOf(getInput()), shapeOf(getScale()), shapeOf(getBias()),
      static_cast<int64_t>(getNumGroups()), why);
  if (!expected)
    return verdict(*this, false, why);
  return verifyResultShape(
      *this, SmallVector<int64_t>(expected->begin(), expected->end()));
}

LogicalResult AttentionOp::verify() {
  std::string why;
  std::optional<shape::Dims> mask;
  if (getMask())
    mask = shapeOf(getMask());
  std::optional<shape::Shape> expected = shape::attention(
      shapeOf(getQuery()), shapeOf(getKey()), shapeOf(getValue()), mask, why);
  if (!expected)
    return verdict(*this, false, why);
  Type element = elementTypeOf(getQuery());
  if (getMask() && elementTypeOf(getMask()) != element &&
      !elementTypeOf(getMask()).isInteger(1))
    return emitOpError("the mask must be boolean or of the query's element "
                       "type");
  return verifyResultShape(
      *this, SmallVector<int64_t>(expected->begin(), expected->end()));
}

LogicalResult GeluOp::verify() {
  std::string why;
  return verdict(*this, shape::geluApproximation(getApproximate().str(), why),
                 why);
}

LogicalResult LayerNormOp::verify() {
  std::string why;
  std::optional<shape::Dims> bias;
  if (getBias())
    bias = shapeOf(getBias());
  std::optional<shape::Shape> expected =
      shape::layerNorm(shapeOf(getInput()), shapeOf(getScale()), bias,
                       static_cast<int64_t>(getAxis()), why);
  if (!expected)
    return verdict(*this, false, why);
  return verifyResultShape(
      *this, SmallVector<int64_t>(expected->begin(), expected->end()));
}

//===----------------------------------------------------------------------===//
// ReluOp
//===----------------------------------------------------------------------===//

OpFoldResult ReluOp::fold(FoldAdaptor adaptor) {
  // relu is idempotent.
  if (getInput().getDefiningOp<ReluOp>())
    return getInput();
  auto input = dyn_cast_if_present<DenseElementsAttr>(adaptor.getInput());
  if (!input)
    return {};
  if (isa<FloatType>(getType().getElementType())) {
    return input.mapValues(getType().getElementType(), [](const APFloat &x) {
      APFloat result =
          x.isNegative() && !x.isNaN() ? APFloat::getZero(x.getSemantics()) : x;
      return result.bitcastToAPInt();
    });
  }
  return input.mapValues(getType().getElementType(), [](const APInt &x) {
    return x.isNegative() ? APInt::getZero(x.getBitWidth()) : x;
  });
}

//===----------------------------------------------------------------------===//
// MatMulOp
//===----------------------------------------------------------------------===//

LogicalResult MatMulOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  return pushInferred(
      inferMatMulShape(shapeOf(adaptor.getLhs()), shapeOf(adaptor.getRhs())),
      elementTypeOf(adaptor.getLhs()), inferred);
}

LogicalResult MatMulOp::verify() {
  FailureOr<SmallVector<int64_t>> shape = inferMatMulShape(
      shapeOf(getLhs()), shapeOf(getRhs()), [&] { return emitOpError(); });
  return verifyResultShape(*this, shape);
}

//===----------------------------------------------------------------------===//
// Conv2dOp
//===----------------------------------------------------------------------===//

static std::optional<ArrayRef<int64_t>> optionalShape(Value value) {
  if (!value)
    return std::nullopt;
  return shapeOf(value);
}

LogicalResult Conv2dOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  Conv2dParams params{adaptor.getStrides(), adaptor.getPads(),
                      adaptor.getDilations(),
                      static_cast<int64_t>(adaptor.getGroup())};
  return pushInferred(inferConv2dShape(shapeOf(adaptor.getInput()),
                                       shapeOf(adaptor.getWeight()),
                                       optionalShape(adaptor.getBias()),
                                       params),
                      elementTypeOf(adaptor.getInput()), inferred);
}

LogicalResult Conv2dOp::verify() {
  Conv2dParams params{getStrides(), getPads(), getDilations(),
                      static_cast<int64_t>(getGroup())};
  FailureOr<SmallVector<int64_t>> shape = inferConv2dShape(
      shapeOf(getInput()), shapeOf(getWeight()), optionalShape(getBias()),
      params, [&] { return emitOpError(); });
  return verifyResultShape(*this, shape);
}

#define GET_OP_CLASSES
#include "sinan/Dialect/Graph/IR/GraphOps.cpp.inc"
