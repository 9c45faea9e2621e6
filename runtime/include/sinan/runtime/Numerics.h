//===- Numerics.h - Exact low-precision conversions -------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Bit-exact conversions between fp32 and the 16-bit float formats, and int8
// saturation. The SNPU simulator, the reference kernels and the compiler's
// constant folder all round through these functions, so they agree bit for
// bit. Rules (the ISA spec repeats them):
//  * fp32 -> bf16/fp16 rounds to nearest, ties to even; overflow gives
//    infinity; fp16 keeps subnormals.
//  * NaN stays NaN, keeps its sign, and becomes the canonical quiet NaN of the
//    target format (payload dropped).
//  * float -> int8 rounds to nearest, ties to even, saturates to [-128, 127];
//    NaN converts to 0.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_RUNTIME_NUMERICS_H
#define SINAN_RUNTIME_NUMERICS_H

#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>

namespace sinan {

inline uint32_t floatBits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

inline float floatFromBits(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

/// fp32 -> bf16 bits, round to nearest even.
inline uint16_t floatToBF16(float value) {
  uint32_t bits = floatBits(value);
  uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    return sign | 0x7fc0u;
  // Adding 0x7fff plus the lowest kept bit rounds ties to even; a carry into
  // the exponent correctly produces the next binade or infinity.
  uint32_t lsb = (bits >> 16) & 1u;
  return static_cast<uint16_t>((bits + 0x7fffu + lsb) >> 16);
}

inline float bf16ToFloat(uint16_t bits) {
  return floatFromBits(static_cast<uint32_t>(bits) << 16);
}

/// Three bf16 values whose sum is `value`: the top 16 bits of the f32, the
/// top 16 of what remains, and the rest rounded (at most 8 significant
/// bits, exact unless they fall below bf16's smallest subnormal). Every
/// partial sum then fits an f32's 24 bits, so a matrix-unit product of the
/// three with ones reproduces `value` in any order of additions (a
/// convolution's bias starting its accumulator; splitsExactly checks).
/// Zeros keep their sign in all three (-0.0 + -0.0 is -0.0); an infinity
/// or NaN comes first, zeros after it.
inline void splitToBF16(float value, uint16_t parts[3]) {
  uint32_t bits = floatBits(value);
  if (!std::isfinite(value)) {
    parts[0] = floatToBF16(value);
    parts[1] = parts[2] = 0;
    return;
  }
  if ((bits & 0x7fffffffu) == 0) {
    parts[0] = parts[1] = parts[2] = static_cast<uint16_t>(bits >> 16);
    return;
  }
  parts[0] = static_cast<uint16_t>(bits >> 16);
  float rest = value - bf16ToFloat(parts[0]);
  parts[1] = static_cast<uint16_t>(floatBits(rest) >> 16);
  parts[2] = floatToBF16(rest - bf16ToFloat(parts[1]));
}

/// Whether splitToBF16's parts of `value` sum to its exact bits in every
/// order of f32 additions onto +0.0 (where a product that does not
/// accumulate starts): not for -0.0, nor NaN (a payload would be lost).
inline bool splitsExactly(float value) {
  uint16_t p[3];
  splitToBF16(value, p);
  float a = bf16ToFloat(p[0]), b = bf16ToFloat(p[1]), c = bf16ToFloat(p[2]);
  uint32_t want = floatBits(value);
  for (float sum : {((0.0f + a) + b) + c, ((0.0f + a) + c) + b,
                    ((0.0f + b) + c) + a, ((0.0f + c) + b) + a})
    if (floatBits(sum) != want)
      return false;
  return true;
}

/// GELU in its erf form, 0.5 x (1 + erf(x / sqrt(2))), as the SNPU's
/// vector unit computes it (`vun gelu`) and the host fallback of a fused
/// GELU does, so the two agree bit for bit.
inline float geluErf(float x) {
  return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f));
}

/// GELU in its tanh form, 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))),
/// as the SNPU's vector unit computes it (`vun gelu_tanh`, one pass) and the
/// host fallback of a fused one does, so the two agree bit for bit (the
/// graph's nine ops round after each; this rounds once, in f32 throughout).
inline float geluTanh(float x) {
  float inner = 0.7978845608028654f * (x + 0.044715f * (x * x * x));
  return 0.5f * x * (1.0f + std::tanh(inner));
}

