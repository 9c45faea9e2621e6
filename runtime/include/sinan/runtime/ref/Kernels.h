//===- Kernels.h - Reference kernels of the graph ops ------------*- C++
//-*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// One host kernel per graph op on plain tensors, with the op's exact
// semantics: the golden reference for tests, the compiler's constant folder
// and the CPU device's fallback. Callers pass an output tensor already shaped
// by the op's shape rule (the verifier has checked operands); floats compute
// in f32 (f16/bf16 are widened, and rounded once when stored), integers in
// 64 bits and wrap to the element type.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_RUNTIME_REF_KERNELS_H
#define SINAN_RUNTIME_REF_KERNELS_H

#include "sinan/runtime/MiniFloat.h"
#include "sinan/runtime/Tensor.h"

#include <array>
#include <optional>

namespace sinan::ref {

enum class BinaryOp {
  Add,
  Sub,
  Mul,
  Div,
  Max,
  Min,
  Pow,
  And,
  Or,
  Xor,
  ShiftLeft,
  ShiftRight
};
enum class CompareOp { Equal, Less, LessEqual, Greater, GreaterEqual };
enum class UnaryOp {
  Relu,
  Neg,
  Abs,
  Exp,
  Log,
  Sqrt,
  Reciprocal,
  Tanh,
  Sigmoid,
  Erf,
  Floor,
  Ceil,
  Sin,
  Cos,
  Not,
  Round,
  Tan,
  Asin,
  Acos,
  Atan,
  Sinh,
  Cosh,
  Asinh,
  Acosh,
  Atanh,
  BitNot,
  /// The erf form (geluErf); no graph op has it alone, a fused SNPU
  /// chain's fallback does.
  Gelu,
  /// The tanh form in one step (geluTanh), likewise.
  GeluTanh
};

/// out = a OP b with NumPy/ONNX broadcasting.
void binary(BinaryOp op, const Tensor &a, const Tensor &b, Tensor &out);

/// out (i1) = a OP b with broadcasting; comparisons with NaN are false.
void compare(CompareOp op, const Tensor &a, const Tensor &b, Tensor &out);

/// out = condition ? onTrue : onFalse, all three broadcasting.
void select(const Tensor &condition, const Tensor &onTrue,
            const Tensor &onFalse, Tensor &out);

/// out = OP(x), same shape.
void unary(UnaryOp op, const Tensor &x, Tensor &out);

/// numpy.matmul: batched, broadcast batch dimensions, rank-1 promotion.
void matmul(const Tensor &a, const Tensor &b, Tensor &out);

struct Conv2dParams {
  std::array<int64_t, 2> strides{1, 1};
  std::array<int64_t, 4> pads{0, 0, 0, 0}; ///< top, left, bottom, right
  std::array<int64_t, 2> dilations{1, 1};
  int64_t group = 1;
  /// f32 only. 0: the reference order. Otherwise an SNPU kernel's: each
  /// output sums, from +0.0 (or from the bias unless `biasLast`), over
  /// chunks of `sumChunk` channels of its group, then taps in row-major
  /// order, then the chunk's channels ascending, every product one f32
  /// addition (the padding's and the padded channels' zeros included), and
  /// adds the bias last when `biasLast`.
  int64_t sumChunk = 0;
  bool biasLast = false;
  /// With `sumChunk`: each product is added with one rounding (std::fma),
  /// as the vector unit's multiply-add does (a depthwise kernel's order);
  /// with `biasLast` too, the sum starts from -0.0 (so the first product
  /// keeps its sign, as the kernel's first multiply) and a missing bias is
  /// not added.
  bool fma = false;
  /// With `sumChunk` and `biasLast`: each output's sum starts from the
  /// value `out` holds (an SNPU kernel's accumulator loaded with a residual
  /// before its products) instead of +0.0.
  bool initFromOut = false;
  /// With `sumChunk` and `biasLast` (f32, 3x3, dilation 1, one group;
  /// stride 1 and pads 1, or stride 2 and pads 1 before): the SNPU's
  /// Winograd kernel along each kernel row, F(2,3) at stride 1
  /// (winogradRow* in Numerics.h), five products a pair at stride 2
  /// (winogradStride2*). The input and the weights (both already bf16
  /// values) are transformed and rounded to bf16; each output pair's sums
  /// run over chunks, then (per weight role at stride 2) kernel rows, then
  /// the chunk's channels; the output transform, the bias taken into the
  /// sum both outputs read.
  bool winograd = false;
};

/// NCHW input, OIHW weight, optional bias of length O.
void conv2d(const Tensor &input, const Tensor &weight, const Tensor *bias,
            const Conv2dParams &params, Tensor &out);

/// out[i...] = in[perm applied]: result dim d is input dim perm[d].
void transpose(const Tensor &input, const std::vector<int64_t> &perm,
               Tensor &out);

/// Concatenation along `axis` (already normalized).
void concat(const std::vector<const Tensor *> &inputs, int64_t axis,
            Tensor &out);

/// ONNX Gather along `axis` (normalized); returns false (and sets `error`)
/// for an index out of range.
bool gather(const Tensor &data, const Tensor &indices, int64_t axis,
            Tensor &out, std::string &error);

/// Element-type conversion with ONNX Cast semantics (see graph.cast).
/// `saturate` and `rounding` apply to the 8-bit float results (ONNX Cast's
/// saturate and round_mode); integer results wrap except from floats to
/// 8-bit and wider integers, which saturate.
void cast(const Tensor &input, Tensor &out, bool saturate = true,
          E8M0Rounding rounding = E8M0Rounding::Up);

/// Softmax or log-softmax over `axis` (normalized).
void softmax(const Tensor &input, int64_t axis, bool log, Tensor &out);

void leakyRelu(const Tensor &input, float alpha, Tensor &out);

/// min(max(x, min), max) for the bounds given, by the max and min of
/// binary() (a NaN operand gives NaN).
void clip(const Tensor &input, std::optional<float> min,
          std::optional<float> max, Tensor &out);

/// Local response normalization across dimension 1 (channels).
void lrn(const Tensor &input, int64_t size, float alpha, float beta, float bias,
         Tensor &out);

enum class ReduceOp { Sum, Mean, Max, Min, Prod };

/// Reduction over the normalized `axes` (empty: all); `out` has the kept
/// or dropped dims already.
void reduce(ReduceOp op, const Tensor &input, const std::vector<int64_t> &axes,
            Tensor &out);

struct Pool2dParams {
  std::array<int64_t, 2> kernel{1, 1}, strides{1, 1}, dilations{1, 1};
  std::array<int64_t, 4> pads{0, 0, 0, 0};
  bool countIncludePad = false;
};

void maxPool2d(const Tensor &input, const Pool2dParams &params, Tensor &out);
void avgPool2d(const Tensor &input, const Pool2dParams &params, Tensor &out);

/// Strided slice with per-dimension starts/steps (already normalized).
void slice(const Tensor &input, const std::vector<int64_t> &starts,
           const std::vector<int64_t> &steps, Tensor &out);

/// Pads with low/high per dimension; mode is constant, reflect, edge or wrap.
void pad(const Tensor &input, const std::vector<int64_t> &low,
         const std::string &mode, double value, Tensor &out);

/// Repeats the input to fill `out` (tile).
void tile(const Tensor &input, Tensor &out);

/// Broadcasts `input` to the shape of `out` (ONNX Expand).
void broadcastTo(const Tensor &input, Tensor &out);

/// Index of the max (or min) along `axis`; `out` is i64.
void argExtreme(const Tensor &input, int64_t axis, bool max, bool last,
                Tensor &out);

/// How scatter combines an update with the existing element.
enum class ScatterReduction : uint8_t { None, Add, Mul, Max, Min };

/// ONNX GatherND; false (with `error`) on an out-of-range index.
bool gatherNd(const Tensor &data, const Tensor &indices, int64_t batchDims,
              Tensor &out, std::string &error);

/// ONNX ScatterND into `out` (a copy of data); false on a bad index.
bool scatterNd(const Tensor &data, const Tensor &indices, const Tensor &updates,
               ScatterReduction reduction, Tensor &out, std::string &error);

/// ONNX ScatterElements along `axis` (normalized); false on a bad index.
bool scatterElements(const Tensor &data, const Tensor &indices,
                     const Tensor &updates, int64_t axis,
                     ScatterReduction reduction, Tensor &out,
                     std::string &error);

/// ONNX TopK along `axis` (normalized): the k largest (or smallest) elements
/// in order, ties broken by the lower index, NaN above every number.
void topK(const Tensor &input, int64_t k, int64_t axis, bool largest,
          Tensor &values, Tensor &indices);

/// Remainder with broadcasting: C fmod (sign of a) or Python (sign of b).
void mod(const Tensor &a, const Tensor &b, bool fmod, Tensor &out);

/// Upper/lower triangle of the last two dimensions relative to diagonal k.
void trilu(const Tensor &input, bool upper, int64_t k, Tensor &out);

/// ONNX GatherElements along `axis` (normalized); false on a bad index.
bool gatherElements(const Tensor &data, const Tensor &indices, int64_t axis,
                    Tensor &out, std::string &error);

/// Running sum along `axis` (normalized).
void cumsum(const Tensor &input, int64_t axis, bool exclusive, bool reverse,
            Tensor &out);

/// One-hot of the first maximum along `axis` (normalized).
void hardmax(const Tensor &input, int64_t axis, Tensor &out);

struct ConvTranspose2dParams {
  std::array<int64_t, 2> strides{1, 1}, dilations{1, 1};
  std::array<int64_t, 4> pads{0, 0, 0, 0};
  int64_t group = 1;
};

/// Transposed convolution: input NCHW, weight C x M/group x kH x kW.
void convTranspose2d(const Tensor &input, const Tensor &weight,
                     const Tensor *bias, const ConvTranspose2dParams &params,
                     Tensor &out);

struct ResizeParams {
  std::string mode = "nearest"; ///< nearest, linear, cubic
  std::string coordinateMode = "half_pixel";
  std::string nearestMode = "round_prefer_floor";
  std::vector<double> scales; ///< One per dimension.
  double cubicCoeffA = -0.75;
  bool excludeOutside = false;
};

/// Resize's taps: for each dimension and output coordinate, the (input
/// coordinate, weight) pairs whose products it sums. One table serves the
/// reference kernel and the CPU path's (which compiles it into its code).
using ResizeTaps =
    std::vector<std::vector<std::vector<std::pair<int64_t, double>>>>;
ResizeTaps resizeTaps(const std::vector<int64_t> &inShape,
                      const std::vector<int64_t> &outShape,
                      const ResizeParams &params);

/// ONNX Resize into the shape of `out` (see graph.resize): each output is
/// the double sum, over the product of its dimensions' taps (the last
/// dimension's fastest), of the taps' weights multiplied in dimension
/// order times the input, skipping zero weights, rounded once to f32.
void resize(const Tensor &input, const ResizeParams &params, Tensor &out);

} // namespace sinan::ref

#endif // SINAN_RUNTIME_REF_KERNELS_H
