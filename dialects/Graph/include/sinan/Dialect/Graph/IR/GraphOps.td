//===- GraphOps.td - Graph dialect operations --------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_DIALECT_GRAPH_IR_GRAPHOPS_TD
#define SINAN_DIALECT_GRAPH_IR_GRAPHOPS_TD

include "sinan/Dialect/Graph/IR/GraphBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

/// Every graph op but the constant is pure and carries GraphShapeRule: its
/// verifier runs the op's shape rule in runtime/shape/OpRules.cpp, the one
/// the runtime's host-op check runs (see GraphShapeRule.h). Ops whose type
/// follows from a trait (AllTypesMatch, SameOperandsAndResultType) get type
/// inference from ODS; the others use Graph_ShapedOp.
def Graph_ShapeRule : NativeOpTrait<"GraphShapeRule">;

class Graph_Op<string mnemonic, list<Trait> traits = []>
    : Op<Graph_Dialect, mnemonic, !listconcat([Pure], traits,
                                              [Graph_ShapeRule])>;

/// An op whose result types follow from its operands and attributes: the
/// shape rule infers them (element types from its ODS constraints and
/// traits). The rule's verifier checks the declared result and says why
/// they differ, so the interface's own compatibility check (which would
/// report a mismatch a second time, less clearly) only compares counts.
class Graph_ShapedOp<string mnemonic, list<Trait> traits = []>
    : Graph_Op<mnemonic,
               !listconcat([InferTypeOpAdaptorWithIsCompatible], traits)> {
  let extraClassDefinition = [{
    bool $cppClass::isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                            ::mlir::TypeRange declared) {
      return inferred.size() == declared.size();
    }
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *context, std::optional<::mlir::Location>,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &inferred) {
      return ::sinan::graph::inferByShapeRule(
          context, getOperationName(), adaptor.getOperands(),
          ::sinan::graph::ruleAttributes<$cppClass>(context, adaptor),
          inferred);
    }
  }];
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

def Graph_ConstantOp : Op<Graph_Dialect, "constant",
    [Pure, ConstantLike, AllTypesMatch<["value", "output"]>]> {
  let summary = "A tensor constant";
  let description = [{
    Produces the tensor given by `value`; the result type is the attribute's
    type.

    ```mlir
    %w = graph.constant dense<[1.0, 2.0]> : tensor<2xf32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

class Graph_BinaryElementwiseOp<string mnemonic, list<Trait> traits = []>
    : Graph_ShapedOp<mnemonic,
               !listconcat([SameOperandsAndResultElementType], traits)> {
  let arguments = (ins Graph_NumericTensor:$lhs, Graph_NumericTensor:$rhs);
  let results = (outs Graph_NumericTensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasFolder = 1;
}

def Graph_AddOp : Graph_BinaryElementwiseOp<"add", [Commutative]> {
  let summary = "Elementwise addition with multidirectional broadcasting";
  let description = [{
    `lhs + rhs` with NumPy/ONNX broadcasting: shapes are aligned at the
    trailing dimension and a dimension of size 1 stretches to match.
    Integer addition wraps.

    ```mlir
    %y = graph.add %x, %b : (tensor<1x64x56x56xf32>, tensor<64x1x1xf32>)
                          -> tensor<1x64x56x56xf32>
    ```

    Canonicalization moves a reshape of a matrix product (or of a product
    plus a bias) below the add of a same-shaped residual, reshaping the
    residual instead, so that the add joins the product's epilogue:
    `add(reshape(matmul(a, w) + b), r)` becomes
    `reshape(add(matmul(a, w) + b, reshape(r)))` (PyTorch's
    `nn.MultiheadAttention` writes its out-projection as a 2-D product
    reshaped back to the 3-D residual stream).
  }];
  let hasCanonicalizer = 1;
}

def Graph_MulOp : Graph_BinaryElementwiseOp<"mul", [Commutative]> {
  let summary = "Elementwise multiplication with multidirectional broadcasting";
  let description = [{
    `lhs * rhs` with the same broadcasting rule as `graph.add`. Integer
    multiplication wraps.
  }];
}

def Graph_ReluOp : Graph_Op<"relu", [SameOperandsAndResultType]> {
  let summary = "Rectified linear unit, max(x, 0)";
  let description = [{
    Elementwise `x < 0 ? 0 : x`. NaN inputs give NaN.

    ```mlir
    %y = graph.relu %x : tensor<1x64x56x56xf32>
    ```
  }];
  let arguments = (ins Graph_NumericTensor:$input);
  let results = (outs Graph_NumericTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasFolder = 1;
}

/// Further broadcasting binary ops: same shape rule as add and mul, no
/// folders yet.
class Graph_BroadcastBinaryOp<string mnemonic, string text,
                              list<Trait> traits = []>
    : Graph_BinaryElementwiseOp<mnemonic, traits> {
  let summary = "Elementwise " # text # " with multidirectional broadcasting";
  let description = [{
    Elementwise `}] # text # [{` of `lhs` and `rhs` with the broadcasting rule
    of `graph.add`. Floats compute in f32 and round once to the element type;
    integers wrap (division truncates toward zero, by zero gives 0).
  }];
  let hasFolder = 0;
}

