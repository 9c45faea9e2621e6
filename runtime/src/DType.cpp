//===- DType.cpp - Element types ------------------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/DType.h"

#include <fmt/format.h>

#include <array>

namespace sinan {
namespace {
struct DTypeInfo {
  DType type;
  std::string_view name;
  size_t size;
};

constexpr std::array<DTypeInfo, kNumDTypes> kInfo = {{
    {DType::F32, "f32", 4},
    {DType::F16, "f16", 2},
    {DType::BF16, "bf16", 2},
    {DType::I8, "i8", 1},
    {DType::I32, "i32", 4},
    {DType::I64, "i64", 8},
    {DType::I1, "i1", 1},
    {DType::U8, "u8", 1},
    {DType::I16, "i16", 2},
    {DType::U16, "u16", 2},
    {DType::U32, "u32", 4},
    {DType::U64, "u64", 8},
    {DType::F64, "f64", 8},
    {DType::F8E4M3FN, "f8E4M3FN", 1},
    {DType::F8E4M3FNUZ, "f8E4M3FNUZ", 1},
    {DType::F8E5M2, "f8E5M2", 1},
    {DType::F8E5M2FNUZ, "f8E5M2FNUZ", 1},
    {DType::F8E8M0FNU, "f8E8M0FNU", 1},
    {DType::F4E2M1FN, "f4E2M1FN", 1},
    {DType::I4, "i4", 1},
    {DType::U4, "u4", 1},
}};

constexpr bool isIndexedByDType() {
  for (size_t i = 0; i < kInfo.size(); ++i)
    if (static_cast<size_t>(kInfo[i].type) != i)
      return false;
  return true;
}
static_assert(isIndexedByDType(), "kInfo must be ordered by DType value");

const DTypeInfo &info(DType type) { return kInfo[static_cast<size_t>(type)]; }
} // namespace

size_t dtypeSize(DType type) { return info(type).size; }

std::string_view dtypeName(DType type) { return info(type).name; }

std::optional<DType> parseDType(std::string_view name) {
  for (const DTypeInfo &entry : kInfo)
    if (entry.name == name)
      return entry.type;
  return std::nullopt;
}

std::optional<DType> parseDType(std::string_view name, std::string &error) {
  if (std::optional<DType> type = parseDType(name))
    return type;
  std::string accepted;
  for (const DTypeInfo &entry : kInfo)
    accepted += fmt::format("{}{}", accepted.empty() ? "" : ", ", entry.name);
  error = fmt::format("unknown element type '{}' (expected one of: {})", name,
                      accepted);
  return std::nullopt;
}

bool isFloatDType(DType type) {
  return type == DType::F32 || type == DType::F16 || type == DType::BF16 ||
         type == DType::F64 || isMiniFloatDType(type);
}

bool isMiniFloatDType(DType type) {
  return type >= DType::F8E4M3FN && type <= DType::F4E2M1FN;
}

bool isUnsignedDType(DType type) {
  return type == DType::U4 || type == DType::U8 || type == DType::U16 ||
         type == DType::U32 || type == DType::U64;
}

bool isDeviceDType(DType type) {
  return static_cast<unsigned>(type) <= static_cast<unsigned>(DType::I1) &&
         type != DType::I64;
}

} // namespace sinan
