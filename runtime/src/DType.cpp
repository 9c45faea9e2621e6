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
         type == DType::F64;
}

bool isUnsignedDType(DType type) {
  return type == DType::U8 || type == DType::U16 || type == DType::U32 ||
         type == DType::U64;
}

bool isDeviceDType(DType type) {
  return static_cast<unsigned>(type) <= static_cast<unsigned>(DType::I1) &&
         type != DType::I64;
}

} // namespace sinan
