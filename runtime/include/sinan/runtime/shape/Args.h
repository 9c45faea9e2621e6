//===- Args.h - Typed access to graph-op attributes -------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Shared by the shape rules (OpRules), the host-op dispatcher and the
// host-op check.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_RUNTIME_SHAPE_ARGS_H
#define SINAN_RUNTIME_SHAPE_ARGS_H

#include "sinan/runtime/Attr.h"
#include "sinan/runtime/shape/OpSignatures.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace sinan::shape {

/// Typed attribute lookup; the first problem is kept in `error`. An
/// attribute the module leaves out takes the graph dialect's ODS default
/// (`signature`); a fallback given in code applies only to attributes ODS
/// does not define or leaves optional without a default.
class Args {
public:
  Args(const std::vector<Attr> &attrs, std::string &error,
       const OpSignature *signature = nullptr)
      : attrs(attrs), error(error), signature(signature) {}

  bool ok() const { return error.empty(); }

  int64_t i(const char *name, std::optional<int64_t> fallback = {}) {
    const AttrValue *v = find(name);
    if (!v)
      return missing(name, fallback, int64_t{0});
    if (auto *x = std::get_if<int64_t>(v))
      return *x;
    return wrongKind(name, "an integer", int64_t{0});
  }

  double f(const char *name, std::optional<double> fallback = {}) {
    const AttrValue *v = find(name);
    if (!v)
      return missing(name, fallback, 0.0);
    if (auto *x = std::get_if<double>(v))
      return *x;
    if (auto *x = std::get_if<int64_t>(v))
      return static_cast<double>(*x);
    return wrongKind(name, "a number", 0.0);
  }

  std::string s(const char *name, std::optional<std::string> fallback = {}) {
    const AttrValue *v = find(name);
    if (!v)
      return missing(name, fallback, std::string());
    if (auto *x = std::get_if<std::string>(v))
      return *x;
    return wrongKind(name, "a string", std::string());
  }

  /// An integer list; `size` (when not -1) is the required length.
  std::vector<int64_t> ints(const char *name, int64_t size = -1,
                            std::optional<std::vector<int64_t>> fallback = {}) {
    const AttrValue *v = find(name);
    std::vector<int64_t> result;
    if (!v)
      result = missing(name, fallback, std::vector<int64_t>());
    else if (auto *x = std::get_if<std::vector<int64_t>>(v))
      result = *x;
    else
      return wrongKind(name, "an integer list", std::vector<int64_t>());
    if (ok() && size >= 0 && static_cast<int64_t>(result.size()) != size) {
      fail(fmt::format("attribute '{}' has {} values, expected {}", name,
                       result.size(), size));
      result.assign(size, 0);
    }
    return result;
  }

  std::vector<double>
  floats(const char *name,
         std::optional<std::vector<double>> fallback = std::nullopt) {
    const AttrValue *v = find(name);
    if (!v)
      return missing(name, fallback, std::vector<double>());
    if (auto *x = std::get_if<std::vector<double>>(v))
      return *x;
    return wrongKind(name, "a float list", std::vector<double>());
  }

  /// An axis attribute normalized against `rank`.
  int64_t axis(const char *name, int64_t rank) {
    int64_t a = i(name);
    if (!ok())
      return 0;
    if (a < -rank || a >= std::max<int64_t>(rank, 1)) {
      fail(fmt::format("attribute '{}' = {} is out of range for rank {}", name,
                       a, rank));
      return 0;
    }
    return a < 0 ? a + rank : a;
  }

  /// An axis list normalized against `rank` and sorted.
  std::vector<int64_t> axes(const char *name, int64_t rank) {
    std::vector<int64_t> result = ints(name);
    for (int64_t &a : result) {
      if (a < -rank || a >= rank) {
        fail(fmt::format("attribute '{}' has axis {} out of range for rank {}",
                         name, a, rank));
        return {};
      }
      a = a < 0 ? a + rank : a;
    }
    std::sort(result.begin(), result.end());
    return result;
  }

  void fail(std::string message) {
    if (error.empty())
      error = std::move(message);
  }

private:
  const AttrValue *find(const char *name) const {
    for (const Attr &a : attrs)
      if (a.name == name)
        return &a.value;
    return nullptr;
  }
  template <typename T>
  T missing(const char *name, const std::optional<T> &fallback, T zero) {
    if (const AttrSignature *ods =
            signature ? signature->attr(name) : nullptr) {
      if (ods->fallback)
        if (const T *value = std::get_if<T>(&*ods->fallback))
          return *value;
      if (ods->required) {
        fail(fmt::format("missing attribute '{}'", name));
        return zero;
      }
    }
    if (fallback)
      return *fallback;
    fail(fmt::format("missing attribute '{}'", name));
    return zero;
  }
  template <typename T>
  T wrongKind(const char *name, const char *kind, T zero) {
    fail(fmt::format("attribute '{}' is not {}", name, kind));
    return zero;
  }

  const std::vector<Attr> &attrs;
  std::string &error;
  const OpSignature *signature;
};

} // namespace sinan::shape

#endif // SINAN_RUNTIME_SHAPE_ARGS_H
