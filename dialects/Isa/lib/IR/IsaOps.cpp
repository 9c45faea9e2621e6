//===- IsaOps.cpp - isa dialect operations --------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Parsing, printing and verification of instruction ops, written once over
// the runtime's instruction table: an op's attributes are the table's fields
// (plus ra/rb/rc), its checks are isa::validate's.
//
//===----------------------------------------------------------------------===//

#include "sinan/Dialect/Isa/IR/IsaOps.h"

#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace sinan::isa::ir {
namespace {

constexpr llvm::StringLiteral kRegisterNames[] = {"ra", "rb", "rc"};

llvm::ArrayRef<FieldInfo> fieldsOf(const OpInfo &info) {
  return {info.fieldsBegin, info.fieldsEnd};
}

bool isBranchTarget(const FieldInfo &field) {
  return field.kind == FieldKind::Target;
}

llvm::StringRef ref(std::string_view text) {
  return {text.data(), text.size()};
}

int64_t attrValue(Operation *op, llvm::StringRef name) {
  auto attr = op->getAttrOfType<IntegerAttr>(name);
  return attr ? attr.getInt() : 0;
}

std::string registerText(int64_t reg) {
  if (reg >= kFirstVirtualRegister)
    return llvm::formatv("v{0}", reg - kFirstVirtualRegister).str();
  return llvm::formatv("r{0}", reg).str();
}

std::string fieldText(const FieldInfo &field, int64_t value) {
  auto inRange = [&](unsigned count) {
    return value >= 0 && value < int64_t(count);
  };
  switch (field.kind) {
  case FieldKind::Bool:
    if (value == 0 || value == 1)
      return value ? "true" : "false";
    break;
  case FieldKind::Type:
    if (inRange(kNumDTypes) && isDeviceDType(static_cast<DType>(value)))
      return std::string(dtypeName(static_cast<DType>(value)));
    break;
  case FieldKind::Space:
    if (inRange(kNumSpaces))
      return std::string(name(static_cast<Space>(value)));
    break;
  case FieldKind::Enum:
    if (inRange(field.enumInfo->count))
      return std::string(field.enumInfo->values[value]);
    break;
  case FieldKind::Bits:
    if (value >= 0)
      return llvm::formatv("{0:x}", value).str();
    break;
  default:
    break;
  }
  return std::to_string(value);
}

/// The code a keyword names for `field`, if any.
std::optional<int64_t> keywordValue(const FieldInfo &field,
                                    llvm::StringRef word) {
  switch (field.kind) {
  case FieldKind::Bool:
    if (word == "true" || word == "false")
      return word == "true";
    return std::nullopt;
  case FieldKind::Type: {
    std::optional<DType> type = parseDType(std::string_view(word));
    if (type && isDeviceDType(*type))
      return static_cast<int64_t>(*type);
    return std::nullopt;
  }
  case FieldKind::Space:
    for (unsigned i = 0; i < kNumSpaces; ++i)
      if (name(static_cast<Space>(i)) == std::string_view(word))
        return i;
    return std::nullopt;
  case FieldKind::Enum:
    for (unsigned i = 0; i < field.enumInfo->count; ++i)
      if (field.enumInfo->values[i] == std::string_view(word))
        return i;
    return std::nullopt;
  default:
    return std::nullopt;
  }
}

std::optional<int64_t> registerValue(llvm::StringRef word) {
  if (word.size() < 2 || (word[0] != 'r' && word[0] != 'v'))
    return std::nullopt;
  int64_t number;
  if (word.drop_front().getAsInteger(10, number) || number < 0)
    return std::nullopt;
  if (word[0] == 'r')
    return number < kFirstVirtualRegister ? std::optional<int64_t>(number)
                                          : std::nullopt;
  return kFirstVirtualRegister + number;
}

/// Whether `value` is representable in `field`'s bits.
bool fits(const FieldInfo &field, int64_t value) {
  unsigned bits = field.word == FieldWord::Flags   ? field.width
                  : field.word == FieldWord::Imm64 ? 64
                                                   : 32;
  if (bits == 64)
    return true;
  if (field.isSigned())
    return value >= -(int64_t(1) << (bits - 1)) &&
           value < (int64_t(1) << (bits - 1));
  return value >= 0 && value < (int64_t(1) << bits);
}

/// Builds the instruction of `op`. Virtual registers read as
/// `virtualStandIn` (verification checks the rest of the instruction with a
/// non-zero stand-in; encoding refuses them).
LogicalResult buildInstruction(Operation *op, const OpInfo &info,
                               std::optional<uint8_t> virtualStandIn,
                               Instruction &inst) {
  inst = Instruction();
  inst.opcode = info.opcode;
  uint8_t *regs[] = {&inst.ra, &inst.rb, &inst.rc};
  for (unsigned i = 0; i < 3; ++i) {
    if (!(info.regs & (1u << i)))
      continue;
    int64_t reg = attrValue(op, kRegisterNames[i]);
    if (reg < 0)
      return op->emitOpError()
             << kRegisterNames[i] << " = " << reg << " is not a register";
    if (reg >= kFirstVirtualRegister) {
      if (!virtualStandIn)
        return op->emitOpError()
               << "virtual register " << registerText(reg) << " in "
               << kRegisterNames[i] << " has no machine register";
      *regs[i] = *virtualStandIn;
      continue;
    }
    *regs[i] = static_cast<uint8_t>(reg);
  }
  for (const FieldInfo &field : fieldsOf(info)) {
    if (isBranchTarget(field))
      continue;
    int64_t value = attrValue(op, ref(field.name));
    if (!fits(field, value))
      return op->emitOpError()
             << ref(field.name) << " = " << value << " does not fit in its "
             << (field.word == FieldWord::Flags ? field.width : 32) << " bits";
    field.set(inst, static_cast<uint64_t>(value));
  }
  return success();
}

} // namespace

