//===- Assembly.cpp - SNPU assembler and disassembler ---------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Text form, one instruction per line:
//   mnemonic[.suffix...] operand, operand, ...   # comment
// Memory operands are `space[rN+offset]`; labels are `name:`. disassemble()
// prints exactly what assemble() reads, so text round-trips.
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/isa/Isa.h"

#include "IsaTables.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <cstring>
#include <map>

namespace sinan::isa {
namespace {

constexpr std::string_view kAluNames[] = {
    "add", "sub", "mul", "and", "or", "xor", "shl", "shr", "sra", "min", "max"};
constexpr std::string_view kBranchNames[] = {"beq", "bne", "blt", "bge"};
constexpr std::string_view kVBinNames[] = {"add", "sub", "mul",
                                           "div", "max", "min"};
constexpr std::string_view kVUnNames[] = {
    "relu",  "neg",  "abs",     "exp", "log",  "sqrt",     "rsqrt",
    "recip", "tanh", "sigmoid", "erf", "gelu", "hardswish"};
constexpr std::string_view kVRedNames[] = {"sum", "max", "min"};
constexpr std::string_view kVCmpNames[] = {"eq", "ne", "lt", "le", "gt", "ge"};
constexpr std::string_view kDmaCfgNames[] = {"shape", "src", "dst", "outer"};
constexpr std::string_view kVecCfgNames[] = {"len", "stride"};
constexpr std::string_view kMmaTypeNames[] = {"i8", "bf16"};
constexpr std::string_view kEngineNames[] = {"scl", "din", "mxu", "vec",
                                             "dout"};
constexpr std::string_view kSpaceNames[] = {"dram", "ibuf", "wbuf", "acc",
                                            "vbuf"};

template <size_t N>
std::optional<unsigned> indexOf(const std::string_view (&names)[N],
                                std::string_view name) {
  for (unsigned i = 0; i < N; ++i)
    if (names[i] == name)
      return i;
  return std::nullopt;
}

unsigned bits(uint32_t flags, unsigned shift, unsigned width) {
  return (flags >> shift) & ((1u << width) - 1);
}

//===----------------------------------------------------------------------===//
// Disassembler
//===----------------------------------------------------------------------===//

std::string reg(unsigned r) { return fmt::format("r{}", r); }

std::string mem(Space space, unsigned r, uint32_t offset) {
  if (offset == 0)
    return fmt::format("{}[r{}]", spaceName(space), r);
  return fmt::format("{}[r{}+{}]", spaceName(space), r, offset);
}

std::string typeName(unsigned code) {
  return std::string(dtypeName(static_cast<DType>(code)));
}

/// A vector-unit scalar immediate: a float literal when that is exact and
/// finite, else the raw bits.
std::string scalarText(uint32_t value, DType type) {
  if (type == DType::F32) {
    float f;
    std::memcpy(&f, &value, sizeof(f));
    if (std::isfinite(f))
      return fmt::format("{}", f); // Shortest text that reads back exactly.
    return fmt::format("0x{:08x}", value);
  }
  if (isFloatDType(type))
    return fmt::format("0x{:08x}", value);
  return fmt::format("{}", static_cast<int32_t>(value));
}
} // namespace

std::string disassemble(const Instruction &inst) {
  uint32_t f = inst.flags;
  // Operand texts, built only by the opcodes whose fields they read.
  auto a = [&] { return mem(spaceField(f, 8), inst.ra, inst.imm0); };
  auto b = [&] { return mem(spaceField(f, 12), inst.rb, inst.imm1); };
  auto d = [&] { return mem(Space::Vbuf, inst.rc, 0); };
  auto t = [&] { return typeName(bits(f, 0, 4)); };
  auto bcast = [&] { return (f & kBroadcastB) ? ".bcast" : ""; };
  switch (inst.opcode) {
  case Opcode::Nop:
  case Opcode::End:
  case Opcode::Barrier:
    return std::string(mnemonic(inst.opcode));
  case Opcode::Li:
    return fmt::format(
        "li {}, {}", reg(inst.ra),
        static_cast<int64_t>(uint64_t(inst.imm1) << 32 | inst.imm0));
  case Opcode::Alu:
    if (bits(f, 8, 1))
      return fmt::format("{} {}, {}, {}", kAluNames[bits(f, 0, 4)],
                         reg(inst.ra), reg(inst.rb),
                         static_cast<int32_t>(inst.imm0));
    return fmt::format("{} {}, {}, {}", kAluNames[bits(f, 0, 4)], reg(inst.ra),
                       reg(inst.rb), reg(inst.rc));
  case Opcode::Br:
    return fmt::format("{} {}, {}, {}", kBranchNames[bits(f, 0, 2)],
                       reg(inst.ra), reg(inst.rb),
                       static_cast<int32_t>(inst.imm0));
  case Opcode::Signal:
  case Opcode::Wait:
    return fmt::format("{} {}, {}, {}", mnemonic(inst.opcode),
                       kEngineNames[bits(f, 0, 3)], kEngineNames[bits(f, 3, 3)],
                       inst.imm0);
  case Opcode::CSignal:
    return fmt::format("csignal {}, {}", inst.imm0, inst.imm1);
  case Opcode::CWait:
    return fmt::format("cwait {}", inst.imm0);
  case Opcode::DCfg: {
    std::string head =
        fmt::format("dcfg.{} {}, {}, {}", bits(f, 0, 1) ? "dout" : "din",
                    kDmaCfgNames[bits(f, 1, 2)], reg(inst.ra), reg(inst.rb));
    if (bits(f, 1, 2) == unsigned(DmaCfg::Outer))
      return head;
    return head + ", " + reg(inst.rc);
  }
  case Opcode::DLoad:
    return fmt::format("dload.{}.{} {}, {}", t(), typeName(bits(f, 4, 4)), a(),
                       mem(Space::Dram, inst.rb, inst.imm1));
  case Opcode::DStore:
    return fmt::format("dstore.{}.{}{} {}, {}", t(), typeName(bits(f, 4, 4)),
                       bits(f, 11, 1) ? ".relu" : "",
                       mem(Space::Dram, inst.ra, inst.imm0),
                       mem(spaceField(f, 8), inst.rb, inst.imm1));
  case Opcode::DMove:
    return fmt::format("dmove.{} {}, {}", t(), a(), b());
  case Opcode::DFill:
    return fmt::format("dfill.{} {}, 0x{:x}", t(), a(), inst.imm1);
  case Opcode::MCfg:
    return fmt::format("mcfg {}, {}, {}", inst.imm0, inst.imm1,
                       bits(f, 16, 16));
  case Opcode::Mma:
    return fmt::format("mma.{}{} {}, {}, {}", kMmaTypeNames[bits(f, 0, 2)],
                       bits(f, 2, 1) ? ".acc" : "", mem(Space::Acc, inst.rc, 0),
                       mem(Space::Ibuf, inst.ra, inst.imm0),
                       mem(Space::Wbuf, inst.rb, inst.imm1));
  case Opcode::VCfg:
    if (bits(f, 0, 2) == unsigned(VecCfg::Len))
      return fmt::format("vcfg len, {}, {}", reg(inst.ra), reg(inst.rb));
    return fmt::format("vcfg stride, {}, {}, {}", reg(inst.ra), reg(inst.rb),
                       reg(inst.rc));
  case Opcode::VBin:
    return fmt::format("vbin.{}.{}{} {}, {}, {}", kVBinNames[bits(f, 4, 4)],
                       t(), bcast(), d(), a(), b());
  case Opcode::VUn:
    return fmt::format("vun.{}.{} {}, {}", kVUnNames[bits(f, 4, 4)], t(), d(),
                       a());
  case Opcode::VScal:
    return fmt::format(
        "vscal.{}.{} {}, {}, {}", kVBinNames[bits(f, 4, 4)], t(), d(), a(),
        scalarText(inst.imm1, static_cast<DType>(bits(f, 0, 4))));
  case Opcode::VFma:
    return fmt::format("vfma.{}{} {}, {}, {}", t(), bcast(), d(), a(), b());
  case Opcode::VRed:
    return fmt::format("vred.{}.{} {}, {}", kVRedNames[bits(f, 4, 4)], t(), d(),
                       a());
  case Opcode::VCvt:
    return fmt::format("vcvt.{}.{} {}, {}", t(), typeName(bits(f, 4, 4)), d(),
                       a());
  case Opcode::VCmp:
    return fmt::format("vcmp.{}.{}{} {}, {}, {}", kVCmpNames[bits(f, 4, 4)],
                       t(), bcast(), d(), a(), b());
  case Opcode::VSel:
    return fmt::format("vsel.{} {}, {}, {}", t(), d(), a(), b());
  case Opcode::VTrans:
    return fmt::format("vtrans.{} {}, {}", t(), d(), a());
  case Opcode::VReq:
    return fmt::format("vreq {}, {}, {}, {}", d(), a(), b(),
                       static_cast<int16_t>(bits(f, 16, 16)));
  }
  return "<invalid>";
}

//===----------------------------------------------------------------------===//
// Assembler
//===----------------------------------------------------------------------===//

namespace {

struct Operand {
  std::string_view text;
  size_t column; // 1-based column in the line.
};

struct MemOperand {
  Space space;
  uint8_t reg = 0;
  uint32_t offset = 0;
  bool hasOffset = false;
};

/// Parses one line's instruction; the first error wins.
class LineParser {
public:
  LineParser(std::string_view line, size_t lineNo, size_t index,
             const std::map<std::string, size_t, std::less<>> &labels)
      : line(line), lineNo(lineNo), index(index), labels(labels) {}

