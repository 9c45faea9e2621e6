//===- Args.h - Typed access to host-op attributes --------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The stored_bf16 attribute of SNPU launches, and the shape library's
// attribute reader and ODS signatures under runtime/ref's names (internal to
// runtime/ref).
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_RUNTIME_REF_ARGS_H
#define SINAN_RUNTIME_REF_ARGS_H

#include "sinan/runtime/Attr.h"
#include "sinan/runtime/shape/Args.h"
#include "sinan/runtime/shape/OpSignatures.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace sinan::ref {

using shape::Args;
using shape::AttrKind;
using shape::AttrSignature;
using shape::graphOpSignature;
using shape::graphOpSignatures;
using shape::OpSignature;
using shape::TypeConstraint;
using shape::TypeTie;
using shape::ValueKind;
using shape::ValueSignature;

/// Whether `attrs` has a stored_bf16 attribute (which only an SNPU launch's
/// host fallback may carry: a fused host kernel refuses it).
inline bool hasStoredBF16(const std::vector<Attr> &attrs) {
  return std::any_of(attrs.begin(), attrs.end(),
                     [](const Attr &a) { return a.name == "stored_bf16"; });
}

/// The stored_bf16 attribute of an SNPU launch's host fallback: the
/// bindings (inputs, then outputs; `bindings` in all) its kernel keeps in
/// DRAM as bf16 while the op computes in f32, ascending and distinct.
/// Nullopt when absent or malformed (`error` then names the problem);
/// `rest` gets the other attributes.
std::optional<std::vector<int64_t>>
storedBF16(std::string_view op, const std::vector<Attr> &attrs, size_t bindings,
           std::vector<Attr> &rest, std::string &error);

} // namespace sinan::ref

#endif // SINAN_RUNTIME_REF_ARGS_H