def Graph_SubOp : Graph_BroadcastBinaryOp<"sub", "lhs - rhs">;
def Graph_DivOp : Graph_BroadcastBinaryOp<"div", "lhs / rhs">;
def Graph_PowOp : Graph_BroadcastBinaryOp<"pow", "lhs ^ rhs">;
// Canonicalization makes a bound of each after the other one graph.clip:
// `max(min(x, hi), lo)` and `min(max(x, lo), hi)` with float splat constants
// lo <= hi and a result shaped as x (the importer's HardSigmoid, once
// folding has moved its constants last) equal `clip(x, lo, hi)` bit for bit,
// NaN and signed zeros included, so a convolution's epilogue can take it.
def Graph_MaxOp : Graph_BroadcastBinaryOp<"max", "max(lhs, rhs) (NaN wins)",
                                          [Commutative]> {
  let hasCanonicalizer = 1;
}
def Graph_MinOp : Graph_BroadcastBinaryOp<"min", "min(lhs, rhs) (NaN wins)",
                                          [Commutative]> {
  let hasCanonicalizer = 1;
}

/// Elementwise unary op on float tensors: result type = operand type.
class Graph_FloatUnaryOp<string mnemonic, string text>
    : Graph_Op<mnemonic, [SameOperandsAndResultType]> {
  let summary = "Elementwise " # text;
  let description = [{
    Elementwise `}] # text # [{`, computed in f32 and rounded once to the
    element type.
  }];
  let arguments = (ins Graph_FloatTensor:$input);
  let results = (outs Graph_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Graph_ExpOp : Graph_FloatUnaryOp<"exp", "e^x">;
def Graph_LogOp : Graph_FloatUnaryOp<"log", "natural logarithm">;
def Graph_SqrtOp : Graph_FloatUnaryOp<"sqrt", "square root">;
def Graph_ReciprocalOp : Graph_FloatUnaryOp<"reciprocal", "1 / x">;
def Graph_TanhOp : Graph_FloatUnaryOp<"tanh", "hyperbolic tangent">;
def Graph_SigmoidOp : Graph_FloatUnaryOp<"sigmoid", "1 / (1 + e^-x)">;
def Graph_ErfOp : Graph_FloatUnaryOp<"erf", "error function">;
def Graph_FloorOp : Graph_FloatUnaryOp<"floor", "round toward -inf">;
def Graph_CeilOp : Graph_FloatUnaryOp<"ceil", "round toward +inf">;
def Graph_SinOp : Graph_FloatUnaryOp<"sin", "sine">;
def Graph_CosOp : Graph_FloatUnaryOp<"cos", "cosine">;
def Graph_RoundOp : Graph_FloatUnaryOp<"round", "round to nearest, ties to even">;
def Graph_TanOp : Graph_FloatUnaryOp<"tan", "tangent">;
def Graph_AsinOp : Graph_FloatUnaryOp<"asin", "arcsine">;
def Graph_AcosOp : Graph_FloatUnaryOp<"acos", "arccosine">;
def Graph_AtanOp : Graph_FloatUnaryOp<"atan", "arctangent">;
def Graph_SinhOp : Graph_FloatUnaryOp<"sinh", "hyperbolic sine">;
def Graph_CoshOp : Graph_FloatUnaryOp<"cosh", "hyperbolic cosine">;
def Graph_AsinhOp : Graph_FloatUnaryOp<"asinh", "inverse hyperbolic sine">;
def Graph_AcoshOp : Graph_FloatUnaryOp<"acosh", "inverse hyperbolic cosine">;
def Graph_AtanhOp : Graph_FloatUnaryOp<"atanh", "inverse hyperbolic tangent">;

/// Elementwise unary op on numeric tensors (integers wrap).
class Graph_NumericUnaryOp<string mnemonic, string text>
    : Graph_Op<mnemonic, [SameOperandsAndResultType]> {
  let summary = "Elementwise " # text;
  let description = [{
    Elementwise `}] # text # [{`. Integers wrap (the negation of the most
    negative value is itself).
  }];
  let arguments = (ins Graph_NumericTensor:$input);
  let results = (outs Graph_NumericTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Graph_NegOp : Graph_NumericUnaryOp<"neg", "-x">;
def Graph_AbsOp : Graph_NumericUnaryOp<"abs", "|x|">;

/// Comparison: broadcasting operands of one element type, i1 result.
class Graph_CompareOp<string mnemonic, string text, list<Trait> traits = []>
    : Graph_ShapedOp<mnemonic,
                     !listconcat([AllElementTypesMatch<["lhs", "rhs"]>],
                                 traits)> {
  let summary = "Elementwise comparison " # text;
  let description = [{
    `}] # text # [{` per element, broadcasting as `graph.add`; the result is
    a tensor of i1. Every comparison involving NaN is false.
  }];
  let arguments = (ins Graph_Tensor:$lhs, Graph_Tensor:$rhs);
  let results = (outs Graph_BoolTensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
}

def Graph_EqualOp : Graph_CompareOp<"equal", "lhs == rhs", [Commutative]>;
def Graph_LessOp : Graph_CompareOp<"less", "lhs < rhs">;
def Graph_LessEqualOp : Graph_CompareOp<"less_equal", "lhs <= rhs">;
def Graph_GreaterOp : Graph_CompareOp<"greater", "lhs > rhs">;
def Graph_GreaterEqualOp : Graph_CompareOp<"greater_equal", "lhs >= rhs">;

/// Logical ops on i1 tensors, broadcasting.
class Graph_LogicalOp<string mnemonic, string text>
    : Graph_BinaryElementwiseOp<mnemonic, [Commutative]> {
  let summary = "Elementwise logical " # text;
  let description = [{
    Elementwise logical `}] # text # [{` of two i1 tensors, broadcasting as
    `graph.add`.
  }];
  let arguments = (ins Graph_BoolTensor:$lhs, Graph_BoolTensor:$rhs);
  let results = (outs Graph_BoolTensor:$output);
  let hasFolder = 0;
}

def Graph_AndOp : Graph_LogicalOp<"and", "and">;
def Graph_OrOp : Graph_LogicalOp<"or", "or">;
def Graph_XorOp : Graph_LogicalOp<"xor", "exclusive or">;

/// Bitwise ops and shifts on integer tensors, broadcasting.
def Graph_IntegerTensor : Graph_TensorOf<[I8, I16, I32, I64, UI8, UI16, UI32,
                                          UI64]>;

class Graph_BitwiseOp<string mnemonic, string text, list<Trait> traits = []>
    : Graph_BinaryElementwiseOp<mnemonic, traits> {
  let summary = "Elementwise " # text # " of integers";
  let description = [{
    `}] # text # [{` per element, broadcasting as `graph.add`. Shifts move
    in zeros and give 0 for counts at or beyond the bit width.
  }];
  let arguments = (ins Graph_IntegerTensor:$lhs, Graph_IntegerTensor:$rhs);
  let results = (outs Graph_IntegerTensor:$output);
  let hasFolder = 0;
}

def Graph_BitAndOp : Graph_BitwiseOp<"bit_and", "lhs & rhs", [Commutative]>;
def Graph_BitOrOp : Graph_BitwiseOp<"bit_or", "lhs | rhs", [Commutative]>;
def Graph_BitXorOp : Graph_BitwiseOp<"bit_xor", "lhs ^ rhs", [Commutative]>;
def Graph_ShiftLeftOp : Graph_BitwiseOp<"shift_left", "lhs << rhs">;
def Graph_ShiftRightOp : Graph_BitwiseOp<"shift_right", "lhs >> rhs (logical)">;

def Graph_BitNotOp : Graph_Op<"bit_not", [SameOperandsAndResultType]> {
  let summary = "Elementwise bitwise complement of integers";
  let arguments = (ins Graph_IntegerTensor:$input);
  let results = (outs Graph_IntegerTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Graph_NotOp : Graph_Op<"not", [SameOperandsAndResultType]> {
  let summary = "Elementwise logical not";
  let arguments = (ins Graph_BoolTensor:$input);
  let results = (outs Graph_BoolTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Graph_SelectOp : Graph_ShapedOp<"select",
    [AllElementTypesMatch<["on_true", "on_false", "output"]>]> {
  let summary = "Elementwise choice (ONNX Where)";
  let description = [{
    `condition ? on_true : on_false` per element; all three operands
    broadcast together as in `graph.add`.
  }];
  let arguments = (ins Graph_BoolTensor:$condition, Graph_Tensor:$on_true,
                       Graph_Tensor:$on_false);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = [{
    $condition `,` $on_true `,` $on_false attr-dict `:`
    functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

def Graph_MatMulOp : Graph_ShapedOp<"matmul", [SameOperandsAndResultElementType]> {
  let summary = "Batched matrix product with NumPy semantics (ONNX MatMul)";
  let description = [{
    The product over the last two dimensions; leading (batch) dimensions
    broadcast. A rank-1 `lhs` is treated as a row vector and a rank-1 `rhs`
    as a column vector, and the added dimension is removed from the result,
    as `numpy.matmul` does.

    ```mlir
    %y = graph.matmul %a, %b : (tensor<8x128x64xf32>, tensor<64x32xf32>)
                             -> tensor<8x128x32xf32>
    ```
  }];
  let arguments = (ins Graph_NumericTensor:$lhs, Graph_NumericTensor:$rhs);
  let results = (outs Graph_NumericTensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
}

def Graph_Conv2dOp : Graph_ShapedOp<"conv2d", [SameOperandsAndResultElementType]> {
  let summary = "2-D convolution, NCHW input and OIHW weights (ONNX Conv)";
  let description = [{
    `input` is `N x C x H x W`, `weight` is `M x C/group x kH x kW` and the
    optional `bias` is `M`. `pads` are `[top, left, bottom, right]`. The
    result is `N x M x OH x OW` with
    `OH = floor((H + top + bottom - dilation_h * (kH - 1) - 1) / stride_h) + 1`
    and likewise for `OW`. Grouped and depthwise convolutions use `group`.

    ```mlir
    %y = graph.conv2d %x, %w, %b {pads = array<i64: 1, 1, 1, 1>}
        : (tensor<1x3x224x224xf32>, tensor<64x3x3x3xf32>, tensor<64xf32>)
        -> tensor<1x64x224x224xf32>
    ```
  }];
  let arguments = (ins
    Graph_FloatTensor:$input,
    Graph_FloatTensor:$weight,
    Optional<Graph_FloatTensor>:$bias,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
    DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$pads,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
    DefaultValuedAttr<I64Attr, "1">:$group
  );
  let results = (outs Graph_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  // A zero graph.pad of the image before it becomes its own padding.
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// Layout and data movement
//===----------------------------------------------------------------------===//

def Graph_ReshapeOp : Graph_Op<"reshape",
    [AllElementTypesMatch<["input", "output"]>]> {
  let summary = "Reinterprets a tensor with another shape (same elements)";
  let description = [{
    The result type is the target shape; row-major element order is kept.
    Unlike other graph ops the result type is not inferred: the importer
    resolves ONNX's `0` and `-1` dimensions into it.
  }];
  let arguments = (ins Graph_Tensor:$input);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Graph_TransposeOp : Graph_ShapedOp<"transpose",
    [SameOperandsAndResultElementType]> {
  let summary = "Permutes dimensions: result dim i is input dim perm[i]";
  let description = [{
    Canonicalization turns a transpose that moves only dimensions of size 1
    (the others keep their order: the elements' order is unchanged) into a
    `graph.reshape`, which moves no data (torchvision's sequence-first
    attention transposes [1, S, E] to [S, 1, E] and back).
  }];
  let arguments = (ins Graph_Tensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def Graph_ConcatOp : Graph_ShapedOp<"concat",
    [SameOperandsAndResultElementType]> {
  let summary = "Joins tensors along one axis";
  let arguments = (ins Variadic<Graph_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "$inputs attr-dict `:` functional-type(operands, results)";
}

def Graph_GatherOp : Graph_ShapedOp<"gather",
    [AllElementTypesMatch<["data", "output"]>]> {
  let summary = "Takes slices of `data` along `axis` at `indices` (ONNX Gather)";
  let description = [{
    The result shape is `data.shape[:axis] + indices.shape +
    data.shape[axis+1:]`. Negative indices count from the end; an index out
    of range is an error at run time. Constant indices that are consecutive
    (a scalar among them) canonicalize to a `graph.slice` (and a reshape
    dropping the axis for a scalar), which the backends move as rows.
  }];
  let arguments = (ins Graph_Tensor:$data,
                       Graph_TensorOf<[I32, I64]>:$indices, I64Attr:$axis);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = [{
    $data `,` $indices attr-dict `:` functional-type(operands, results)
  }];
  let hasCanonicalizer = 1;
}

def Graph_CastOp : Graph_Op<"cast", [SameOperandsAndResultShape]> {
  let summary = "Converts the element type (ONNX Cast)";
  let description = [{
    Float to float rounds to nearest even; float to integer truncates toward
    zero and saturates (NaN gives 0), except to i4/ui4, which wrap; integer
    to float rounds to nearest even; integers wrap; any value to i1 is
    `value != 0`. The result type is given, not inferred.

    For 8-bit float results, `saturate` clamps overflow and infinity to the
    largest finite value; without it they give infinity (f8E5M2) or NaN.
    `round_mode` ("up", "down" or "nearest") rounds the exponent of an
    f8E8M0FNU result. f4E2M1FN results always saturate.
  }];
  let arguments = (ins Graph_Tensor:$input,
                       DefaultValuedAttr<BoolAttr, "true">:$saturate,
                       DefaultValuedStrAttr<StrAttr, "up">:$round_mode);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($output)";
}

//===----------------------------------------------------------------------===//
// Normalization, activation and reduction
//===----------------------------------------------------------------------===//

class Graph_SoftmaxBase<string mnemonic, string text>
    : Graph_Op<mnemonic, [SameOperandsAndResultType]> {
  let summary = text # " along one axis";
  let description = [{
    }] # text # [{ over `axis` (negative counts from the end), computed in
    f32 as `exp(x - max) / sum(exp(x - max))`, the sum pairwise (as a
    ReduceSum, and the SNPU's `vred sum`).
  }];
  let arguments = (ins Graph_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Graph_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Graph_SoftmaxOp : Graph_SoftmaxBase<"softmax", "Softmax">;
def Graph_LogSoftmaxOp : Graph_SoftmaxBase<"log_softmax", "Log-softmax">;

def Graph_LrnOp : Graph_Op<"lrn", [SameOperandsAndResultType]> {
  let summary = "Local response normalization across channels (ONNX LRN)";
  let description = [{
    For NCHW-style input, `y = x / (bias + alpha / size * sum(x^2))^beta`
    where the sum runs over the channels `c - floor((size - 1) / 2)` to
    `c + ceil((size - 1) / 2)` that exist.
  }];
  let arguments = (ins Graph_FloatTensor:$input, I64Attr:$size,
                       F32Attr:$alpha, F32Attr:$beta, F32Attr:$bias);
  let results = (outs Graph_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Graph_ClipOp : Graph_Op<"clip", [SameOperandsAndResultType]> {
  let summary = "min(max(x, min), max) with constant bounds";
  let description = [{
    ONNX Clip with constant bounds, as one op so a backend runs it in one
    pass (ReLU6 is `clip {min = 0, max = 6}`). Each bound is optional; the
    result is exactly `graph.min(graph.max(x, min), max)` with the bounds as
    scalars: a NaN operand gives NaN.
  }];
  let arguments = (ins Graph_FloatTensor:$input, OptionalAttr<F32Attr>:$min,
                       OptionalAttr<F32Attr>:$max);
  let results = (outs Graph_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Graph_LeakyReluOp : Graph_Op<"leaky_relu", [SameOperandsAndResultType]> {
  let summary = "x < 0 ? alpha * x : x";
  let arguments = (ins Graph_FloatTensor:$input,
                       DefaultValuedAttr<F32Attr, "0.01f">:$alpha);
  let results = (outs Graph_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Graph_GeluOp : Graph_Op<"gelu", [SameOperandsAndResultType]> {
  let summary = "Gaussian error linear unit (ONNX Gelu)";
  let description = [{
    `0.5 * x * (1 + erf(x / sqrt(2)))`, or with `approximate = "tanh"`
    `0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))`. One op so
    that a backend may run it whole; `graph-decompose` expands it into
    those elementwise ops, each rounded to the element type, which is also
    what the reference kernel computes.
  }];
  let arguments = (ins Graph_FloatTensor:$input,
                       DefaultValuedStrAttr<StrAttr, "none">:$approximate);
  let results = (outs Graph_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Graph_LayerNormOp : Graph_Op<"layer_norm",
    [SameOperandsAndResultElementType]> {
  let summary = "Layer normalization over the axes from `axis` on (ONNX "
                "LayerNormalization)";
  let description = [{
    With mean and (biased) variance over the dimensions `axis` .. rank - 1:
    `y = (x - mean) * (1 / sqrt(var + epsilon)) * scale + bias`, `scale`
    and the optional `bias` broadcasting to the input. One op so that a
    backend may run it whole; `graph-decompose` expands it into
    `reduce_mean`, `sub`, `mul`, `add`, `sqrt` and `reciprocal` in that
    order, each rounded to the element type, which is also what the
    reference kernel computes.
  }];
  let arguments = (ins Graph_FloatTensor:$input, Graph_FloatTensor:$scale,
                       Optional<Graph_FloatTensor>:$bias,
                       DefaultValuedAttr<I64Attr, "-1">:$axis,
                       DefaultValuedAttr<F32Attr, "1e-5f">:$epsilon);
  let results = (outs Graph_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $scale (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
}

def Graph_RmsNormOp : Graph_Op<"rms_norm",
    [SameOperandsAndResultElementType]> {
  let summary = "Root-mean-square normalization over the axes from `axis` on "
                "(ONNX RMSNormalization)";
  let description = [{
    `y = x * (1 / sqrt(mean(x * x) + epsilon)) * scale`, the mean over the
    dimensions `axis` .. rank - 1 and `scale` broadcasting to the input.
    `graph-decompose` expands it into `mul`, `reduce_mean`, `add`, `sqrt`,
    `reciprocal`, `mul`, `mul`, each rounded to the element type, which is
    also what the reference kernel computes.
  }];
  let arguments = (ins Graph_FloatTensor:$input, Graph_FloatTensor:$scale,
                       DefaultValuedAttr<I64Attr, "-1">:$axis,
                       DefaultValuedAttr<F32Attr, "1e-5f">:$epsilon);
  let results = (outs Graph_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $scale attr-dict `:` functional-type(operands, results)
  }];
}

def Graph_GroupNormOp : Graph_Op<"group_norm",
    [SameOperandsAndResultElementType]> {
  let summary = "Group normalization of an [N, C, ...] tensor (ONNX "
                "GroupNormalization and InstanceNormalization)";
  let description = [{
    Normalizes each of `num_groups` groups of C / `num_groups` channels
    (with all their spatial positions) to zero mean and unit (biased)
    variance, `(x - mean) * (1 / sqrt(var + epsilon))`, then applies the
    per-channel `scale` and `bias` ([C] each). Instance normalization is
    `num_groups = C`. `graph-decompose` expands it into `reduce_mean`,
    `sub`, `mul`, `add`, `sqrt`, `reciprocal` (over the spatial axes for
    one channel per group, else over a [N, G, C / G * spatial] reshape),
    then the per-channel `mul` and `add`, each rounded to the element
    type, which is also what the reference kernel computes.
  }];
  let arguments = (ins Graph_FloatTensor:$input, Graph_FloatTensor:$scale,
                       Graph_FloatTensor:$bias, I64Attr:$num_groups,
                       DefaultValuedAttr<F32Attr, "1e-5f">:$epsilon);
  let results = (outs Graph_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $scale `,` $bias attr-dict `:` functional-type(operands, results)
  }];
}

def Graph_AttentionOp : Graph_Op<"attention",
    [AllElementTypesMatch<["query", "key", "value", "output"]>]> {
  let summary = "Scaled dot-product attention over [batch, heads, sequence, "
                "head size] (ONNX Attention)";
  let description = [{
    `softmax(Q K^T * scale + mask) V` on 4-D operands: `query`
    [B, Hq, Sq, D], `key` [B, Hkv, Sk, D], `value` [B, Hkv, Sk, Dv], the
    result [B, Hq, Sq, Dv]. Grouped-query heads: each key/value head serves
    Hq / Hkv consecutive query heads. The optional `mask` broadcasts to
    [B, Hq, Sq, Sk]: a boolean one keeps the scores where it is true (the
    others become -inf), a float one is added. `is_causal` keeps, for query
    i, the keys j <= i + `causal_offset` (the cached keys before the new
    ones); a positive `softcap` bounds the scores as
    `softcap * tanh(scores / softcap)`. The importer splits packed 3-D
    heads and concatenates key/value caches around the op.
    `graph-decompose` expands it into broadcast/reshape (the repeated
    heads), `transpose`, `matmul`, `mul`, `select`/`add`, `tanh`, `softmax`
    and `matmul`, each rounded to the element type, which is also what the
    reference kernel computes.
  }];
  let arguments = (ins Graph_FloatTensor:$query, Graph_FloatTensor:$key,
                       Graph_FloatTensor:$value, Optional<Graph_Tensor>:$mask,
                       F32Attr:$scale,
                       DefaultValuedAttr<BoolAttr, "false">:$is_causal,
                       DefaultValuedAttr<I64Attr, "0">:$causal_offset,
                       DefaultValuedAttr<F32Attr, "0.0f">:$softcap);
  let results = (outs Graph_FloatTensor:$output);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`,` $mask^)? attr-dict `:` functional-type(operands, results)
  }];
}

class Graph_ReduceOp<string mnemonic, string text, Type tensor>
    : Graph_ShapedOp<mnemonic, [SameOperandsAndResultElementType]> {
  let summary = text # " over `axes`";
  let description = [{
    Reduces `input` by }] # text # [{ over the listed axes (negative counts
    from the end; empty means all axes). With `keepdims` the reduced
    dimensions stay as size 1. Floats accumulate in f32 over the elements
    in ascending index order; sums (and means) pairwise: runs of up to 8
    in order, then the halves' sums added (numpy's cascade, the SNPU's
    `vred sum`).
  }];
  let arguments = (ins tensor:$input, DenseI64ArrayAttr:$axes,
                       DefaultValuedAttr<BoolAttr, "true">:$keepdims);
  let results = (outs tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Graph_ReduceSumOp : Graph_ReduceOp<"reduce_sum", "sum", Graph_NumericTensor>;
def Graph_ReduceMeanOp : Graph_ReduceOp<"reduce_mean", "mean", Graph_FloatTensor>;
def Graph_ReduceMaxOp : Graph_ReduceOp<"reduce_max", "maximum", Graph_NumericTensor>;
def Graph_ReduceMinOp : Graph_ReduceOp<"reduce_min", "minimum", Graph_NumericTensor>;
def Graph_ReduceProdOp : Graph_ReduceOp<"reduce_prod", "product", Graph_NumericTensor>;

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

class Graph_Pool2dOp<string mnemonic, string text, dag extra>
    : Graph_ShapedOp<mnemonic, [SameOperandsAndResultElementType]> {
  let summary = "2-D " # text # " pooling over NCHW";
  let description = [{
    Windows of `kernel` with `strides`, `dilations` and `pads`
    (`[top, left, bottom, right]`). The output size follows `graph.conv2d`
    with floor division, or ceiling division when `ceil_mode` is set, except
    that a window may not start inside the bottom/right padding.
  }];
  let arguments = !con((ins Graph_FloatTensor:$input,
    DenseI64ArrayAttr:$kernel,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
    DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$pads,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
    DefaultValuedAttr<BoolAttr, "false">:$ceil_mode), extra);
  let results = (outs Graph_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Graph_MaxPool2dOp : Graph_Pool2dOp<"max_pool2d", "max", (ins)>;
def Graph_AvgPool2dOp : Graph_Pool2dOp<"avg_pool2d", "average",
    (ins DefaultValuedAttr<BoolAttr, "false">:$count_include_pad)> {
  // A zero graph.pad of the image before it becomes its own padding
  // (counted, as the padded zeros were).
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// Slicing, padding and broadcasting
//===----------------------------------------------------------------------===//

def Graph_SliceOp : Graph_ShapedOp<"slice", [SameOperandsAndResultElementType]> {
  let summary = "Strided slice with one (start, limit, step) per dimension";
  let description = [{
    Dimension `d` of the result takes indices `starts[d]`, `starts[d] +
    steps[d]`, ... while before `limits[d]` (after it for a negative step).
    The importer resolves ONNX's negative and out-of-range values, so the
    attributes here are already clamped to the input.
  }];
  let arguments = (ins Graph_Tensor:$input, DenseI64ArrayAttr:$starts,
                       DenseI64ArrayAttr:$limits, DenseI64ArrayAttr:$steps);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Graph_PadOp : Graph_ShapedOp<"pad", [SameOperandsAndResultElementType]> {
  let summary = "Pads each dimension (ONNX Pad, static pads)";
  let description = [{
    Adds `low[d]` elements before and `high[d]` after dimension `d`, filled
    with `value` (mode `constant`), a mirror without the edge (`reflect`),
    the edge itself (`edge`) or the other end (`wrap`). Padding by zero
    everywhere folds to the input.
  }];
  let arguments = (ins Graph_Tensor:$input, DenseI64ArrayAttr:$low,
                       DenseI64ArrayAttr:$high,
                       DefaultValuedAttr<F64Attr, "0.0">:$value,
                       DefaultValuedAttr<StrAttr, "\"constant\"">:$mode);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Graph_TileOp : Graph_ShapedOp<"tile", [SameOperandsAndResultElementType]> {
  let summary = "Repeats the tensor `repeats[d]` times along each dimension";
  let arguments = (ins Graph_Tensor:$input, DenseI64ArrayAttr:$repeats);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Graph_BroadcastOp : Graph_Op<"broadcast", [SameOperandsAndResultElementType]> {
  let summary = "Broadcasts to the result shape (ONNX Expand)";
  let description = [{
    The result shape must be the multidirectional broadcast of the input
    shape and the requested one; it is given, not inferred.
  }];
  let arguments = (ins Graph_Tensor:$input);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Graph_ArgMaxOp : Graph_ShapedOp<"argmax"> {
  let summary = "Index of the largest element along `axis` (i64 result)";
  let description = [{
    Ties take the first index, or the last with `select_last_index`; NaN is
    larger than any number.
  }];
  let arguments = (ins Graph_NumericTensor:$input, I64Attr:$axis,
                       DefaultValuedAttr<BoolAttr, "true">:$keepdims,
                       DefaultValuedAttr<BoolAttr, "false">:$select_last_index);
  let results = (outs Graph_TensorOf<[I64]>:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Graph_ArgMinOp : Graph_ShapedOp<"argmin"> {
  let summary = "Index of the smallest element along `axis` (i64 result)";
  let arguments = (ins Graph_NumericTensor:$input, I64Attr:$axis,
                       DefaultValuedAttr<BoolAttr, "true">:$keepdims,
                       DefaultValuedAttr<BoolAttr, "false">:$select_last_index);
  let results = (outs Graph_TensorOf<[I64]>:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Graph_TopKOp : Graph_Op<"top_k",
    [AllElementTypesMatch<["input", "values"]>]> {
  let summary = "The k largest or smallest elements along `axis` (ONNX TopK)";
  let description = [{
    Returns the values and their i64 indices, ordered largest first (or
    smallest first when `largest` is false). Equal values keep the lower
    index first; NaN ranks above every number. Both results have the
    input's shape with dimension `axis` set to `k`.
  }];
  let arguments = (ins Graph_NumericTensor:$input, I64Attr:$k, I64Attr:$axis,
                       DefaultValuedAttr<BoolAttr, "true">:$largest);
  let results = (outs Graph_NumericTensor:$values,
                      Graph_TensorOf<[I64]>:$indices);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Miscellaneous ONNX operators
//===----------------------------------------------------------------------===//

def Graph_ModOp : Graph_BroadcastBinaryOp<"mod", "lhs mod rhs"> {
  let description = [{
    Remainder with broadcasting. With `fmod` the result has the sign of
    `lhs` (C `fmod`, required for floats); otherwise integers follow Python
    and take the sign of `rhs`. A zero divisor gives 0 for integers.
  }];
  let arguments = (ins Graph_NumericTensor:$lhs, Graph_NumericTensor:$rhs,
                       DefaultValuedAttr<BoolAttr, "false">:$fmod);
}

def Graph_TriluOp : Graph_Op<"trilu", [SameOperandsAndResultType]> {
  let summary = "Keeps the upper or lower triangle of the last two dims";
  let description = [{
    Elements above (`upper`) or below the `k`-th diagonal are kept, the rest
    set to zero.
  }];
  let arguments = (ins Graph_Tensor:$input, BoolAttr:$upper, I64Attr:$k);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Graph_GatherElementsOp : Graph_Op<"gather_elements",
    [AllElementTypesMatch<["data", "output"]>,
     AllShapesMatch<["indices", "output"]>]> {
  let summary = "out[i][j]... = data[...][indices[i][j]...][...] along `axis`";
  let arguments = (ins Graph_Tensor:$data,
                       Graph_TensorOf<[I32, I64]>:$indices, I64Attr:$axis);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = [{
    $data `,` $indices attr-dict `:` functional-type(operands, results)
  }];
}

def Graph_GatherNdOp : Graph_Op<"gather_nd",
    [AllElementTypesMatch<["data", "output"]>]> {
  let summary = "Slices of `data` addressed by index tuples (ONNX GatherND)";
  let description = [{
    The last dimension of `indices` holds tuples of `q` indices into the
    dimensions of `data` after the first `batch_dims` (which `data` and
    `indices` share). The result is `indices.shape[:-1] ++
    data.shape[batch_dims + q:]`; negative indices count from the end.
  }];
  let arguments = (ins Graph_Tensor:$data, Graph_TensorOf<[I64]>:$indices,
                       DefaultValuedAttr<I64Attr, "0">:$batch_dims);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = [{
    $data `,` $indices attr-dict `:` functional-type(operands, results)
  }];
}

def Graph_ScatterNdOp : Graph_Op<"scatter_nd",
    [AllTypesMatch<["data", "output"]>,
     AllElementTypesMatch<["data", "updates"]>]> {
  let summary = "A copy of `data` with slices written at index tuples "
                "(ONNX ScatterND)";
  let description = [{
    For each tuple in the last dimension of `indices`, the slice of the copy
    it addresses receives the matching slice of `updates`, or is combined
    with it by `reduction` (`none`, `add`, `mul`, `max`, `min`). Updates
    apply in index order, so with `none` the last duplicate wins.
  }];
  let arguments = (ins Graph_Tensor:$data, Graph_TensorOf<[I64]>:$indices,
                       Graph_Tensor:$updates,
                       DefaultValuedStrAttr<StrAttr, "none">:$reduction);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = [{
    $data `,` $indices `,` $updates attr-dict `:` functional-type(operands, results)
  }];
}

def Graph_ScatterElementsOp : Graph_Op<"scatter_elements",
    [AllTypesMatch<["data", "output"]>,
     AllElementTypesMatch<["data", "updates"]>,
     AllShapesMatch<["indices", "updates"]>]> {
  let summary = "A copy of `data` with elements written along `axis` "
                "(ONNX ScatterElements)";
  let description = [{
    `out[..., indices[i, j, ...], ...] = updates[i, j, ...]` with the index
    replacing position `axis`, combined by `reduction` (`none`, `add`,
    `mul`, `max`, `min`) in index order.
  }];
  let arguments = (ins Graph_Tensor:$data, Graph_TensorOf<[I32, I64]>:$indices,
                       Graph_Tensor:$updates, I64Attr:$axis,
                       DefaultValuedStrAttr<StrAttr, "none">:$reduction);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = [{
    $data `,` $indices `,` $updates attr-dict `:` functional-type(operands, results)
  }];
}

def Graph_CumSumOp : Graph_Op<"cumsum", [SameOperandsAndResultType]> {
  let summary = "Running sum along `axis` (optionally exclusive or reversed)";
  let arguments = (ins Graph_NumericTensor:$input, I64Attr:$axis,
                       DefaultValuedAttr<BoolAttr, "false">:$exclusive,
                       DefaultValuedAttr<BoolAttr, "false">:$reverse);
  let results = (outs Graph_NumericTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Graph_HardmaxOp : Graph_Op<"hardmax", [SameOperandsAndResultType]> {
  let summary = "1 at the first maximum along `axis`, 0 elsewhere";
  let arguments = (ins Graph_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Graph_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Graph_ResizeOp : Graph_Op<"resize", [SameOperandsAndResultElementType]> {
  let summary = "Resampling by nearest, (multi)linear or cubic interpolation";
  let description = [{
    ONNX Resize without region of interest or antialiasing. `scales[d]` is
    the factor the coordinate transform uses for dimension `d`; the result
    type gives the output size. Source coordinates follow
    `coordinate_mode` (half_pixel, half_pixel_symmetric, pytorch_half_pixel,
    align_corners, asymmetric); `nearest` rounds them by `nearest_mode`;
    `linear` and `cubic` interpolate the neighbours, clamped to the edge
    (`exclude_outside` drops out-of-range cubic taps and renormalizes).
  }];
  let arguments = (ins Graph_FloatTensor:$input, StrAttr:$mode,
                       StrAttr:$coordinate_mode, StrAttr:$nearest_mode,
                       F64ArrayAttr:$scales,
                       DefaultValuedAttr<F64Attr, "-0.75">:$cubic_coeff_a,
                       DefaultValuedAttr<BoolAttr, "false">:$exclude_outside);
  let results = (outs Graph_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Graph_ConvTranspose2dOp : Graph_ShapedOp<"conv_transpose2d",
    [SameOperandsAndResultElementType]> {
  let summary = "2-D transposed convolution (ONNX ConvTranspose)";
  let description = [{
    `input` is `N x C x H x W`, `weight` is `C x M/group x kH x kW`, the
    optional `bias` is `M`. Each input pixel scatters `weight` into the
    output; `OH = stride_h * (H - 1) + output_padding_h + dilation_h *
    (kH - 1) + 1 - top - bottom`, likewise `OW`.
  }];
  let arguments = (ins
    Graph_FloatTensor:$input,
    Graph_FloatTensor:$weight,
    Optional<Graph_FloatTensor>:$bias,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
    DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$pads,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
    DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0}">:$output_padding,
    DefaultValuedAttr<I64Attr, "1">:$group
  );
  let results = (outs Graph_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
}

#endif // SINAN_DIALECT_GRAPH_IR_GRAPHOPS_TD