  std::optional<Instruction> parse(std::string_view body, size_t bodyColumn);
  const std::string &error() const { return message; }

private:
  bool fail(size_t column, const std::string &text) {
    if (message.empty())
      message = fmt::format("line {}, column {}: {}", lineNo, column, text);
    return false;
  }
  bool expectOperands(size_t count);
  bool expectSuffixes(size_t min, size_t max);
  std::optional<unsigned> suffixIndex(size_t i, const std::string_view *names,
                                      size_t count, const char *what);
  std::optional<unsigned> typeSuffix(size_t i);
  bool reg(size_t i, uint8_t &out);
  std::optional<int64_t> integer(size_t i, int64_t min, int64_t max);
  std::optional<MemOperand> memory(size_t i);
  bool memoryIn(size_t i, Space required, uint8_t &regOut, uint32_t *offset);
  bool localMemory(size_t i, uint32_t &flags, unsigned shift, uint8_t &regOut,
                   uint32_t &offset);
  std::optional<unsigned> engine(size_t i);
  bool scalar(size_t i, DType type, uint32_t &out);

  std::string_view line;
  size_t lineNo, index;
  const std::map<std::string, size_t, std::less<>> &labels;
  std::string message;
  size_t mnemonicColumn = 1;
  std::vector<std::string_view> suffixes;
  std::vector<Operand> operands;
};

std::string_view trim(std::string_view text, size_t *leading = nullptr) {
  size_t begin = 0;
  while (begin < text.size() && std::isspace((unsigned char)text[begin]))
    ++begin;
  size_t end = text.size();
  while (end > begin && std::isspace((unsigned char)text[end - 1]))
    --end;
  if (leading)
    *leading = begin;
  return text.substr(begin, end - begin);
}

bool LineParser::expectOperands(size_t count) {
  if (operands.size() != count)
    return fail(mnemonicColumn,
                fmt::format("expected {} operand{}, got {}", count,
                            count == 1 ? "" : "s", operands.size()));
  return true;
}

bool LineParser::expectSuffixes(size_t min, size_t max) {
  if (suffixes.size() < min || suffixes.size() > max)
    return fail(mnemonicColumn,
                fmt::format("expected {} suffix{}, got {}",
                            min == max ? fmt::format("{}", min)
                                       : fmt::format("{} to {}", min, max),
                            max == 1 ? "" : "es", suffixes.size()));
  return true;
}

std::optional<unsigned> LineParser::suffixIndex(size_t i,
                                                const std::string_view *names,
                                                size_t count,
                                                const char *what) {
  for (unsigned k = 0; k < count; ++k)
    if (names[k] == suffixes[i])
      return k;
  std::string known;
  for (size_t k = 0; k < count; ++k)
    known += (k ? ", " : "") + std::string(names[k]);
  fail(mnemonicColumn, fmt::format("unknown {} '{}' (expected one of: {})",
                                   what, suffixes[i], known));
  return std::nullopt;
}

std::optional<unsigned> LineParser::typeSuffix(size_t i) {
  std::optional<DType> type = parseDType(suffixes[i]);
  if (!type || !isDeviceDType(*type)) {
    fail(mnemonicColumn,
         fmt::format("unknown element type '{}' (expected f32, f16, bf16, i8, "
                     "i32 or i1)",
                     suffixes[i]));
    return std::nullopt;
  }
  return static_cast<unsigned>(*type);
}

bool parseRegText(std::string_view text, uint8_t &out) {
  if (text.size() < 2 || text[0] != 'r')
    return false;
  unsigned value = 0;
  for (char c : text.substr(1)) {
    if (!std::isdigit((unsigned char)c))
      return false;
    value = value * 10 + unsigned(c - '0');
    if (value >= kNumRegisters)
      return false;
  }
  out = static_cast<uint8_t>(value);
  return true;
}

bool LineParser::reg(size_t i, uint8_t &out) {
  if (!parseRegText(operands[i].text, out))
    return fail(operands[i].column,
                fmt::format("expected a register r0-r{}, got '{}'",
                            kNumRegisters - 1, operands[i].text));
  return true;
}

std::optional<int64_t> parseIntText(std::string_view text) {
  bool negative = !text.empty() && text[0] == '-';
  if (negative)
    text.remove_prefix(1);
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  if (text.empty())
    return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    int digit;
    if (std::isdigit((unsigned char)c))
      digit = c - '0';
    else if (base == 16 && std::isxdigit((unsigned char)c))
      digit = std::tolower((unsigned char)c) - 'a' + 10;
    else
      return std::nullopt;
    if (value > (UINT64_MAX - digit) / base)
      return std::nullopt;
    value = value * base + digit;
  }
  if (negative)
    return value > uint64_t(INT64_MAX) + 1
               ? std::nullopt
               : std::optional<int64_t>(-static_cast<int64_t>(value));
  return static_cast<int64_t>(value); // Hex may wrap into the sign bit.
}

std::optional<int64_t> LineParser::integer(size_t i, int64_t min, int64_t max) {
  std::optional<int64_t> value = parseIntText(operands[i].text);
  if (!value) {
    fail(operands[i].column,
         fmt::format("expected an integer, got '{}'", operands[i].text));
    return std::nullopt;
  }
  if (*value < min || *value > max) {
    fail(operands[i].column,
         fmt::format("{} is out of range [{}, {}]", *value, min, max));
    return std::nullopt;
  }
  return value;
}

std::optional<MemOperand> LineParser::memory(size_t i) {
  std::string_view text = operands[i].text;
  size_t open = text.find('[');
  if (open == std::string_view::npos || text.back() != ']') {
    fail(operands[i].column,
         fmt::format("expected a memory operand space[rN+offset], got '{}'",
                     text));
    return std::nullopt;
  }
  MemOperand result;
  std::optional<unsigned> space =
      indexOf(kSpaceNames, trim(text.substr(0, open)));
  if (!space) {
    fail(operands[i].column,
         fmt::format("unknown memory space '{}' (expected dram, ibuf, wbuf, "
                     "acc or vbuf)",
                     trim(text.substr(0, open))));
    return std::nullopt;
  }
  result.space = static_cast<Space>(*space);
  std::string_view inner = trim(text.substr(open + 1, text.size() - open - 2));
  size_t plus = inner.find('+');
  std::string_view regText = trim(inner.substr(0, plus));
  std::string_view offsetText;
  if (plus != std::string_view::npos) {
    offsetText = trim(inner.substr(plus + 1));
  } else if (!regText.empty() && regText[0] != 'r') {
    offsetText = regText; // `space[offset]` means r0 + offset.
    regText = "r0";
  }
  if (!parseRegText(regText, result.reg)) {
    fail(operands[i].column,
         fmt::format("expected a base register in '{}'", text));
    return std::nullopt;
  }
  if (!offsetText.empty()) {
    std::optional<int64_t> offset = parseIntText(offsetText);
    if (!offset || *offset < 0 || *offset > int64_t(UINT32_MAX)) {
      fail(operands[i].column,
           fmt::format("offset '{}' is not an integer in [0, 4294967295]",
                       offsetText));
      return std::nullopt;
    }
    result.offset = static_cast<uint32_t>(*offset);
    result.hasOffset = true;
  }
  return result;
}

/// A memory operand in a fixed space; `offset` null means no offset allowed.
bool LineParser::memoryIn(size_t i, Space required, uint8_t &regOut,
                          uint32_t *offset) {
  std::optional<MemOperand> operand = memory(i);
  if (!operand)
    return false;
  if (operand->space != required)
    return fail(operands[i].column,
                fmt::format("this operand must be in {}, got {}",
                            spaceName(required), spaceName(operand->space)));
  if (!offset && operand->hasOffset && operand->offset != 0)
    return fail(operands[i].column, "this operand takes no offset");
  regOut = operand->reg;
  if (offset)
    *offset = operand->offset;
  return true;
}

/// A memory operand in any local space, whose code goes to
/// flags[shift+2:shift].
bool LineParser::localMemory(size_t i, uint32_t &flags, unsigned shift,
                             uint8_t &regOut, uint32_t &offset) {
  std::optional<MemOperand> operand = memory(i);
  if (!operand)
    return false;
  if (operand->space == Space::Dram)
    return fail(operands[i].column, "this operand must be in local memory");
  flags |= static_cast<uint32_t>(operand->space) << shift;
  regOut = operand->reg;
  offset = operand->offset;
  return true;
}

std::optional<unsigned> LineParser::engine(size_t i) {
  std::optional<unsigned> id = indexOf(kEngineNames, operands[i].text);
  if (!id)
    fail(operands[i].column,
         fmt::format("unknown engine '{}' (expected scl, din, mxu, vec or "
                     "dout)",
                     operands[i].text));
  return id;
}

bool LineParser::scalar(size_t i, DType type, uint32_t &out) {
  std::string_view text = operands[i].text;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    std::optional<int64_t> bitsValue = parseIntText(text);
    if (!bitsValue || *bitsValue < 0 || *bitsValue > int64_t(UINT32_MAX))
      return fail(operands[i].column,
                  fmt::format("'{}' is not 32 bits of hex", text));
    out = static_cast<uint32_t>(*bitsValue);
    return true;
  }
  if (!isFloatDType(type)) {
    std::optional<int64_t> value = integer(i, INT32_MIN, INT32_MAX);
    if (!value)
      return false;
    out = static_cast<uint32_t>(*value);
    return true;
  }
  if (type != DType::F32)
    return fail(operands[i].column, "f16/bf16 scalars are written as hex bits");
  std::string copy(text);
  char *end = nullptr;
  float value = std::strtof(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size())
    return fail(
        operands[i].column,
        fmt::format("expected a float literal or 0x bits, got '{}'", text));
  std::memcpy(&out, &value, sizeof(out));
  return true;
}

