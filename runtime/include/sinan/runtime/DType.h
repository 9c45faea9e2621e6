//===- DType.h - Element types shared by runtime and compiler ---*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The element types a Sinan tensor can hold. The numbering is part of the
// module and ISA encodings, so existing values never change.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_RUNTIME_DTYPE_H
#define SINAN_RUNTIME_DTYPE_H

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sinan {

/// Element type of a tensor. Values are stable across versions.
enum class DType : uint8_t {
  F32 = 0,
  F16 = 1,
  BF16 = 2,
  I8 = 3,
  I32 = 4,
  I64 = 5,
  I1 = 6,
};

/// Number of DType values; keep in sync with the enum.
inline constexpr unsigned kNumDTypes = 7;

/// Storage size of one element in bytes (I1 is stored as one byte).
size_t dtypeSize(DType type);

/// Canonical lower-case spelling, as in MLIR: "f32", "bf16", "i8", ...
std::string_view dtypeName(DType type);

/// Parses a canonical spelling; std::nullopt for anything else.
std::optional<DType> parseDType(std::string_view name);

/// Like parseDType, but on failure fills `error` with a message naming the
/// offending spelling and the accepted ones.
std::optional<DType> parseDType(std::string_view name, std::string &error);

/// True for F32, F16 and BF16.
bool isFloatDType(DType type);

} // namespace sinan

#endif // SINAN_RUNTIME_DTYPE_H
