//===- MiniFloat.h - 8- and 4-bit float formats of ONNX ---------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The sub-16-bit float formats ONNX models carry (float8 e4m3fn, e4m3fnuz,
// e5m2, e5m2fnuz, e8m0 and float4 e2m1). They are host-only types: models
// store weights and quantized activations in them, and the reference kernels
// convert through these functions. Rules follow ONNX's Cast:
//  * float -> format rounds to nearest, ties to even.
//  * Saturating conversions clamp finite overflow and infinity to the largest
//    finite value; non-saturating ones give infinity where the format has it
//    (e5m2) and NaN otherwise.
//  * float4 e2m1 has no NaN or infinity: it always saturates and NaN becomes
//    negative zero, as in the ONNX reference.
//  * e8m0 holds a power of two (no sign, no zero); it rounds "up", "down" or
//    to "nearest" on the exponent, as ONNX's Cast round_mode says.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_RUNTIME_MINIFLOAT_H
#define SINAN_RUNTIME_MINIFLOAT_H

#include "sinan/runtime/DType.h"

#include <cstdint>

namespace sinan {

enum class MiniFloatKind : uint8_t {
  F8E4M3FN,
  F8E4M3FNUZ,
  F8E5M2,
  F8E5M2FNUZ,
  F4E2M1FN,
};

/// Decodes one value; NaN encodings give a quiet NaN.
float miniFloatToFloat(uint8_t bits, MiniFloatKind kind);

/// Encodes one value (see the file comment for the rounding rules).
uint8_t floatToMiniFloat(float value, MiniFloatKind kind, bool saturate);

/// The format of a mini-float DType other than f8E8M0FNU.
MiniFloatKind miniFloatKind(DType type);

/// Decodes element bits of any mini-float DType (including e8m0).
float decodeMiniFloat(uint8_t bits, DType type);

/// Encodes with saturation and e8m0 rounding "up" (ONNX's defaults).
uint8_t encodeMiniFloat(float value, DType type, bool saturate = true);

enum class E8M0Rounding : uint8_t { Up, Down, Nearest };

float e8m0ToFloat(uint8_t bits);
uint8_t floatToE8M0(float value, bool saturate, E8M0Rounding rounding);

} // namespace sinan

#endif // SINAN_RUNTIME_MINIFLOAT_H