const OpInfo *opInfoOf(Operation *op) {
  if (!llvm::isa_and_nonnull<IsaDialect>(op->getDialect()))
    return nullptr;
  llvm::StringRef name = op->getName().stripDialect();
  return lookup(std::string_view(name.data(), name.size()));
}

FailureOr<Instruction> toInstruction(Operation *op) {
  const OpInfo *info = opInfoOf(op);
  if (!info)
    return op->emitOpError("is not a machine instruction");
  Instruction inst;
  if (failed(buildInstruction(op, *info, std::nullopt, inst)))
    return failure();
  return inst;
}

Operation *createInstruction(OpBuilder &builder, Location loc,
                             const Instruction &inst,
                             llvm::ArrayRef<Block *> successors,
                             std::optional<std::array<int64_t, 3>> registers) {
  const OpInfo *info = lookup(inst.opcode);
  OperationState state(loc, ("isa." + ref(info->name)).str());
  std::array<int64_t, 3> regs =
      registers.value_or(std::array<int64_t, 3>{inst.ra, inst.rb, inst.rc});
  for (unsigned i = 0; i < 3; ++i)
    if (info->regs & (1u << i))
      state.addAttribute(kRegisterNames[i], builder.getI64IntegerAttr(regs[i]));
  for (const FieldInfo &field : fieldsOf(*info))
    if (!isBranchTarget(field))
      state.addAttribute(ref(field.name),
                         builder.getI64IntegerAttr(field.getSigned(inst)));
  state.addSuccessors(successors);
  return builder.create(state);
}

ParseResult parseInstruction(OpAsmParser &parser, OperationState &result) {
  llvm::StringRef opName = result.name.stripDialect();
  const OpInfo *info = lookup(std::string_view(opName.data(), opName.size()));
  if (!info)
    return parser.emitError(parser.getNameLoc(), "unknown instruction");
  llvm::StringMap<int64_t> values;
  bool branch = llvm::any_of(fieldsOf(*info), isBranchTarget);
  // The names this op accepts; the first is only taken from that list, as
  // the next op's name is a bare identifier too (`isa.nop` then `isa.end`).
  llvm::SmallVector<llvm::StringRef> names;
  for (unsigned i = 0; i < 3; ++i)
    if (info->regs & (1u << i))
      names.push_back(kRegisterNames[i]);
  for (const FieldInfo &field : fieldsOf(*info))
    if (!isBranchTarget(field))
      names.push_back(ref(field.name));
  for (bool first = true;; first = false) {
    if (!first && failed(parser.parseOptionalComma()))
      break;
    llvm::SMLoc loc = parser.getCurrentLocation();
    llvm::StringRef key;
    if (first ? failed(parser.parseOptionalKeyword(&key, names))
              : failed(parser.parseOptionalKeyword(&key))) {
      if (first)
        break;
      return parser.emitError(loc, "expected a field name");
    }
    if (parser.parseEqual())
      return failure();
    llvm::SMLoc valueLoc = parser.getCurrentLocation();
    const auto *reg = llvm::find(kRegisterNames, key);
    if (reg != std::end(kRegisterNames)) {
      if (!(info->regs & (1u << (reg - std::begin(kRegisterNames)))))
        return parser.emitError(loc)
               << "'" << info->name.data() << "' does not use " << key;
      llvm::StringRef word;
      std::optional<int64_t> number;
      if (failed(parser.parseKeyword(&word)) || !(number = registerValue(word)))
        return parser.emitError(valueLoc, "expected a register r0-r31 or v<N>");
      values[key] = *number;
      continue;
    }
    const FieldInfo *field = llvm::find_if(fieldsOf(*info), [&](auto &f) {
      return ref(f.name) == key && !isBranchTarget(f);
    });
    if (field == info->fieldsEnd) {
      std::string known;
      for (const FieldInfo &f : fieldsOf(*info))
        if (!isBranchTarget(f))
          known += (known.empty() ? "" : ", ") + std::string(f.name);
      return parser.emitError(loc)
             << "unknown field '" << key << "' (fields of " << opName << ": "
             << (known.empty() ? "none" : known) << ")";
    }
    // Keywords first: parseOptionalInteger would read `true` as an i1.
    llvm::StringRef word;
    if (succeeded(parser.parseOptionalKeyword(&word))) {
      std::optional<int64_t> code = keywordValue(*field, word);
      if (!code)
        return parser.emitError(valueLoc)
               << "'" << word << "' is not a value of " << key;
      values[key] = *code;
      continue;
    }
    int64_t number;
    if (parser.parseInteger(number))
      return failure();
    values[key] = number;
  }
  if (branch) {
    Block *taken, *next;
    if (parser.parseKeyword("to") || parser.parseSuccessor(taken) ||
        parser.parseKeyword("next") || parser.parseSuccessor(next))
      return failure();
    result.addSuccessors({taken, next});
  }
  if (parser.parseOptionalAttrDict(result.attributes))
    return failure();
  Builder &builder = parser.getBuilder();
  auto set = [&](llvm::StringRef name) {
    if (!result.attributes.get(name))
      result.addAttribute(name, builder.getI64IntegerAttr(values.lookup(name)));
  };
  for (unsigned i = 0; i < 3; ++i)
    if (info->regs & (1u << i))
      set(kRegisterNames[i]);
  for (const FieldInfo &field : fieldsOf(*info))
    if (!isBranchTarget(field))
      set(ref(field.name));
  return success();
}