std::optional<Instruction> LineParser::parse(std::string_view body,
                                             size_t bodyColumn) {
  size_t space = body.find_first_of(" \t");
  std::string_view head = body.substr(0, space);
  mnemonicColumn = bodyColumn;
  // Operands: split at top-level commas, remembering columns.
  if (space != std::string_view::npos) {
    size_t start = space + 1;
    while (start <= body.size()) {
      size_t comma = body.find(',', start);
      size_t end = comma == std::string_view::npos ? body.size() : comma;
      size_t lead;
      std::string_view text = trim(body.substr(start, end - start), &lead);
      if (text.empty()) {
        fail(bodyColumn + start, "empty operand");
        return std::nullopt;
      }
      operands.push_back({text, bodyColumn + start + lead});
      if (comma == std::string_view::npos)
        break;
      start = comma + 1;
    }
  }
  size_t dot = head.find('.');
  std::string_view base = head.substr(0, dot);
  while (dot != std::string_view::npos) {
    size_t next = head.find('.', dot + 1);
    suffixes.push_back(head.substr(dot + 1, next - dot - 1));
    dot = next;
  }

  Instruction inst;
  uint32_t &f = inst.flags;
  auto done = [&]() -> std::optional<Instruction> {
    if (!message.empty())
      return std::nullopt;
    std::string invalid;
    if (!validate(inst, invalid)) {
      fail(mnemonicColumn, invalid);
      return std::nullopt;
    }
    return inst;
  };

  if (std::optional<unsigned> op = indexOf(kAluNames, base)) {
    inst.opcode = Opcode::Alu;
    f = *op;
    if (!expectSuffixes(0, 0) || !expectOperands(3) || !reg(0, inst.ra) ||
        !reg(1, inst.rb))
      return std::nullopt;
    if (parseRegText(operands[2].text, inst.rc))
      return done();
    std::optional<int64_t> value = integer(2, INT32_MIN, INT32_MAX);
    if (!value)
      return std::nullopt;
    f |= 1u << 8;
    inst.imm0 = static_cast<uint32_t>(*value);
    return done();
  }
  if (std::optional<unsigned> cond = indexOf(kBranchNames, base)) {
    inst.opcode = Opcode::Br;
    f = *cond;
    if (!expectSuffixes(0, 0) || !expectOperands(3) || !reg(0, inst.ra) ||
        !reg(1, inst.rb))
      return std::nullopt;
    auto label = labels.find(operands[2].text);
    if (label != labels.end()) {
      inst.imm0 =
          static_cast<uint32_t>(int64_t(label->second) - int64_t(index));
      return done();
    }
    std::optional<int64_t> value = parseIntText(operands[2].text);
    if (!value || *value < INT32_MIN || *value > INT32_MAX) {
      fail(operands[2].column,
           fmt::format("'{}' is neither a label nor an instruction offset",
                       operands[2].text));
      return std::nullopt;
    }
    inst.imm0 = static_cast<uint32_t>(*value);
    return done();
  }

  const OpInfo *info = nullptr;
  for (const OpInfo &candidate : kOpInfo)
    if (candidate.name == base && candidate.opcode != Opcode::Alu &&
        candidate.opcode != Opcode::Br)
      info = &candidate;
  if (!info) {
    fail(mnemonicColumn, fmt::format("unknown mnemonic '{}'", base));
    return std::nullopt;
  }
  inst.opcode = info->opcode;
  switch (inst.opcode) {
  case Opcode::Nop:
  case Opcode::End:
  case Opcode::Barrier:
    if (!expectSuffixes(0, 0) || !expectOperands(0))
      return std::nullopt;
    return done();
  case Opcode::Li: {
    if (!expectSuffixes(0, 0) || !expectOperands(2) || !reg(0, inst.ra))
      return std::nullopt;
    std::optional<int64_t> value = parseIntText(operands[1].text);
    if (!value) {
      fail(
          operands[1].column,
          fmt::format("expected a 64-bit integer, got '{}'", operands[1].text));
      return std::nullopt;
    }
    inst.imm0 = static_cast<uint32_t>(*value);
    inst.imm1 = static_cast<uint32_t>(uint64_t(*value) >> 32);
    return done();
  }
  case Opcode::Signal:
  case Opcode::Wait: {
    if (!expectSuffixes(0, 0) || !expectOperands(3))
      return std::nullopt;
    std::optional<unsigned> src = engine(0), dst = engine(1);
    std::optional<int64_t> id = integer(2, 0, UINT32_MAX);
    if (!src || !dst || !id)
      return std::nullopt;
    f = *src | *dst << 3;
    inst.imm0 = static_cast<uint32_t>(*id);
    return done();
  }
  case Opcode::CSignal: {
    if (!expectSuffixes(0, 0) || !expectOperands(2))
      return std::nullopt;
    std::optional<int64_t> core = integer(0, 0, UINT32_MAX),
                           id = integer(1, 0, UINT32_MAX);
    if (!core || !id)
      return std::nullopt;
    inst.imm0 = static_cast<uint32_t>(*core);
    inst.imm1 = static_cast<uint32_t>(*id);
    return done();
  }
  case Opcode::CWait: {
    if (!expectSuffixes(0, 0) || !expectOperands(1))
      return std::nullopt;
    std::optional<int64_t> id = integer(0, 0, UINT32_MAX);
    if (!id)
      return std::nullopt;
    inst.imm0 = static_cast<uint32_t>(*id);
    return done();
  }
  case Opcode::DCfg: {
    if (!expectSuffixes(1, 1) || operands.empty())
      return std::nullopt;
    std::optional<unsigned> eng = indexOf(kEngineNames, suffixes[0]);
    if (!eng || (*eng != 1 && *eng != 4)) {
      fail(mnemonicColumn, "dcfg needs the suffix .din or .dout");
      return std::nullopt;
    }
    std::optional<unsigned> sel = indexOf(kDmaCfgNames, operands[0].text);
    if (!sel) {
      fail(operands[0].column,
           fmt::format("unknown dcfg selector '{}' (expected shape, src, dst "
                       "or outer)",
                       operands[0].text));
      return std::nullopt;
    }
    f = (*eng == 4 ? 1u : 0u) | *sel << 1;
    bool outer = *sel == unsigned(DmaCfg::Outer);
    if (!expectOperands(outer ? 3 : 4) || !reg(1, inst.ra) ||
        !reg(2, inst.rb) || (!outer && !reg(3, inst.rc)))
      return std::nullopt;
    return done();
  }
  case Opcode::DLoad: {
    if (!expectSuffixes(2, 2) || !expectOperands(2))
      return std::nullopt;
    std::optional<unsigned> src = typeSuffix(0), dst = typeSuffix(1);
    if (!src || !dst)
      return std::nullopt;
    f = *src | *dst << 4;
    if (!localMemory(0, f, 8, inst.ra, inst.imm0) ||
        !memoryIn(1, Space::Dram, inst.rb, &inst.imm1))
      return std::nullopt;
    return done();
  }
  case Opcode::DStore: {
    if (!expectSuffixes(2, 3) || !expectOperands(2))
      return std::nullopt;
    std::optional<unsigned> src = typeSuffix(0), dst = typeSuffix(1);
    if (!src || !dst)
      return std::nullopt;
    f = *src | *dst << 4;
    if (suffixes.size() == 3) {
      if (suffixes[2] != "relu") {
        fail(mnemonicColumn, fmt::format("unknown dstore modifier '{}' "
                                         "(expected relu)",
                                         suffixes[2]));
        return std::nullopt;
      }
      f |= 1u << 11;
    }
    if (!memoryIn(0, Space::Dram, inst.ra, &inst.imm0) ||
        !localMemory(1, f, 8, inst.rb, inst.imm1))
      return std::nullopt;
    return done();
  }
  case Opcode::DMove: {
    if (!expectSuffixes(1, 1) || !expectOperands(2))
      return std::nullopt;
    std::optional<unsigned> type = typeSuffix(0);
    if (!type)
      return std::nullopt;
    f = *type;
    if (!localMemory(0, f, 8, inst.ra, inst.imm0) ||
        !localMemory(1, f, 12, inst.rb, inst.imm1))
      return std::nullopt;
    return done();
  }
  case Opcode::DFill: {
    if (!expectSuffixes(1, 1) || !expectOperands(2))
      return std::nullopt;
    std::optional<unsigned> type = typeSuffix(0);
    if (!type)
      return std::nullopt;
    f = *type;
    std::optional<int64_t> pattern = integer(1, INT32_MIN, UINT32_MAX);
    if (!localMemory(0, f, 8, inst.ra, inst.imm0) || !pattern)
      return std::nullopt;
    inst.imm1 = static_cast<uint32_t>(*pattern);
    return done();
  }
  case Opcode::MCfg: {
    if (!expectSuffixes(0, 0) || !expectOperands(3))
      return std::nullopt;
    std::optional<int64_t> m = integer(0, 1, UINT32_MAX),
                           k = integer(1, 1, UINT32_MAX),
                           n = integer(2, 1, 0xffff);
    if (!m || !k || !n)
      return std::nullopt;
    inst.imm0 = static_cast<uint32_t>(*m);
    inst.imm1 = static_cast<uint32_t>(*k);
    f = static_cast<uint32_t>(*n) << 16;
    return done();
  }
  case Opcode::Mma: {
    if (!expectSuffixes(1, 2) || !expectOperands(3))
      return std::nullopt;
    std::optional<unsigned> type =
        suffixIndex(0, kMmaTypeNames, 2, "matrix input type");
    if (!type)
      return std::nullopt;
    f = *type;
    if (suffixes.size() == 2) {
      if (suffixes[1] != "acc") {
        fail(mnemonicColumn, fmt::format("unknown mma modifier '{}' (expected "
                                         "acc)",
                                         suffixes[1]));
        return std::nullopt;
      }
      f |= 1u << 2;
    }
    if (!memoryIn(0, Space::Acc, inst.rc, nullptr) ||
        !memoryIn(1, Space::Ibuf, inst.ra, &inst.imm0) ||
        !memoryIn(2, Space::Wbuf, inst.rb, &inst.imm1))
      return std::nullopt;
    return done();
  }
  case Opcode::VCfg: {
    if (!expectSuffixes(0, 0) || operands.empty())
      return std::nullopt;
    std::optional<unsigned> sel = indexOf(kVecCfgNames, operands[0].text);
    if (!sel) {
      fail(operands[0].column,
           fmt::format("unknown vcfg selector '{}' (expected len or stride)",
                       operands[0].text));
      return std::nullopt;
    }
    f = *sel;
    bool len = *sel == unsigned(VecCfg::Len);
    if (!expectOperands(len ? 3 : 4) || !reg(1, inst.ra) || !reg(2, inst.rb) ||
        (!len && !reg(3, inst.rc)))
      return std::nullopt;
    return done();
  }
  default:
    break;
  }

  // Vector ops: destination vbuf[rc], then `a`, then `b` or a scalar.
  const std::string_view *opNames = nullptr;
  size_t opCount = 0;
  switch (inst.opcode) {
  case Opcode::VBin:
  case Opcode::VScal:
    opNames = kVBinNames;
    opCount = kNumVBinOps;
    break;
  case Opcode::VUn:
    opNames = kVUnNames;
    opCount = kNumVUnOps;
    break;
  case Opcode::VRed:
    opNames = kVRedNames;
    opCount = kNumVRedOps;
    break;
  case Opcode::VCmp:
    opNames = kVCmpNames;
    opCount = kNumVCmpOps;
    break;
  default:
    break;
  }
  bool twoTypes = inst.opcode == Opcode::VCvt;
  bool noType = inst.opcode == Opcode::VReq;
  size_t wantSuffixes = (opNames ? 1 : 0) + (noType ? 0 : twoTypes ? 2 : 1);
  bool broadcastable = inst.opcode == Opcode::VBin ||
                       inst.opcode == Opcode::VFma ||
                       inst.opcode == Opcode::VCmp;
  if (broadcastable && suffixes.size() == wantSuffixes + 1) {
    if (suffixes.back() != "bcast") {
      fail(mnemonicColumn, fmt::format("unknown modifier '{}' (expected "
                                       "bcast)",
                                       suffixes.back()));
      return std::nullopt;
    }
    f |= kBroadcastB;
    suffixes.pop_back();
  }
  if (!expectSuffixes(wantSuffixes, wantSuffixes))
    return std::nullopt;
  size_t next = 0;
  if (opNames) {
    std::optional<unsigned> op =
        suffixIndex(next++, opNames, opCount, "vector operation");
    if (!op)
      return std::nullopt;
    f |= *op << 4;
  }
  if (!noType) {
    std::optional<unsigned> type = typeSuffix(next++);
    if (!type)
      return std::nullopt;
    f |= *type;
    if (twoTypes) {
      std::optional<unsigned> dst = typeSuffix(next++);
      if (!dst)
        return std::nullopt;
      f |= *dst << 4;
    }
  }
  bool hasB = inst.opcode == Opcode::VBin || inst.opcode == Opcode::VFma ||
              inst.opcode == Opcode::VCmp || inst.opcode == Opcode::VSel ||
              inst.opcode == Opcode::VReq;
  bool hasScalar = inst.opcode == Opcode::VScal;
  size_t count =
      2 + (hasB || hasScalar ? 1 : 0) + (inst.opcode == Opcode::VReq ? 1 : 0);
  if (!expectOperands(count) || !memoryIn(0, Space::Vbuf, inst.rc, nullptr) ||
      !localMemory(1, f, 8, inst.ra, inst.imm0))
    return std::nullopt;
  if (hasB && !localMemory(2, f, 12, inst.rb, inst.imm1))
    return std::nullopt;
  if (hasScalar && !scalar(2, typeField(f, 0), inst.imm1))
    return std::nullopt;
  if (inst.opcode == Opcode::VReq) {
    std::optional<int64_t> zeroPoint = integer(3, INT16_MIN, INT16_MAX);
    if (!zeroPoint)
      return std::nullopt;
    f |= (static_cast<uint32_t>(*zeroPoint) & 0xffffu) << 16;
  }
  return done();
}

