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
  // Host-only types (model inputs and reference evaluation; not SNPU types).
  U8 = 7,
  I16 = 8,
  U16 = 9,
  U32 = 10,
  U64 = 11,
  F64 = 12,
  // Host-only storage formats of quantized models; one byte per element
  // (i4, u4 and f4 unpacked). Arithmetic on them goes through f32 or i64.
  F8E4M3FN = 13,
  F8E4M3FNUZ = 14,
  F8E5M2 = 15,
  F8E5M2FNUZ = 16,
  F8E8M0FNU = 17,
  F4E2M1FN = 18,
  I4 = 19,
  U4 = 20,
};

/// Number of DType values; keep in sync with the enum.
inline constexpr unsigned kNumDTypes = 21;

/// Storage size of one element in bytes (I1 is stored as one byte).
size_t dtypeSize(DType type);

/// Canonical lower-case spelling, as in MLIR: "f32", "bf16", "i8", ...
std::string_view dtypeName(DType type);

/// Parses a canonical spelling; std::nullopt for anything else.
std::optional<DType> parseDType(std::string_view name);

/// Like parseDType, but on failure fills `error` with a message naming the
/// offending spelling and the accepted ones.
std::optional<DType> parseDType(std::string_view name, std::string &error);

/// True for F32, F16, BF16, F64 and the 8- and 4-bit float formats.
bool isFloatDType(DType type);

/// True for the 8- and 4-bit float formats.
bool isMiniFloatDType(DType type);

/// True for U4, U8, U16, U32 and U64.
bool isUnsignedDType(DType type);

/// The types the SNPU and its ISA encode (codes 0-6 except i64).
bool isDeviceDType(DType type);

} // namespace sinan

#endif // SINAN_RUNTIME_DTYPE_H