/// Winograd F(2,3) along an image row (docs/dialects/npu.md, the Winograd
/// tiler): a 3x3 convolution's kernel rows each make two adjacent outputs
/// from four products instead of six. The one formula the compiler's
/// weight packing, the kernel's vector passes and the host fallback share,
/// so the SNPU kernel and its fallback agree bit for bit.
///
/// The transformed weights of kernel row (g0, g1, g2) (bf16 values: the
/// weights rounded as every matrix-unit operand is, so the module's bf16
/// copy serves the fallback), in f32 in this order, each then rounded to
/// bf16.
inline void winogradRowWeights(float g0, float g1, float g2, float u[4]) {
  u[0] = g0;
  u[1] = ((g0 + g1) + g2) * 0.5f;
  u[2] = ((g0 - g1) + g2) * 0.5f;
  u[3] = g2;
}

/// Point `nu` of the input transform of four padded columns d[0..3] (bf16
/// values): d0 - d2, d1 + d2, d2 - d1, d1 - d3, each one f32 operation
/// (the vector unit's, on bf16 operands) before the rounding to bf16.
inline float winogradRowInput(int nu, const float d[4]) {
  switch (nu) {
  case 0:
    return d[0] - d[2];
  case 1:
    return d[1] + d[2];
  case 2:
    return d[2] - d[1];
  default:
    return d[1] - d[3];
  }
}

/// The output transform of a tile's four sums m[0..3] with the bias (when
/// there is one) taken into the second: its two outputs, (m0 + m1') + m2
/// and (m1' - m2) - m3 with m1' = m1 + bias, in f32. (The bias joins the
/// sum both outputs read, so no pass over the outputs adds it.)
inline void winogradRowOutput(const float m[4], const float *bias, float y[2]) {
  float m1 = bias ? m[1] + *bias : m[1];
  y[0] = (m[0] + m1) + m[2];
  y[1] = (m1 - m[2]) - m[3];
}

/// Winograd along an image row for a 3x3 convolution of stride 2 (the
/// Winograd tiler's stride-2 form): a kernel row's two adjacent outputs
/// read padded columns d[0..4] of a tile four apart. The taps g0 and g2
/// read the even columns, a 2-tap convolution that F(2,2) makes from three
/// products (points d0 - d2, d2, d4 - d2 with weights g0, g0 + g2, g2); g1
/// reads the odd columns d1 and d3 as they are. Five products instead of
/// six, in three sums: r0 takes points 0 and 1, r1 point 2, r2 points 3
/// and 4, and the outputs are r0 + r1' and r1' + r2 (r1' = r1 + bias).
///
/// The transformed weights of kernel row (g0, g1, g2) (bf16 values), by
/// role, in f32, each then rounded to bf16.
inline void winogradStride2Weights(float g0, float g1, float g2, float u[4]) {
  u[0] = g0;
  u[1] = g1;
  u[2] = g0 + g2;
  u[3] = g2;
}

/// Whether a stride-2 output extent `out` of an input extent `in` is one
/// the stride-2 kernel takes: half the input, rounded either way (what it
/// reads past the input is zeros, however much padding after makes it).
/// The compiler's choice of the kernel and the fallback's check share it.
inline bool winogradStride2Extent(int64_t in, int64_t out) {
  return out == in / 2 || out == (in + 1) / 2;
}

/// Point `point` of padded columns d[0..4] (bf16 values): d0 - d2, d1, d2,
/// d4 - d2, d3, each one f32 operation before the rounding to bf16.
inline float winogradStride2Input(int point, const float d[5]) {
  switch (point) {
  case 0:
    return d[0] - d[2];
  case 1:
    return d[1];
  case 2:
    return d[2];
  case 3:
    return d[4] - d[2];
  default:
    return d[3];
  }
}

/// The products of a stride-2 kernel row, in the order the kernel makes
/// them: per weight role, its (point, sum) pairs (role 1, g1, serves both
/// odd columns).
struct WinogradProduct {
  int role, point, sum;
};
inline constexpr WinogradProduct kWinogradStride2Products[5] = {
    {0, 0, 0}, {1, 1, 0}, {1, 4, 2}, {2, 2, 1}, {3, 3, 2}};