/// Splits off a `name:` label at the start of `body`, if any.
std::string_view takeLabel(std::string_view &body, size_t &column) {
  size_t colon = body.find(':');
  if (colon == std::string_view::npos)
    return {};
  std::string_view name = body.substr(0, colon);
  for (char c : name)
    if (!std::isalnum((unsigned char)c) && c != '_' && c != '.')
      return {};
  size_t lead;
  std::string_view rest = trim(body.substr(colon + 1), &lead);
  column += colon + 1 + lead;
  body = rest;
  return name;
}
} // namespace

std::optional<std::vector<Instruction>> assemble(std::string_view text,
                                                 std::string &error) {
  struct Line {
    std::string_view line, body;
    size_t number, column;
  };
  std::vector<Line> lines;
  std::map<std::string, size_t, std::less<>> labels;
  size_t number = 0;
  for (size_t start = 0; start <= text.size(); ++number) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos)
      end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    std::string_view body = line.substr(0, line.find('#'));
    size_t lead;
    body = trim(body, &lead);
    size_t column = lead + 1;
    std::string_view label = takeLabel(body, column);
    if (!label.empty()) {
      if (!labels.emplace(std::string(label), lines.size()).second) {
        error = fmt::format("line {}: label '{}' is defined twice", number + 1,
                            label);
        return std::nullopt;
      }
    }
    if (!body.empty())
      lines.push_back({line, body, number + 1, column});
    if (end == text.size())
      break;
  }

  std::vector<Instruction> program;
  for (size_t i = 0; i < lines.size(); ++i) {
    LineParser parser(lines[i].line, lines[i].number, i, labels);
    std::optional<Instruction> inst =
        parser.parse(lines[i].body, lines[i].column);
    if (!inst) {
      error = parser.error();
      return std::nullopt;
    }
    program.push_back(*inst);
  }
  return program;
}

} // namespace sinan::isa
