//===- Table.cpp - The instruction table as data --------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/isa/IsaTable.h"

#include <array>

namespace sinan::isa {

#define SINAN_ISA_ENUM_TEXT(Value, Text) Text,
#define SINAN_ISA_DEFINE_ENUM_INFO(Name, What, List)                           \
  static constexpr std::string_view k##Name##Names[] = {                       \
      List(SINAN_ISA_ENUM_TEXT)};                                              \
  const EnumInfo k##Name##Info = {#Name, What, k##Name##Names,                 \
                                  sizeof(k##Name##Names) /                     \
                                      sizeof(k##Name##Names[0])};
SINAN_ISA_ENUMS(SINAN_ISA_DEFINE_ENUM_INFO)
#undef SINAN_ISA_DEFINE_ENUM_INFO
#undef SINAN_ISA_ENUM_TEXT

namespace {

#define SINAN_ISA_COUNT_OP(Name, Mnemonic, Code, Engine, Regs, Summary) +1
constexpr size_t kNumOps = 0 SINAN_ISA_OPS(SINAN_ISA_COUNT_OP);
#undef SINAN_ISA_COUNT_OP

const EnumInfo *const kEnums[] = {
#define SINAN_ISA_ENUM_POINTER(Name, What, List) &k##Name##Info,
    SINAN_ISA_ENUMS(SINAN_ISA_ENUM_POINTER)
#undef SINAN_ISA_ENUM_POINTER
};

const FieldInfo kFields[] = {
#define SINAN_ISA_FIELD_ROW(Op, Mnemonic, Name, Word, Lo, Width, Kind, CType,  \
                            Doc)                                               \
  {Opcode::Op, #Name,           FieldWord::Word,     Lo,                       \
   Width,      FieldKind::Kind, enumInfoOf<CType>(), Doc},
    SINAN_ISA_FIELDS(SINAN_ISA_FIELD_ROW)
#undef SINAN_ISA_FIELD_ROW
};

constexpr uint8_t registerMask(std::string_view letters) {
  uint8_t mask = 0;
  for (char c : letters)
    mask |= c == 'a' ? kRa : c == 'b' ? kRb : c == 'c' ? kRc : 0;
  return mask;
}

const FieldInfo *fieldsBegin(Opcode opcode) {
  for (const FieldInfo &field : kFields)
    if (field.opcode == opcode)
      return &field;
  return std::end(kFields);
}

const FieldInfo *fieldsEnd(const FieldInfo *begin) {
  const FieldInfo *end = begin;
  while (end != std::end(kFields) && end->opcode == begin->opcode)
    ++end;
  return end;
}

std::array<OpInfo, kNumOps> buildOps() {
  std::array<OpInfo, kNumOps> ops = {{
#define SINAN_ISA_OP_ROW(Name, Mnemonic, Code, Eng, Regs, Summary)             \
  {Opcode::Name, #Mnemonic, Engine::Eng, registerMask(Regs),                   \
   Summary,      nullptr,   nullptr},
      SINAN_ISA_OPS(SINAN_ISA_OP_ROW)
#undef SINAN_ISA_OP_ROW
  }};
  for (OpInfo &op : ops) {
    op.fieldsBegin = fieldsBegin(op.opcode);
    op.fieldsEnd = fieldsEnd(op.fieldsBegin);
  }
  return ops;
}

const std::array<OpInfo, kNumOps> &ops() {
  static const std::array<OpInfo, kNumOps> table = buildOps();
  return table;
}

/// Opcode byte -> row, for the decoder and engineOf().
const std::array<const OpInfo *, 256> &byCode() {
  static const std::array<const OpInfo *, 256> index = [] {
    std::array<const OpInfo *, 256> result{};
    for (const OpInfo &op : ops())
      result[static_cast<uint8_t>(op.opcode)] = &op;
    return result;
  }();
  return index;
}

} // namespace

uint64_t FieldInfo::get(const Instruction &inst) const {
  return readField(inst, word, lo, width);
}

void FieldInfo::set(Instruction &inst, uint64_t value) const {
  writeField(inst, word, lo, width, value);
}

int64_t FieldInfo::getSigned(const Instruction &inst) const {
  uint64_t bits = get(inst);
  if (!isSigned() || width == 64)
    return static_cast<int64_t>(bits);
  uint64_t sign = uint64_t(1) << (width - 1);
  return static_cast<int64_t>((bits ^ sign) - sign);
}

uint32_t FieldInfo::flagsMask() const {
  if (word != FieldWord::Flags)
    return 0;
  return static_cast<uint32_t>(fieldMask(width) << lo);
}

uint32_t OpInfo::flagsMask() const {
  uint32_t mask = 0;
  for (const FieldInfo *f = fieldsBegin; f != fieldsEnd; ++f)
    mask |= f->flagsMask();
  return mask;
}

bool OpInfo::usesImm0() const {
  for (const FieldInfo *f = fieldsBegin; f != fieldsEnd; ++f)
    if (f->word == FieldWord::Imm0 || f->word == FieldWord::Imm64)
      return true;
  return false;
}

bool OpInfo::usesImm1() const {
  for (const FieldInfo *f = fieldsBegin; f != fieldsEnd; ++f)
    if (f->word == FieldWord::Imm1 || f->word == FieldWord::Imm64)
      return true;
  return false;
}

const OpInfo *opsBegin() { return ops().data(); }
const OpInfo *opsEnd() { return ops().data() + ops().size(); }

const OpInfo *lookup(Opcode opcode) {
  return byCode()[static_cast<uint8_t>(opcode)];
}

const OpInfo *lookup(std::string_view name) {
  for (const OpInfo &op : ops())
    if (op.name == name)
      return &op;
  return nullptr;
}

const EnumInfo *const *enumsBegin() { return std::begin(kEnums); }
const EnumInfo *const *enumsEnd() { return std::end(kEnums); }

} // namespace sinan::isa
