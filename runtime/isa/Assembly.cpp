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

#include "sinan/runtime/isa/IsaTable.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <cstring>
#include <map>

namespace sinan::isa {
namespace {

std::optional<unsigned> indexOf(const EnumInfo &info, std::string_view text) {
  for (unsigned i = 0; i < info.count; ++i)
    if (info.values[i] == text)
      return i;
  return std::nullopt;
}

/// The field `name` of `inst`'s opcode (Instructions.def), which must exist.
const FieldInfo &field(const Instruction &inst, std::string_view name) {
  const OpInfo *info = lookup(inst.opcode);
  const FieldInfo *found = info->fieldsBegin;
  while (found->name != name)
    ++found;
  return *found;
}

void setField(Instruction &inst, std::string_view name, uint64_t value) {
  field(inst, name).set(inst, value);
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
  namespace f = fields;
  auto d = [&] { return mem(Space::Vbuf, inst.rc, 0); };
  auto a = [&](Space space) { return mem(space, inst.ra, inst.imm0); };
  auto b = [&](Space space) { return mem(space, inst.rb, inst.imm1); };
  auto bcast = [](bool on) { return on ? ".bcast" : ""; };
  switch (inst.opcode) {
  case Opcode::Nop:
  case Opcode::End:
  case Opcode::Barrier:
    return std::string(mnemonic(inst.opcode));
  case Opcode::Li:
    return fmt::format("li {}, {}", reg(inst.ra), f::li::value(inst));
  case Opcode::Alu:
    if (f::alu::immediate(inst))
      return fmt::format("{} {}, {}, {}", name(f::alu::op(inst)), reg(inst.ra),
                         reg(inst.rb), f::alu::imm(inst));
    return fmt::format("{} {}, {}, {}", name(f::alu::op(inst)), reg(inst.ra),
                       reg(inst.rb), reg(inst.rc));
  case Opcode::Br:
    return fmt::format("b{} {}, {}, {}", name(f::br::cond(inst)), reg(inst.ra),
                       reg(inst.rb), f::br::offset(inst));
  case Opcode::Signal:
    return fmt::format("signal {}, {}, {}", name(f::signal::src(inst)),
                       name(f::signal::dst(inst)), f::signal::id(inst));
  case Opcode::Wait:
    return fmt::format("wait {}, {}, {}", name(f::wait::src(inst)),
                       name(f::wait::dst(inst)), f::wait::id(inst));
  case Opcode::CSignal:
    return fmt::format("csignal {}, {}", f::csignal::core(inst),
                       f::csignal::id(inst));
  case Opcode::CWait:
    return fmt::format("cwait {}", f::cwait::id(inst));
  case Opcode::DCfg: {
    std::string head =
        fmt::format("dcfg.{} {}, {}, {}", name(f::dcfg::engine(inst)),
                    name(f::dcfg::sel(inst)), reg(inst.ra), reg(inst.rb));
    if (isTwoRegisterDmaCfg(f::dcfg::sel(inst)))
      return head;
    return head + ", " + reg(inst.rc);
  }
  case Opcode::DLoad:
    return fmt::format("dload.{}.{} {}, {}", dtypeName(f::dload::srcType(inst)),
                       dtypeName(f::dload::dstType(inst)),
                       a(f::dload::space(inst)), b(Space::Dram));
  case Opcode::DStore:
    return fmt::format("dstore.{}.{}{} {}, {}",
                       dtypeName(f::dstore::srcType(inst)),
                       dtypeName(f::dstore::dstType(inst)),
                       f::dstore::relu(inst) ? ".relu" : "", a(Space::Dram),
                       b(f::dstore::space(inst)));
  case Opcode::DMove:
    return fmt::format("dmove.{} {}, {}", dtypeName(f::dmove::type(inst)),
                       a(f::dmove::dstSpace(inst)),
                       b(f::dmove::srcSpace(inst)));
  case Opcode::DFill:
    return fmt::format("dfill.{} {}, 0x{:x}", dtypeName(f::dfill::type(inst)),
                       a(f::dfill::space(inst)), f::dfill::pattern(inst));
  case Opcode::MCfg:
    return fmt::format("mcfg {}, {}, {}", f::mcfg::m(inst), f::mcfg::k(inst),
                       f::mcfg::n(inst));
  case Opcode::Mma:
    return fmt::format("mma.{}{} {}, {}, {}", name(f::mma::type(inst)),
                       f::mma::accumulate(inst) ? ".acc" : "",
                       mem(Space::Acc, inst.rc, 0), a(Space::Ibuf),
                       b(Space::Wbuf));
  case Opcode::VCfg:
    if (f::vcfg::sel(inst) == VecCfg::Len)
      return fmt::format("vcfg len, {}, {}", reg(inst.ra), reg(inst.rb));
    return fmt::format("vcfg stride, {}, {}, {}", reg(inst.ra), reg(inst.rb),
                       reg(inst.rc));
  case Opcode::VBin:
    return fmt::format("vbin.{}.{}{} {}, {}, {}", name(f::vbin::op(inst)),
                       dtypeName(f::vbin::type(inst)),
                       bcast(f::vbin::broadcast(inst)), d(),
                       a(f::vbin::aSpace(inst)), b(f::vbin::bSpace(inst)));
  case Opcode::VUn:
    return fmt::format("vun.{}.{} {}, {}", name(f::vun::op(inst)),
                       dtypeName(f::vun::type(inst)), d(),
                       a(f::vun::aSpace(inst)));
  case Opcode::VScal:
    return fmt::format(
        "vscal.{}.{} {}, {}, {}", name(f::vscal::op(inst)),
        dtypeName(f::vscal::type(inst)), d(), a(f::vscal::aSpace(inst)),
        scalarText(f::vscal::scalar(inst), f::vscal::type(inst)));
  case Opcode::VFma:
    return fmt::format("vfma.{}{} {}, {}, {}", dtypeName(f::vfma::type(inst)),
                       bcast(f::vfma::broadcast(inst)), d(),
                       a(f::vfma::aSpace(inst)), b(f::vfma::bSpace(inst)));
  case Opcode::VRed:
    return fmt::format("vred.{}.{} {}, {}", name(f::vred::op(inst)),
                       dtypeName(f::vred::type(inst)), d(),
                       a(f::vred::aSpace(inst)));
  case Opcode::VCvt:
    return fmt::format("vcvt.{}.{} {}, {}", dtypeName(f::vcvt::srcType(inst)),
                       dtypeName(f::vcvt::dstType(inst)), d(),
                       a(f::vcvt::aSpace(inst)));
  case Opcode::VCmp:
    return fmt::format("vcmp.{}.{}{} {}, {}, {}", name(f::vcmp::op(inst)),
                       dtypeName(f::vcmp::type(inst)),
                       bcast(f::vcmp::broadcast(inst)), d(),
                       a(f::vcmp::aSpace(inst)), b(f::vcmp::bSpace(inst)));
  case Opcode::VSel:
    return fmt::format("vsel.{} {}, {}, {}", dtypeName(f::vsel::type(inst)),
                       d(), a(f::vsel::aSpace(inst)), b(f::vsel::bSpace(inst)));
  case Opcode::VTrans:
    return fmt::format("vtrans.{} {}, {}", dtypeName(f::vtrans::type(inst)),
                       d(), a(f::vtrans::aSpace(inst)));
  case Opcode::VReq:
    return fmt::format("vreq {}, {}, {}, {}", d(), a(f::vreq::aSpace(inst)),
                       b(f::vreq::bSpace(inst)), f::vreq::zeroPoint(inst));
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
  bool localMemory(size_t i, Instruction &inst, std::string_view spaceField,
                   uint8_t &regOut, uint32_t &offset);
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
      indexOf(kSpaceInfo, trim(text.substr(0, open)));
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

/// A memory operand in any local space, whose code goes to the field
/// `spaceField` of `inst`.
bool LineParser::localMemory(size_t i, Instruction &inst,
                             std::string_view spaceField, uint8_t &regOut,
                             uint32_t &offset) {
  std::optional<MemOperand> operand = memory(i);
  if (!operand)
    return false;
  if (operand->space == Space::Dram)
    return fail(operands[i].column, "this operand must be in local memory");
  setField(inst, spaceField, static_cast<unsigned>(operand->space));
  regOut = operand->reg;
  offset = operand->offset;
  return true;
}

std::optional<unsigned> LineParser::engine(size_t i) {
  std::optional<unsigned> id = indexOf(kEngineInfo, operands[i].text);
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
  namespace f = fields;
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

  if (std::optional<unsigned> op = indexOf(kAluOpInfo, base)) {
    inst.opcode = Opcode::Alu;
    f::alu::op.set(inst, static_cast<AluOp>(*op));
    if (!expectSuffixes(0, 0) || !expectOperands(3) || !reg(0, inst.ra) ||
        !reg(1, inst.rb))
      return std::nullopt;
    if (parseRegText(operands[2].text, inst.rc))
      return done();
    std::optional<int64_t> value = integer(2, INT32_MIN, INT32_MAX);
    if (!value)
      return std::nullopt;
    f::alu::immediate.set(inst, true);
    f::alu::imm.set(inst, static_cast<int32_t>(*value));
    return done();
  }
  std::optional<unsigned> cond;
  if (base.size() > 1 && base[0] == 'b')
    cond = indexOf(kBranchCondInfo, base.substr(1));
  if (cond) {
    inst.opcode = Opcode::Br;
    f::br::cond.set(inst, static_cast<BranchCond>(*cond));
    if (!expectSuffixes(0, 0) || !expectOperands(3) || !reg(0, inst.ra) ||
        !reg(1, inst.rb))
      return std::nullopt;
    auto label = labels.find(operands[2].text);
    if (label != labels.end()) {
      f::br::offset.set(
          inst, static_cast<int32_t>(int64_t(label->second) - int64_t(index)));
      return done();
    }
    std::optional<int64_t> value = parseIntText(operands[2].text);
    if (!value || *value < INT32_MIN || *value > INT32_MAX) {
      fail(operands[2].column,
           fmt::format("'{}' is neither a label nor an instruction offset",
                       operands[2].text));
      return std::nullopt;
    }
    f::br::offset.set(inst, static_cast<int32_t>(*value));
    return done();
  }

  const OpInfo *info = lookup(base);
  if (!info || info->opcode == Opcode::Alu || info->opcode == Opcode::Br) {
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
    f::li::value.set(inst, *value);
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
    // signal and wait share one field layout (Instructions.def).
    f::signal::src.set(inst, static_cast<Engine>(*src));
    f::signal::dst.set(inst, static_cast<Engine>(*dst));
    f::signal::id.set(inst, static_cast<uint32_t>(*id));
    return done();
  }
  case Opcode::CSignal: {
    if (!expectSuffixes(0, 0) || !expectOperands(2))
      return std::nullopt;
    std::optional<int64_t> core = integer(0, 0, UINT32_MAX),
                           id = integer(1, 0, UINT32_MAX);
    if (!core || !id)
      return std::nullopt;
    f::csignal::core.set(inst, static_cast<uint32_t>(*core));
    f::csignal::id.set(inst, static_cast<uint32_t>(*id));
    return done();
  }
  case Opcode::CWait: {
    if (!expectSuffixes(0, 0) || !expectOperands(1))
      return std::nullopt;
    std::optional<int64_t> id = integer(0, 0, UINT32_MAX);
    if (!id)
      return std::nullopt;
    f::cwait::id.set(inst, static_cast<uint32_t>(*id));
    return done();
  }
  case Opcode::DCfg: {
    if (!expectSuffixes(1, 1))
      return std::nullopt;
    if (operands.empty()) {
      fail(mnemonicColumn, "dcfg needs a selector and its registers, e.g. "
                           "'dcfg.din src, r1, r2'");
      return std::nullopt;
    }
    std::optional<unsigned> eng = indexOf(kDmaEngineInfo, suffixes[0]);
    if (!eng) {
      fail(mnemonicColumn, "dcfg needs the suffix .din or .dout");
      return std::nullopt;
    }
    std::optional<unsigned> sel = indexOf(kDmaCfgInfo, operands[0].text);
    if (!sel) {
      fail(operands[0].column,
           fmt::format("unknown dcfg selector '{}' (expected shape, src, dst, "
                       "outer, gather, padw, padh or index)",
                       operands[0].text));
      return std::nullopt;
    }
    f::dcfg::engine.set(inst, static_cast<DmaEngine>(*eng));
    f::dcfg::sel.set(inst, static_cast<DmaCfg>(*sel));
    bool two = isTwoRegisterDmaCfg(static_cast<DmaCfg>(*sel));
    if (!expectOperands(two ? 3 : 4) || !reg(1, inst.ra) || !reg(2, inst.rb) ||
        (!two && !reg(3, inst.rc)))
      return std::nullopt;
    return done();
  }
  case Opcode::DLoad: {
    if (!expectSuffixes(2, 2) || !expectOperands(2))
      return std::nullopt;
    std::optional<unsigned> src = typeSuffix(0), dst = typeSuffix(1);
    if (!src || !dst)
      return std::nullopt;
    f::dload::srcType.set(inst, static_cast<DType>(*src));
    f::dload::dstType.set(inst, static_cast<DType>(*dst));
    if (!localMemory(0, inst, "space", inst.ra, inst.imm0) ||
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
    f::dstore::srcType.set(inst, static_cast<DType>(*src));
    f::dstore::dstType.set(inst, static_cast<DType>(*dst));
    if (suffixes.size() == 3) {
      if (suffixes[2] != "relu") {
        fail(mnemonicColumn, fmt::format("unknown dstore modifier '{}' "
                                         "(expected relu)",
                                         suffixes[2]));
        return std::nullopt;
      }
      f::dstore::relu.set(inst, true);
    }
    if (!memoryIn(0, Space::Dram, inst.ra, &inst.imm0) ||
        !localMemory(1, inst, "space", inst.rb, inst.imm1))
      return std::nullopt;
    return done();
  }
  case Opcode::DMove: {
    if (!expectSuffixes(1, 1) || !expectOperands(2))
      return std::nullopt;
    std::optional<unsigned> type = typeSuffix(0);
    if (!type)
      return std::nullopt;
    f::dmove::type.set(inst, static_cast<DType>(*type));
    if (!localMemory(0, inst, "dstSpace", inst.ra, inst.imm0) ||
        !localMemory(1, inst, "srcSpace", inst.rb, inst.imm1))
      return std::nullopt;
    return done();
  }
  case Opcode::DFill: {
    if (!expectSuffixes(1, 1) || !expectOperands(2))
      return std::nullopt;
    std::optional<unsigned> type = typeSuffix(0);
    if (!type)
      return std::nullopt;
    f::dfill::type.set(inst, static_cast<DType>(*type));
    std::optional<int64_t> pattern = integer(1, INT32_MIN, UINT32_MAX);
    if (!localMemory(0, inst, "space", inst.ra, inst.imm0) || !pattern)
      return std::nullopt;
    f::dfill::pattern.set(inst, static_cast<uint32_t>(*pattern));
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
    f::mcfg::m.set(inst, static_cast<uint32_t>(*m));
    f::mcfg::k.set(inst, static_cast<uint32_t>(*k));
    f::mcfg::n.set(inst, static_cast<uint32_t>(*n));
    return done();
  }
  case Opcode::Mma: {
    if (!expectSuffixes(1, 2) || !expectOperands(3))
      return std::nullopt;
    std::optional<unsigned> type = suffixIndex(
        0, kMmaTypeInfo.values, kMmaTypeInfo.count, kMmaTypeInfo.what.data());
    if (!type)
      return std::nullopt;
    f::mma::type.set(inst, static_cast<MmaType>(*type));
    if (suffixes.size() == 2) {
      if (suffixes[1] != "acc") {
        fail(mnemonicColumn, fmt::format("unknown mma modifier '{}' (expected "
                                         "acc)",
                                         suffixes[1]));
        return std::nullopt;
      }
      f::mma::accumulate.set(inst, true);
    }
    if (!memoryIn(0, Space::Acc, inst.rc, nullptr) ||
        !memoryIn(1, Space::Ibuf, inst.ra, &inst.imm0) ||
        !memoryIn(2, Space::Wbuf, inst.rb, &inst.imm1))
      return std::nullopt;
    return done();
  }
  case Opcode::VCfg: {
    if (!expectSuffixes(0, 0))
      return std::nullopt;
    if (operands.empty()) {
      fail(mnemonicColumn, "vcfg needs a selector and its registers, e.g. "
                           "'vcfg len, r1, r2'");
      return std::nullopt;
    }
    std::optional<unsigned> sel = indexOf(kVecCfgInfo, operands[0].text);
    if (!sel) {
      fail(operands[0].column,
           fmt::format("unknown vcfg selector '{}' (expected len or stride)",
                       operands[0].text));
      return std::nullopt;
    }
    f::vcfg::sel.set(inst, static_cast<VecCfg>(*sel));
    bool len = *sel == unsigned(VecCfg::Len);
    if (!expectOperands(len ? 3 : 4) || !reg(1, inst.ra) || !reg(2, inst.rb) ||
        (!len && !reg(3, inst.rc)))
      return std::nullopt;
    return done();
  }
  default:
    break;
  }

  // Vector ops: destination vbuf[rc], then `a`, then `b` or a scalar. The
  // fields each opcode has come from Instructions.def.
  auto has = [&](std::string_view name) {
    for (const FieldInfo *fi = info->fieldsBegin; fi != info->fieldsEnd; ++fi)
      if (fi->name == name)
        return true;
    return false;
  };
  const EnumInfo *opNames = has("op") ? field(inst, "op").enumInfo : nullptr;
  bool twoTypes = has("srcType");
  bool noType = !has("type") && !twoTypes;
  size_t wantSuffixes = (opNames ? 1 : 0) + (noType ? 0 : twoTypes ? 2 : 1);
  bool broadcastable = has("broadcast");
  if (broadcastable && suffixes.size() == wantSuffixes + 1) {
    if (suffixes.back() != "bcast") {
      fail(mnemonicColumn, fmt::format("unknown modifier '{}' (expected "
                                       "bcast)",
                                       suffixes.back()));
      return std::nullopt;
    }
    setField(inst, "broadcast", 1);
    suffixes.pop_back();
  }
  if (!expectSuffixes(wantSuffixes, wantSuffixes))
    return std::nullopt;
  size_t next = 0;
  if (opNames) {
    std::optional<unsigned> op = suffixIndex(
        next++, opNames->values, opNames->count, "vector operation");
    if (!op)
      return std::nullopt;
    setField(inst, "op", *op);
  }
  if (!noType) {
    std::optional<unsigned> type = typeSuffix(next++);
    if (!type)
      return std::nullopt;
    setField(inst, twoTypes ? "srcType" : "type", *type);
    if (twoTypes) {
      std::optional<unsigned> dst = typeSuffix(next++);
      if (!dst)
        return std::nullopt;
      setField(inst, "dstType", *dst);
    }
  }
  bool hasB = has("bSpace");
  bool hasScalar = has("scalar");
  size_t count =
      2 + (hasB || hasScalar ? 1 : 0) + (inst.opcode == Opcode::VReq ? 1 : 0);
  if (!expectOperands(count) || !memoryIn(0, Space::Vbuf, inst.rc, nullptr) ||
      !localMemory(1, inst, "aSpace", inst.ra, inst.imm0))
    return std::nullopt;
  if (hasB && !localMemory(2, inst, "bSpace", inst.rb, inst.imm1))
    return std::nullopt;
  if (hasScalar && !scalar(2, f::vscal::type(inst), inst.imm1))
    return std::nullopt;
  if (inst.opcode == Opcode::VReq) {
    std::optional<int64_t> zeroPoint = integer(3, INT16_MIN, INT16_MAX);
    if (!zeroPoint)
      return std::nullopt;
    f::vreq::zeroPoint.set(inst, static_cast<int16_t>(*zeroPoint));
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
