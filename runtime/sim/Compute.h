//===- Compute.h - Functional semantics of SNPU data instructions -*- C++ -*-//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Element conversion, the matrix multiply-accumulate and the vector unit's
// operations, bit-exact to docs/isa.md section 3. Pure functions on byte
// pointers; the simulator checks bounds and hazards before calling them.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_RUNTIME_SIM_COMPUTE_H
#define SINAN_RUNTIME_SIM_COMPUTE_H

#include "sinan/runtime/DType.h"
#include "sinan/runtime/isa/Isa.h"

#include <cstddef>
#include <cstdint>

namespace sinan::sim {

/// Converts `count` elements from `src` (type `from`) to `dst` (type `to`).
void convertElements(const uint8_t *src, DType from, uint8_t *dst, DType to,
                     size_t count);

/// acc[m x n] (+)= lhs[m x k] * rhs[k x n]; pitches are row strides in bytes.
/// bf16 inputs accumulate in f32, int8 inputs in int32 (wrapping), always in
/// ascending k order.
void matmulAccumulate(DType input, const uint8_t *lhs, size_t lhsPitch,
                      const uint8_t *rhs, size_t rhsPitch, uint8_t *acc,
                      size_t accPitch, size_t m, size_t k, size_t n,
                      bool accumulate);

/// The bf16 case of matmulAccumulate (MatmulKernel.cpp).
void matmulAccumulateBF16(const uint8_t *lhs, size_t lhsPitch,
                          const uint8_t *rhs, size_t rhsPitch, uint8_t *acc,
                          size_t accPitch, size_t m, size_t k, size_t n,
                          bool accumulate);

/// One row of a vector operation: `len` elements of type `type`.
void vectorBinary(isa::VBinOp op, DType type, const uint8_t *a,
                  const uint8_t *b, uint8_t *d, size_t len);
void vectorScalar(isa::VBinOp op, DType type, const uint8_t *a, uint32_t s,
                  uint8_t *d, size_t len);
void vectorUnary(isa::VUnOp op, DType type, const uint8_t *a, uint8_t *d,
                 size_t len);
void vectorFma(DType type, const uint8_t *a, const uint8_t *b, uint8_t *d,
               size_t len);
/// Reduces `len` elements of `a` into the single element `d`.
void vectorReduce(isa::VRedOp op, DType type, const uint8_t *a, uint8_t *d,
                  size_t len);
void vectorCompare(isa::VCmpOp op, DType type, const uint8_t *a,
                   const uint8_t *b, uint8_t *d, size_t len);
void vectorSelect(DType type, const uint8_t *mask, const uint8_t *b, uint8_t *d,
                  size_t len);
/// i32 -> i8: saturate(((a * mult) + 2^(shift-1)) >> shift) + zeroPoint).
void vectorRequantize(const uint8_t *a, int32_t mult, int32_t shift,
                      int32_t zeroPoint, uint8_t *d, size_t len);

} // namespace sinan::sim

#endif // SINAN_RUNTIME_SIM_COMPUTE_H
