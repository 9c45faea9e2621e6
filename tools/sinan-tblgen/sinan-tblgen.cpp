//===- sinan-tblgen.cpp - Sinan's TableGen backends -----------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
//   sinan-tblgen --gen-host-op-signatures GraphOps.td -I ... -o FILE
//
// Writes the graph ops' signatures (operand and result counts, attribute
// names, kinds and defaults, each operand's and result's element types and
// the traits that tie them) as an X-macro list for the runtime, which has
// no MLIR to read ODS with. The list is checked in
// (runtime/shape/GraphOpSignatures.inc) and a ctest regenerates and diffs it,
// so the runtime's host ops take their names, arities and attribute
// defaults from the dialect's definitions.
//
//===----------------------------------------------------------------------===//

#include "mlir/TableGen/Attribute.h"
#include "mlir/TableGen/Operator.h"
#include "mlir/TableGen/Trait.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/TableGen/Error.h"
#include "llvm/TableGen/Main.h"
#include "llvm/TableGen/Record.h"

using namespace llvm;

namespace {

enum class Action { HostOpSignatures };

cl::opt<Action> action(
    cl::desc("Backend:"),
    cl::values(clEnumValN(Action::HostOpSignatures, "gen-host-op-signatures",
                          "the graph ops' signatures for the runtime")));

cl::opt<std::string> dialectName("dialect", cl::desc("Dialect to list"),
                                 cl::init("graph"));

/// The runtime's attribute kind (runtime/include/sinan/runtime/Attr.h's
/// value alternatives) for an ODS attribute, or "" when the runtime has
/// none.
StringRef kindOf(const mlir::tblgen::Attribute &attr) {
  StringRef def = attr.getBaseAttr().getAttrDefName();
  if (def == "I64Attr" || def == "I32Attr" || def == "SI64Attr" ||
      def == "BoolAttr")
    return "Int";
  if (def == "F32Attr" || def == "F64Attr")
    return "Float";
  if (def == "StrAttr")
    return "String";
  if (def == "DenseI64ArrayAttr" || def == "I64ArrayAttr")
    return "IntList";
  if (def == "F64ArrayAttr" || def == "F32ArrayAttr")
    return "FloatList";
  return "";
}

/// An ODS default (a C++ expression in the attribute's storage type) as a
/// runtime AttrValue expression, or "" when it has none.
std::string defaultOf(const mlir::tblgen::Attribute &attr, StringRef kind,
                      const Record &op, StringRef name) {
  if (!attr.hasDefaultValue())
    return "";
  StringRef text = attr.getDefaultValue().trim();
  if (kind == "Int") {
    if (text == "true" || text == "false")
      return formatv("AttrValue(int64_t({0}))", text == "true" ? 1 : 0).str();
    int64_t value;
    if (!text.getAsInteger(10, value))
      return formatv("AttrValue(int64_t({0}))", value).str();
  } else if (kind == "Float") {
    double value;
    if (!text.rtrim('f').getAsDouble(value))
      return formatv("AttrValue(double({0}))", text.rtrim('f')).str();
  } else if (kind == "String") {
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"')
      return formatv("AttrValue(std::string({0}))", text).str();
  } else if (kind == "IntList" || kind == "FloatList") {
    if (text.starts_with("{") && text.ends_with("}"))
      return formatv("AttrValue(std::vector<{0}>{1})",
                     kind == "IntList" ? "int64_t" : "double", text)
          .str();
  }
  PrintFatalError(&op, formatv("attribute '{0}': default `{1}` of kind {2} "
                               "has no runtime spelling",
                               name, text, kind));
}

/// The runtime DType enumerator for an ODS element type, or "".
std::string dtypeOf(const Record &type) {
  static const StringMap<StringRef> named = {{"F32", "F32"},
                                             {"F16", "F16"},
                                             {"BF16", "BF16"},
                                             {"F64", "F64"},
                                             {"F8E4M3FN", "F8E4M3FN"},
                                             {"F8E4M3FNUZ", "F8E4M3FNUZ"},
                                             {"F8E5M2", "F8E5M2"},
                                             {"F8E5M2FNUZ", "F8E5M2FNUZ"},
                                             {"F8E8M0FNU", "F8E8M0FNU"},
                                             {"F4E2M1FN", "F4E2M1FN"}};
  auto it = named.find(type.getName());
  if (it != named.end())
    return it->second.str();
  // Signless I<n> and unsigned UI<n>, named (I64) or not (I<4>).
  if (type.isSubClassOf("I"))
    return formatv("I{0}", type.getValueAsInt("bitwidth")).str();
  if (type.isSubClassOf("UI"))
    return formatv("U{0}", type.getValueAsInt("bitwidth")).str();
  return "";
}

/// The base constraint of an operand or result (T of Optional<T> or
/// Variadic<T>).
const Record &baseConstraint(const mlir::tblgen::NamedTypeConstraint &value) {
  const Record *def = &value.constraint.getDef();
  return def->getValue("baseType") ? *def->getValueAsDef("baseType") : *def;
}

/// Numbers each distinct value constraint of the listed ops and writes it
/// once: SINAN_CONSTRAINT(id, summary, DType::X, ...).
DenseMap<const Record *, int> emitConstraints(raw_ostream &os,
                                              ArrayRef<const Record *> ops) {
  DenseMap<const Record *, int> ids;
  for (const Record *def : ops) {
    mlir::tblgen::Operator op(def);
    auto visit = [&](const mlir::tblgen::NamedTypeConstraint &value) {
      const Record &base = baseConstraint(value);
      if (ids.count(&base))
        return;
      if (!base.getValue("elementTypes"))
        PrintFatalError(def, formatv("'{0}': type constraint {1} does not "
                                     "list its element types (use "
                                     "Graph_TensorOf)",
                                     value.name, base.getName()));
      std::string list;
      for (const Record *type : base.getValueAsListOfDefs("elementTypes")) {
        std::string dtype = dtypeOf(*type);
        if (dtype.empty())
          PrintFatalError(def, formatv("'{0}': element type {1} has no "
                                       "runtime DType",
                                       value.name, type->getName()));
        list += ", DType::" + dtype;
      }
      int id = ids.size();
      ids[&base] = id;
      os << formatv("SINAN_CONSTRAINT({0}, \"{1}\"{2})\n", id,
                    base.getValueAsString("summary"), list);
    };
    for (const auto &operand : op.getOperands())
      visit(operand);
    for (const auto &result : op.getResults())
      visit(result);
  }
  os << "\n";
  return ids;
}

/// SINAN_TIE lines: the values (operands, then results, by index) that an
/// op's traits require to have one element type. Traits that tie whole
/// types tie shapes too, which the shape rules check with clearer words.
void emitTies(raw_ostream &os, StringRef name,
              const mlir::tblgen::Operator &op) {
  auto indexOf = [&](StringRef valueName) -> int {
    for (int i = 0, e = op.getNumOperands(); i < e; ++i)
      if (op.getOperand(i).name == valueName)
        return i;
    for (int i = 0, e = op.getNumResults(); i < e; ++i)
      if (op.getResult(i).name == valueName)
        return op.getNumOperands() + i;
    PrintFatalError(&op.getDef(), "trait names no value '" + valueName + "'");
  };
  auto all = [&](bool results) {
    std::string list;
    int count = op.getNumOperands() + (results ? op.getNumResults() : 0);
    for (int i = 0; i < count; ++i)
      list += formatv(", {0}", i).str();
    return list;
  };
  for (const mlir::tblgen::Trait &trait : op.getTraits()) {
    const Record &def = trait.getDef();
    std::string values;
    std::string message;
    if (const auto *native = dyn_cast<mlir::tblgen::NativeTrait>(&trait)) {
      std::string traitName = native->getFullyQualifiedTraitName();
      StringRef base = StringRef(traitName).rsplit("::").second;
      if (base == "SameOperandsAndResultElementType") {
        values = all(true);
        message = "requires the same element type for all operands and "
                  "results";
      } else if (base == "SameOperandsAndResultType") {
        values = all(true);
        message = "requires the same type for all operands and results";
      } else if (base == "SameOperandsElementType") {
        values = all(false);
        message = "requires the same element type for all operands";
      } else if (base == "SameTypeOperands") {
        values = all(false);
        message = "requires all operands to have the same type";
      }
    } else if (def.isSubClassOf("AllElementTypesMatch") ||
               def.isSubClassOf("AllTypesMatch")) {
      for (StringRef valueName : def.getValueAsListOfStrings("values"))
        values += formatv(", {0}", indexOf(valueName)).str();
      message = ("failed to verify that " +
                 cast<mlir::tblgen::PredTrait>(trait).getSummary())
                    .str();
    }
    if (values.empty() || name == "constant")
      continue;
    os << formatv("SINAN_TIE({0}, \"{1}\"{2})\n", name, message, values);
  }
}

bool emitHostOpSignatures(raw_ostream &os, const RecordKeeper &records) {
  os << R"(// Generated by sinan-tblgen --gen-host-op-signatures from the graph dialect's
// ODS (GraphOps.td); do not edit. Regenerate with
//   cmake --build --preset dev --target update-graph-op-signatures
//
// SINAN_OP(name, minOperands, maxOperands, results): maxOperands -1 is any
// number (a variadic operand of the graph dialect takes one or more).
// SINAN_ATTR(op, name, kind, required, default): default is an AttrValue
// expression, or std::nullopt for a required attribute or an optional one
// without a default.
// SINAN_CONSTRAINT(id, summary, types...): a type constraint of graph
// values (the verifier's words) and its element types.
// SINAN_OPERAND(op, name, constraint, Single|Optional|Variadic) and
// SINAN_RESULT(op, name, constraint): each value's constraint id.
// SINAN_TIE(op, message, values...): values (operands, then results, by
// index) that must share one element type.

)";
  // By operation name, so the list reads (and diffs) alphabetically.
  std::vector<std::pair<std::string, const Record *>> defs;
  for (const Record *def : records.getAllDerivedDefinitions("Op")) {
    mlir::tblgen::Operator op(def);
    if (op.getDialectName() == dialectName)
      defs.emplace_back(op.getOperationName(), def);
  }
  llvm::sort(defs);
  std::vector<const Record *> opDefs;
  for (const auto &entry : defs)
    if (entry.first != dialectName + ".constant")
      opDefs.push_back(entry.second);
  DenseMap<const Record *, int> constraints = emitConstraints(os, opDefs);
  for (const auto &[unused, def] : defs) {
    mlir::tblgen::Operator op(def);
    std::string name =
        op.getOperationName().substr(dialectName.getValue().size() + 1);
    int minOperands = 0, maxOperands = 0;
    for (const auto &operand : op.getOperands()) {
      if (operand.isVariadic())
        maxOperands = -1;
      else if (maxOperands >= 0)
        ++maxOperands;
      if (!operand.isOptional() && !operand.isVariadic())
        ++minOperands;
      else if (operand.isVariadic() && !operand.isOptional())
        ++minOperands; // At least one value.
    }
    if (op.getNumVariableLengthResults())
      PrintFatalError(&op.getDef(), "ops with variadic results have no "
                                    "runtime signature");
    os << formatv("SINAN_OP({0}, {1}, {2}, {3})\n", name, minOperands,
                  maxOperands, op.getNumResults());
    if (name != "constant") {
      for (const auto &operand : op.getOperands())
        os << formatv("SINAN_OPERAND({0}, {1}, {2}, {3})\n", name, operand.name,
                      constraints.lookup(&baseConstraint(operand)),
                      operand.isVariadic()   ? "Variadic"
                      : operand.isOptional() ? "Optional"
                                             : "Single");
      for (const auto &result : op.getResults())
        os << formatv("SINAN_RESULT({0}, {1}, {2})\n", name, result.name,
                      constraints.lookup(&baseConstraint(result)));
      emitTies(os, name, op);
    }
    for (const mlir::tblgen::NamedAttribute &named : op.getAttributes()) {
      if (named.attr.isDerivedAttr())
        continue;
      StringRef kind = kindOf(named.attr);
      if (kind.empty())
        continue; // Constants' values: not a host-op attribute.
      std::string value = defaultOf(named.attr, kind, op.getDef(), named.name);
      bool required = !named.attr.isOptional() && value.empty();
      os << formatv("SINAN_ATTR({0}, {1}, {2}, {3}, {4})\n", name, named.name,
                    kind, required ? "true" : "false",
                    value.empty() ? "std::nullopt" : "(" + value + ")");
    }
  }
  return false;
}

bool run(raw_ostream &os, const RecordKeeper &records) {
  switch (action) {
  case Action::HostOpSignatures:
    return emitHostOpSignatures(os, records);
  }
  return true;
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv);
  return TableGenMain(argv[0], &run);
}
