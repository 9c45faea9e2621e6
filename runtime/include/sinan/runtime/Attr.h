//===- Attr.h - Op attributes on plain data ---------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The attributes of a graph op as the runtime sees them: in compiled modules
// (host-op steps) and when the compiler's evaluator calls the reference
// kernels. Booleans are ints.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_RUNTIME_ATTR_H
#define SINAN_RUNTIME_ATTR_H

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace sinan {

using AttrValue = std::variant<int64_t, double, std::string,
                               std::vector<int64_t>, std::vector<double>>;

struct Attr {
  std::string name;
  AttrValue value;
};

} // namespace sinan

#endif // SINAN_RUNTIME_ATTR_H
