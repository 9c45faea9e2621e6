//===- Compare.cpp - Numeric comparison of tensors ------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/Compare.h"

#include <fmt/format.h>

#include <cmath>

namespace sinan {

Comparison compare(const Tensor &actual, const Tensor &expected, double rtol,
                   double atol) {
  Comparison result;
  result.shapesMatch = actual.shape() == expected.shape();
  if (!result.shapesMatch) {
    result.cosine = 0;
    return result;
  }
  result.exact = actual.type() == expected.type() &&
                 actual.byteSize() == expected.byteSize() &&
                 std::equal(actual.data(), actual.data() + actual.byteSize(),
                            expected.data());
  double dot = 0, normA = 0, normE = 0;
  for (int64_t i = 0; i < expected.numElements(); ++i) {
    double a = actual.getDouble(i), e = expected.getDouble(i);
    bool close;
    if (std::isnan(a) || std::isnan(e)) {
      close = std::isnan(a) && std::isnan(e);
    } else if (std::isinf(a) || std::isinf(e)) {
      close = a == e;
    } else {
      double abs = std::fabs(a - e);
      result.maxAbsError = std::max(result.maxAbsError, abs);
      if (e != 0)
        result.maxRelError = std::max(result.maxRelError, abs / std::fabs(e));
      close = abs <= atol + rtol * std::fabs(e);
      dot += a * e;
      normA += a * a;
      normE += e * e;
    }
    if (!close) {
      if (result.firstMismatch < 0)
        result.firstMismatch = i;
      ++result.mismatches;
    }
  }
  result.allClose = result.mismatches == 0;
  if (normA > 0 && normE > 0)
    result.cosine = dot / (std::sqrt(normA) * std::sqrt(normE));
  else
    result.cosine = normA == normE ? 1 : 0;
  return result;
}

std::string Comparison::summary() const {
  if (!shapesMatch)
    return "shape mismatch, fail";
  std::string text =
      fmt::format("max abs {:.3g}, max rel {:.3g}, cosine {:.6f}", maxAbsError,
                  maxRelError, cosine);
  if (exact)
    return text + ", exact, pass";
  if (allClose)
    return text + ", pass";
  return text + fmt::format(", {} element{} out of tolerance (first at {}), "
                            "fail",
                            mismatches, mismatches == 1 ? "" : "s",
                            firstMismatch);
}

} // namespace sinan