/// The two outputs of a stride-2 tile's three sums r[0..2], the bias (when
/// there is one) taken into r1, which both read: r0 + r1', r1' + r2.
inline void winogradStride2Output(const float r[3], const float *bias,
                                  float y[2]) {
  float r1 = bias ? r[1] + *bias : r[1];
  y[0] = r[0] + r1;
  y[1] = r1 + r[2];
}

/// Hardswish, x * clamp(x / 6 + 1/2, 0, 1), as the SNPU's vector unit
/// computes it (`vun hardswish`) and the host fallback of a fused one does;
/// NaN stays NaN.
inline float hardSwish(float x) {
  float gate = x / 6.0f + 0.5f;
  return x * (gate < 0.0f ? 0.0f : gate > 1.0f ? 1.0f : gate);
}

/// fp32 -> IEEE binary16 bits, round to nearest even, with subnormals.
/// Pairwise (cascade) summation in f32, as numpy's: runs of up to 8 summed
/// in order from the first element, then the two halves' sums added, so the
/// error grows with log n rather than n. The one formula the reference
/// kernels' float sums (ReduceSum, ReduceMean) and the simulator's
/// `vred sum` share, so a reduction on the SNPU matches its host fallback
/// bit for bit. n >= 1 (starting from x[0], not 0.0f: a sum of -0 stays
/// -0). `at(i)` gives element i.
template <typename At>
float pairwiseSum(const At &at, int64_t first, int64_t n) {
  if (n <= 8) {
    float sum = at(first);
    for (int64_t i = 1; i < n; ++i)
      sum += at(first + i);
    return sum;
  }
  int64_t half = n / 2;
  return pairwiseSum(at, first, half) + pairwiseSum(at, first + half, n - half);
}

inline uint16_t floatToHalf(float value) {
  uint32_t bits = floatBits(value);
  uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  uint32_t abs = bits & 0x7fffffffu;
  if (abs > 0x7f800000u)
    return sign | 0x7e00u;
  if (abs >= 0x477ff000u) // >= 65520: rounds to infinity (or is infinity).
    return sign | 0x7c00u;
  if (abs < 0x38800000u) { // Below 2^-14: fp16 subnormal or zero.
    if (abs < 0x33000000u) // Below 2^-25: rounds to zero, even at the tie.
      return sign;
    uint32_t exponent = abs >> 23;
    uint32_t mantissa = (abs & 0x7fffffu) | 0x800000u;
    // The value is mantissa * 2^(exponent - 150); in units of 2^-24 it is
    // mantissa >> (126 - exponent).
    uint32_t shift = 126 - exponent;
    uint32_t result = mantissa >> shift;
    uint32_t rest = mantissa & ((1u << shift) - 1);
    uint32_t half = 1u << (shift - 1);
    if (rest > half || (rest == half && (result & 1u)))
      ++result;
    return sign | static_cast<uint16_t>(result);
  }
  // Normal: rebias the exponent (127 -> 15) and round away 13 mantissa bits.
  uint32_t rebased = abs - (112u << 23);
  uint32_t lsb = (rebased >> 13) & 1u;
  return sign | static_cast<uint16_t>((rebased + 0xfffu + lsb) >> 13);
}

inline float halfToFloat(uint16_t bits) {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  uint32_t exponent = (bits >> 10) & 0x1fu;
  uint32_t mantissa = bits & 0x3ffu;
  if (exponent == 0x1f)
    return floatFromBits(sign | 0x7f800000u | (mantissa << 13));
  if (exponent != 0)
    return floatFromBits(sign | ((exponent + 112) << 23) | (mantissa << 13));
  // Subnormal or zero: exactly mantissa * 2^-24.
  float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
  return sign ? -magnitude : magnitude;
}

/// Saturates a 32-bit integer to int8.
inline int8_t saturateToI8(int32_t value) {
  return static_cast<int8_t>(value < -128 ? -128 : value > 127 ? 127 : value);
}

/// float -> int8: round to nearest even, saturate, NaN -> 0.
inline int8_t floatToI8(float value) {
  if (std::isnan(value))
    return 0;
  if (value <= -128.0f)
    return -128;
  if (value >= 127.0f)
    return 127;
  return static_cast<int8_t>(std::nearbyint(value));
}

} // namespace sinan

#endif // SINAN_RUNTIME_NUMERICS_H
