//===- IsaTable.h - The instruction table as data and accessors -*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Instructions.def in two forms: typed accessors for code that reads or
// writes one field (the simulator, the assembler, the compiler's encoder),
// `isa::fields::<mnemonic>::<field>`, and tables for code that walks every
// opcode and field (the decoder's checks, sinan-isa-gen, tests).
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_RUNTIME_ISA_ISATABLE_H
#define SINAN_RUNTIME_ISA_ISATABLE_H

#include "sinan/runtime/isa/Isa.h"

#include <type_traits>

namespace sinan::isa {

/// Where a field lives: a bit range of word 1, all of word 2 or 3, or words
/// 2-3 as one little-endian 64-bit value.
enum class FieldWord : uint8_t { Flags, Imm0, Imm1, Imm64 };

/// What values a field may hold (Instructions.def says each).
enum class FieldKind : uint8_t {
  UInt,
  Bits,
  SInt,
  Bool,
  Positive,
  Type,
  Space,
  Enum,
  Target
};

struct EnumInfo {
  std::string_view name; ///< C++ name, e.g. "AluOp".
  std::string_view what; ///< For messages, e.g. "alu operation".
  const std::string_view *values;
  unsigned count;
};

struct FieldInfo {
  Opcode opcode;
  std::string_view name;
  FieldWord word;
  uint8_t lo, width;
  FieldKind kind;
  const EnumInfo *enumInfo; ///< For FieldKind::Enum.
  std::string_view doc;

  /// The field's bits of `inst`, zero-extended.
  uint64_t get(const Instruction &inst) const;
  /// Replaces the field's bits of `inst` with the low bits of `value`.
  void set(Instruction &inst, uint64_t value) const;
  /// The field's value as the signed number its kind denotes.
  int64_t getSigned(const Instruction &inst) const;
  /// The bits of word 1 the field occupies (0 for immediates).
  uint32_t flagsMask() const;
  bool isSigned() const {
    return kind == FieldKind::SInt || kind == FieldKind::Target;
  }
};

/// Register fields an opcode uses.
enum : uint8_t { kRa = 1, kRb = 2, kRc = 4 };

struct OpInfo {
  Opcode opcode;
  std::string_view name;
  Engine engine; ///< Executing engine unless engineOf() says otherwise.
  uint8_t regs;  ///< kRa | kRb | kRc.
  std::string_view summary;
  const FieldInfo *fieldsBegin, *fieldsEnd;

  uint32_t flagsMask() const;
  bool usesImm0() const;
  bool usesImm1() const;
};

/// Every opcode, in code order.
const OpInfo *opsBegin();
const OpInfo *opsEnd();
/// The row of `opcode`, or null for an unassigned opcode.
const OpInfo *lookup(Opcode opcode);
/// The opcode whose mnemonic is `name`.
const OpInfo *lookup(std::string_view name);

/// Every enum of sub-field codes.
const EnumInfo *const *enumsBegin();
const EnumInfo *const *enumsEnd();

template <typename T> constexpr const EnumInfo *enumInfoOf() { return nullptr; }
#define SINAN_ISA_DECLARE_ENUM_INFO(Name, What, List)                          \
  extern const EnumInfo k##Name##Info;                                         \
  template <> constexpr const EnumInfo *enumInfoOf<Name>() {                   \
    return &k##Name##Info;                                                     \
  }
SINAN_ISA_ENUMS(SINAN_ISA_DECLARE_ENUM_INFO)
#undef SINAN_ISA_DECLARE_ENUM_INFO

/// The assembly text of an enum code, e.g. name(AluOp::Add) == "add".
template <typename E> std::string_view name(E value) {
  return enumInfoOf<E>()->values[static_cast<unsigned>(value)];
}

/// The enum code whose assembly text is `text`, e.g.
/// parseName<VBinOp>("add") == VBinOp::Add.
template <typename E> std::optional<E> parseName(std::string_view text) {
  const EnumInfo *info = enumInfoOf<E>();
  for (unsigned i = 0; i < info->count; ++i)
    if (info->values[i] == text)
      return static_cast<E>(i);
  return std::nullopt;
}

/// The bits of `inst` a field at (word, lo, width) holds, zero-extended, and
/// their replacement by the low bits of `value`: the one implementation
/// behind FieldInfo and the typed accessors.
constexpr uint64_t fieldMask(unsigned width) {
  return width >= 64 ? ~uint64_t(0) : (uint64_t(1) << width) - 1;
}
constexpr uint64_t readField(const Instruction &inst, FieldWord word,
                             unsigned lo, unsigned width) {
  switch (word) {
  case FieldWord::Flags:
    return (inst.flags >> lo) & fieldMask(width);
  case FieldWord::Imm0:
    return inst.imm0;
  case FieldWord::Imm1:
    return inst.imm1;
  case FieldWord::Imm64:
    return uint64_t(inst.imm1) << 32 | inst.imm0;
  }
  return 0;
}
inline void writeField(Instruction &inst, FieldWord word, unsigned lo,
                       unsigned width, uint64_t value) {
  uint64_t bits = value & fieldMask(width);
  switch (word) {
  case FieldWord::Flags:
    inst.flags = static_cast<uint32_t>(
        (inst.flags & ~(fieldMask(width) << lo)) | (bits << lo));
    break;
  case FieldWord::Imm0:
    inst.imm0 = static_cast<uint32_t>(value);
    break;
  case FieldWord::Imm1:
    inst.imm1 = static_cast<uint32_t>(value);
    break;
  case FieldWord::Imm64:
    inst.imm0 = static_cast<uint32_t>(value);
    inst.imm1 = static_cast<uint32_t>(value >> 32);
    break;
  }
}

namespace fields {

/// Reads and writes one field of an instruction as its C++ type.
template <typename T, FieldWord W, unsigned Lo, unsigned Width> struct Field {
  constexpr T operator()(const Instruction &inst) const {
    uint64_t bits = readField(inst, W, Lo, Width);
    if constexpr (std::is_same_v<T, bool>)
      return bits != 0;
    else
      return static_cast<T>(bits);
  }
  static void set(Instruction &inst, T value) {
    writeField(inst, W, Lo, Width, static_cast<uint64_t>(value));
  }
};

#define SINAN_ISA_FIELD_ACCESSOR(Op, Mnemonic, Name, Word, Lo, Width, Kind,    \
                                 CType, Doc)                                   \
  namespace Mnemonic {                                                         \
  inline constexpr Field<CType, FieldWord::Word, Lo, Width> Name{};            \
  }
SINAN_ISA_FIELDS(SINAN_ISA_FIELD_ACCESSOR)
#undef SINAN_ISA_FIELD_ACCESSOR

} // namespace fields
} // namespace sinan::isa

#endif // SINAN_RUNTIME_ISA_ISATABLE_H
