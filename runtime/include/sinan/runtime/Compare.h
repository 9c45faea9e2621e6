//===- Compare.h - Numeric comparison of tensors -----------------*- C++
//-*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Compares an actual tensor with an expected one the way tpu-mlir does: exact,
// then allclose (|a - e| <= atol + rtol * |e|, NaN equal to NaN), then
// similarity (cosine). Used by sinan-run and the conformance runner.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_RUNTIME_COMPARE_H
#define SINAN_RUNTIME_COMPARE_H

#include "sinan/runtime/Tensor.h"

#include <string>

namespace sinan {

struct Comparison {
  bool shapesMatch = false;
  bool exact = false;
  bool allClose = false;
  double maxAbsError = 0, maxRelError = 0, cosine = 1;
  int64_t mismatches = 0;     ///< Elements outside the tolerance.
  int64_t firstMismatch = -1; ///< Flat index of the first one.

  /// One line: "max abs 1e-6, max rel 2e-5, cosine 1.000000, pass".
  std::string summary() const;
};

Comparison compare(const Tensor &actual, const Tensor &expected, double rtol,
                   double atol);

} // namespace sinan

#endif // SINAN_RUNTIME_COMPARE_H