void printInstruction(OpAsmPrinter &printer, Operation *op) {
  const OpInfo *info = opInfoOf(op);
  llvm::SmallVector<llvm::StringRef> elided;
  bool any = false;
  auto item = [&](llvm::StringRef name, const std::string &text) {
    printer << (any ? ", " : " ") << name << " = " << text;
    any = true;
    elided.push_back(name);
  };
  for (unsigned i = 0; i < 3; ++i)
    if (info->regs & (1u << i))
      item(kRegisterNames[i], registerText(attrValue(op, kRegisterNames[i])));
  for (const FieldInfo &field : fieldsOf(*info))
    if (!isBranchTarget(field))
      item(ref(field.name), fieldText(field, attrValue(op, ref(field.name))));
  if (op->getNumSuccessors() == 2) {
    printer << " to ";
    printer.printSuccessor(op->getSuccessor(0));
    printer << " next ";
    printer.printSuccessor(op->getSuccessor(1));
  }
  printer.printOptionalAttrDict(op->getAttrs(), elided);
}

LogicalResult verifyInstruction(Operation *op) {
  const OpInfo *info = opInfoOf(op);
  Instruction inst;
  if (failed(buildInstruction(op, *info, /*virtualStandIn=*/1, inst)))
    return failure();
  std::string error;
  if (!validate(inst, error)) {
    // validate() prefixes the mnemonic; the op's name already says it.
    llvm::StringRef message(error);
    message.consume_front(ref(info->name));
    message.consume_front(": ");
    return op->emitOpError(message);
  }
  return success();
}

} // namespace sinan::isa::ir

using namespace sinan::isa::ir;

//===----------------------------------------------------------------------===//
// Containers
//===----------------------------------------------------------------------===//

LogicalResult KernelOp::verify() {
  llvm::SmallVector<bool> seen;
  for (Operation &op : getBody().front()) {
    auto program = llvm::dyn_cast<ProgramOp>(op);
    if (!program)
      return op.emitOpError("is not an isa.program (a kernel holds one "
                            "program per core)");
    int64_t core = program.getCore();
    if (core < 0 || core >= 1024)
      return program.emitOpError() << "core " << core << " is out of range";
    if (size_t(core) >= seen.size())
      seen.resize(core + 1, false);
    if (seen[core])
      return program.emitOpError() << "core " << core << " has two programs";
    seen[core] = true;
  }
  if (seen.empty())
    return emitOpError("has no program");
  for (size_t core = 0; core < seen.size(); ++core)
    if (!seen[core])
      return emitOpError() << "has no program for core " << core
                           << " (cores must be 0.." << seen.size() - 1 << ")";
  return success();
}

LogicalResult ProgramOp::verifyRegions() {
  for (Block &block : getBody()) {
    if (block.getNumArguments())
      return emitOpError("blocks take no arguments (registers are state)");
    for (Operation &op : block)
      if (!opInfoOf(&op) && !llvm::isa<NextOp>(op))
        return op.emitOpError("is not a machine instruction; an "
                              "isa.program holds only isa instructions");
    Operation *terminator = block.getTerminator();
    Block *following = block.getNextNode();
    auto fallsThroughTo = [&](Block *next) -> LogicalResult {
      if (next != following)
        return terminator->emitOpError(
            "must fall through to the block that follows it");
      return success();
    };
    if (auto next = llvm::dyn_cast<NextOp>(terminator)) {
      if (failed(fallsThroughTo(next.getDest())))
        return failure();
    } else if (terminator->getNumSuccessors() == 2) {
      if (failed(fallsThroughTo(terminator->getSuccessor(1))))
        return failure();
    }
  }
  return success();
}

#define GET_OP_CLASSES
#include "sinan/Dialect/Isa/IR/IsaOps.cpp.inc"
