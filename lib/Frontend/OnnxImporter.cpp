//===- OnnxImporter.cpp - ONNX to graph dialect ---------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The driver: checks the whole model (opset, supported ops, arity), declares
// the graph inputs and initializers, runs each node's converter (the
// Import<Family>.cpp files register them) in dependency order, verifies and
// folds what it built, and returns func.func @main. Also the public entry
// points of OnnxImporter.h.
//
//===----------------------------------------------------------------------===//

#include "sinan/Frontend/OnnxImporter.h"
#include "sinan/Frontend/OnnxModel.h"

#include "Importer.h"
#include "OnnxSchema.h"

#include "sinan/Interpreter/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

#include <cassert>
#include <set>

using namespace mlir;

namespace sinan::frontend {
namespace detail {

Location Importer::locOf(const onnx::NodeProto &node) {
  std::string name = node.name();
  if (name.empty())
    name = node.op_type() + (node.output_size() ? ":" + node.output(0) : "");
  return NameLoc::get(builder.getStringAttr(name));
}

Value Importer::input(const onnx::NodeProto &node, int index) {
  if (index >= node.input_size())
    return Value();
  auto it = symbols.find(node.input(index));
  return it == symbols.end() ? Value() : it->second;
}

InFlightDiagnostic Importer::emitAt(const onnx::NodeProto &node) {
  InFlightDiagnostic diag = emitError(locOf(node));
  diag << llvm::formatv(
      "node '{0}' ({1}): ", node.name().empty() ? node.output(0) : node.name(),
      node.op_type());
  return diag;
}

LogicalResult Importer::fail(const onnx::NodeProto &node,
                             const llvm::Twine &message) {
  failures.invalid = true;
  return emitAt(node) << message;
}

LogicalResult Importer::unsupported(const onnx::NodeProto &node,
                                    const llvm::Twine &message) {
  failures.unsupported = true;
  return emitAt(node) << message;
}

LogicalResult Importer::needsConstant(const onnx::NodeProto &node,
                                      const llvm::Twine &message) {
  failures.needsConstants = true;
  return emitAt(node) << message;
}

void Importer::error(const llvm::Twine &message, bool isUnsupported) {
  (isUnsupported ? failures.unsupported : failures.invalid) = true;
  InFlightDiagnostic diag = emitError(UnknownLoc::get(&context));
  if (!options.modelName.empty())
    diag << options.modelName << ": ";
  diag << message;
}

const onnx::AttributeProto *Importer::attribute(const onnx::NodeProto &node,
                                                llvm::StringRef name) {
  for (const onnx::AttributeProto &attr : node.attribute())
    if (attr.name() == name)
      return &attr;
  return nullptr;
}

int64_t Importer::intAttr(const onnx::NodeProto &node, llvm::StringRef name,
                          int64_t fallback) {
  const onnx::AttributeProto *attr = attribute(node, name);
  return attr ? attr->i() : fallback;
}

std::string Importer::stringAttr(const onnx::NodeProto &node,
                                 llvm::StringRef name,
                                 const std::string &fallback) {
  const onnx::AttributeProto *attr = attribute(node, name);
  return attr ? attr->s() : fallback;
}

std::optional<SmallVector<int64_t>>
Importer::intsAttr(const onnx::NodeProto &node, llvm::StringRef name) {
  const onnx::AttributeProto *attr = attribute(node, name);
  if (!attr)
    return std::nullopt;
  return SmallVector<int64_t>(attr->ints().begin(), attr->ints().end());
}

void addConverter(ConverterTable &table, const std::string &opType,
                  Importer::Converter converter) {
  [[maybe_unused]] bool inserted =
      table.emplace(opType, std::move(converter)).second;
  assert(inserted && "ONNX op registered by two converter families");
}

const std::map<std::string, Importer::Converter> &Importer::converters() {
  static const ConverterTable table = [] {
    ConverterTable table;
    registerElementwiseConverters(table);
    registerConvPoolConverters(table);
    registerNormalizationConverters(table);
    registerReductionConverters(table);
    registerLinearConverters(table);
    registerShapeConverters(table);
    registerIndexingConverters(table);
    registerQuantizationConverters(table);
    registerAttentionConverters(table);
    return table;
  }();
  return table;
}

//===----------------------------------------------------------------------===//

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

/// Verifies the ops a converter just built, so a shape or type problem is
/// reported at its ONNX node before anything consumes the result.
LogicalResult Importer::verifyNew(const onnx::NodeProto &node,
                                  Block::iterator first) {
  Block *block = builder.getInsertionBlock();
  for (Operation &op : llvm::make_range(first, block->end())) {
    // Shapes computed from attributes or constants (a Pad by 2^62) must
    // stay countable: the runtime sizes buffers from them.
    for (Type type : op.getResultTypes()) {
      auto shaped = dyn_cast<ShapedType>(type);
      if (!shaped || !shaped.hasRank())
        continue;
      int64_t count = 1;
      for (int64_t dim : shaped.getShape())
        if (!ShapedType::isDynamic(dim) &&
            (llvm::MulOverflow(count, dim, count) ||
             count > kMaxTensorElements))
          return fail(node, "a result has more than 2^56 elements");
    }
    // The verifier's own diagnostic (located at the node's name) goes on to
    // the caller with a note naming the ONNX node it came from.
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      if (diag.getSeverity() == DiagnosticSeverity::Error)
        diag.attachNote() << llvm::formatv(
            "in ONNX node '{0}' ({1})",
            node.name().empty() ? node.output(0) : node.name(), node.op_type());
      return failure();
    });
    if (failed(verify(&op))) {
      failures.invalid = true;
      return failure();
    }
  }
  return success();
}

/// Folds the ops a converter just built whose operands are all constants
/// (sinan-fold-constants' foldConstantOp), so shape arithmetic, folded
/// BatchNorm statistics and similar static subgraphs are constants by the
/// time later converters read them.
void Importer::foldConstants(const onnx::NodeProto &node,
                             Block::iterator first) {
  Block *block = builder.getInsertionBlock();
  for (Operation &op :
       llvm::make_early_inc_range(llvm::make_range(first, block->end()))) {
    // Compared, never dereferenced, once the fold has erased the op.
    Value old = op.getNumResults() == 1 ? op.getResult(0) : Value();
    Value folded = foldConstantOp(&op, builder);
    if (!folded)
      continue;
    for (const std::string &name : node.output())
      if (symbols.lookup(name) == old)
        symbols[name] = folded;
  }
}

bool Importer::checkOpset() {
  for (const auto &entry : model.opset_import())
    if (entry.domain().empty() || entry.domain() == "ai.onnx")
      opset = entry.version();
  bool usesDefault = false;
  for (const onnx::NodeProto &node : model.graph().node())
    usesDefault |= node.domain().empty() || node.domain() == "ai.onnx";
  if (opset == 0 && usesDefault) {
    error("model uses ai.onnx ops but imports no ai.onnx opset");
    return false;
  }
  if (opset == 0) // Only other domains: checkSupported() names them.
    return true;
  if (opset < kMinOnnxOpset || opset > kMaxOnnxOpset) {
    error(llvm::formatv("model uses ai.onnx opset {0}; Sinan "
                        "supports opsets {1} to {2}",
                        opset, kMinOnnxOpset, kMaxOnnxOpset),
          /*isUnsupported=*/true);
    return false;
  }
  return true;
}

/// Lists every unsupported op before any IR is built.
/// Input and output counts against the ONNX schema (Debian's onnx library),
/// so converters never read a required input the node does not have. Ops
/// newer than that library's schemas are checked by their converters.
bool Importer::checkArity() {
  for (const onnx::NodeProto &node : model.graph().node()) {
    std::optional<OpArity> arity = onnxArity(node.op_type(), opset);
    if (!arity)
      continue;
    if (arity->introducedIn) {
      (void)fail(node, llvm::formatv("{0} does not exist in opset {1} (it "
                                     "was introduced in opset {2})",
                                     node.op_type(), opset, arity->introducedIn)
                           .str());
      continue;
    }
    int inputs = node.input_size(), outputs = node.output_size();
    if (inputs < arity->minInputs || outputs < arity->minOutputs) {
      (void)fail(node, llvm::formatv("has {0} input(s) and {1} output(s); "
                                     "{2} needs at least {3} and {4}",
                                     inputs, outputs, node.op_type(),
                                     arity->minInputs, arity->minOutputs)
                           .str());
      continue;
    }
    for (int i = 0; i < inputs && i < static_cast<int>(arity->required.size());
         ++i)
      if (node.input(i).empty() && arity->required[i])
        (void)fail(node, llvm::formatv("required input {0} ('{1}') is empty", i,
                                       arity->names[i])
                             .str());
  }
  return !failedSoFar();
}

bool Importer::checkSupported() {
  std::map<std::string, std::vector<std::string>> missing;
  // Ranks of the initializers: a convolution whose weights have more than
  // four dimensions (3-D, as video networks export) is listed with the
  // unsupported ops, every node at once, not failed at the first.
  std::map<std::string, int> initializerRanks;
  for (const onnx::TensorProto &tensor : model.graph().initializer())
    initializerRanks[tensor.name()] = tensor.dims_size();
  for (const onnx::NodeProto &node : model.graph().node()) {
    bool defaultDomain = node.domain().empty() || node.domain() == "ai.onnx";
    std::string what = node.op_type();
    if (defaultDomain && (what == "Conv" || what == "ConvTranspose") &&
        node.input_size() > 1) {
      auto rank = initializerRanks.find(node.input(1));
      if (rank != initializerRanks.end() && rank->second > 4)
        what += llvm::formatv(" {0}-D", rank->second - 2).str();
    }
    std::string key = what + " (domain " +
                      (defaultDomain ? std::string("ai.onnx") : node.domain()) +
                      ", opset " + std::to_string(opset) + ")";
    if (!defaultDomain || !converters().count(node.op_type()) ||
        what != node.op_type())
      missing[key].push_back(node.name().empty() ? node.output(0)
                                                 : node.name());
  }
  if (missing.empty())
    return true;
  size_t nodes = 0;
  for (const auto &entry : missing)
    nodes += entry.second.size();
  std::string text =
      llvm::formatv("unsupported ONNX ops ({0} kind{1}, {2} "
                    "node{3}):",
                    missing.size(), missing.size() == 1 ? "" : "s", nodes,
                    nodes == 1 ? "" : "s");
  for (const auto &[op, names] : missing) {
    text += "\n  " + op + ": ";
    for (size_t i = 0; i < names.size() && i < 8; ++i)
      text += (i ? ", " : "") + names[i];
    if (names.size() > 8)
      text += llvm::formatv(", ... ({0} more)", names.size() - 8);
  }
  error(text, /*isUnsupported=*/true);
  return false;
}

RankedTensorType Importer::valueType(const onnx::ValueInfoProto &info) {
  if (!info.type().has_tensor_type()) {
    error("graph input '" + info.name() +
              "' is not a tensor (sequence, map and optional types are "
              "not supported)",
          /*isUnsupported=*/true);
    return {};
  }
  const auto &tensorType = info.type().tensor_type();
  Type element = elementType(tensorType.elem_type(), context);
  if (!element) {
    error(llvm::formatv("graph input '{0}' has element type {1}, "
                        "which Sinan does not support",
                        info.name(), onnxTypeName(tensorType.elem_type())),
          /*isUnsupported=*/true);
    return {};
  }
  auto fixed = options.inputShapes.find(info.name());
  if (fixed != options.inputShapes.end()) {
    if (tensorType.has_shape() && tensorType.shape().dim_size() !=
                                      static_cast<int>(fixed->second.size())) {
      error(llvm::formatv("--input-shape {0}: the model's input has "
                          "rank {1}, not {2}",
                          info.name(), tensorType.shape().dim_size(),
                          fixed->second.size()));
      return {};
    }
    return RankedTensorType::get(fixed->second, element);
  }
  if (!tensorType.has_shape()) {
    error("graph input '" + info.name() +
          "' has no shape; give one with --input-shape");
    return {};
  }
  SmallVector<int64_t> shape;
  for (const auto &dim : tensorType.shape().dim())
    shape.push_back(dim.has_dim_value() ? dim.dim_value()
                                        : ShapedType::kDynamic);
  return RankedTensorType::get(shape, element);
}

/// The nodes in dependency order. ONNX requires topological order, but
/// hand-edited and merged graphs do not always keep it, so the importer sorts
/// (stably) instead of rejecting them; a cycle is reported with its path.
std::optional<std::vector<const onnx::NodeProto *>> Importer::orderNodes() {
  const auto &nodes = model.graph().node();
  std::map<std::string, int> producer;
  for (int i = 0; i < nodes.size(); ++i)
    for (const std::string &out : nodes[i].output())
      if (!out.empty())
        producer.emplace(out, i);
  std::vector<std::vector<int>> users(nodes.size());
  std::vector<int> pending(nodes.size(), 0);
  for (int i = 0; i < nodes.size(); ++i) {
    std::set<int> deps;
    for (const std::string &in : nodes[i].input()) {
      auto it = producer.find(in);
      if (it != producer.end())
        deps.insert(it->second);
    }
    for (int d : deps) {
      users[d].push_back(i);
      ++pending[i];
    }
  }
  std::set<int> ready; // Lowest index first keeps the model's order.
  for (int i = 0; i < nodes.size(); ++i)
    if (!pending[i])
      ready.insert(i);
  std::vector<const onnx::NodeProto *> order;
  while (!ready.empty()) {
    int i = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(&nodes[i]);
    for (int u : users[i])
      if (--pending[u] == 0)
        ready.insert(u);
  }
  if (static_cast<int>(order.size()) == nodes.size())
    return order;
  // Every node left waits on another node left: walk producers to a repeat.
  int at = 0;
  while (!pending[at])
    ++at;
  std::vector<int> path;
  std::map<int, size_t> seen;
  while (!seen.count(at)) {
    seen[at] = path.size();
    path.push_back(at);
    for (const std::string &in : nodes[at].input()) {
      auto it = producer.find(in);
      if (it != producer.end() && pending[it->second]) {
        at = it->second;
        break;
      }
    }
  }
  std::string cycle;
  for (size_t k = seen[at]; k < path.size(); ++k) {
    const onnx::NodeProto &n = nodes[path[k]];
    cycle +=
        llvm::formatv("node '{0}' ({1}) <- ",
                      n.name().empty() ? n.output(0) : n.name(), n.op_type());
  }
  const onnx::NodeProto &first = nodes[at];
  cycle +=
      "node '" + (first.name().empty() ? first.output(0) : first.name()) + "'";
  error("the graph has a cycle: " + cycle);
  return std::nullopt;
}

OwningOpRef<ModuleOp> Importer::run() {
  if (!model.has_graph()) {
    error("model has no graph");
    return {};
  }
  // Messages and converters name a node by its first output.
  for (const onnx::NodeProto &node : model.graph().node())
    if (node.output_size() == 0)
      error("node '" + node.name() + "' (" + node.op_type() +
            ") has no outputs");
  if (failedSoFar())
    return {};
  if (!checkOpset() || !checkSupported() || !checkArity())
    return {};
  for (const auto &[name, value] : options.boundInputs) {
    bool found = false;
    for (const auto &input : model.graph().input())
      found |= input.name() == name;
    if (!found)
      error("bound input '" + name + "' is not a graph input");
  }
  for (const auto &[name, shape] : options.inputShapes) {
    bool found = false;
    for (const auto &input : model.graph().input())
      found |= input.name() == name;
    if (!found)
      error("--input-shape names '" + name + "', which is not a graph input");
  }
  if (failedSoFar())
    return {};

  context.loadDialect<graph::GraphDialect, func::FuncDialect>();
  OwningOpRef<ModuleOp> module = ModuleOp::create(builder.getUnknownLoc());
  builder.setInsertionPointToEnd(module->getBody());
  const onnx::GraphProto &graph = model.graph();

  // Initializers may also be listed as inputs (old exporters); they are
  // constants, not arguments.
  std::set<std::string> initializers;
  for (const auto &tensor : graph.initializer())
    initializers.insert(tensor.name());
  SmallVector<Type> inputTypes;
  SmallVector<std::string> inputNames;
  for (const auto &info : graph.input()) {
    if (initializers.count(info.name()) ||
        options.boundInputs.count(info.name()))
      continue;
    RankedTensorType type = valueType(info);
    if (!type)
      continue;
    inputTypes.push_back(type);
    inputNames.push_back(info.name());
  }
  if (failedSoFar())
    return {};

  auto func = func::FuncOp::create(builder, builder.getUnknownLoc(), "main",
                                   builder.getFunctionType(inputTypes, {}));
  Block *body = func.addEntryBlock();
  for (auto [name, arg] : llvm::zip(inputNames, body->getArguments())) {
    define(name, arg);
    arg.setLoc(NameLoc::get(builder.getStringAttr(name)));
    func.setArgAttr(arg.getArgNumber(), "graph.name",
                    builder.getStringAttr(name));
  }
  builder.setInsertionPointToStart(body);
  for (const auto &[name, value] : options.boundInputs)
    define(name,
           graph::ConstantOp::create(
               builder, NameLoc::get(builder.getStringAttr(name)), value));
  for (const auto &tensor : graph.initializer()) {
    std::string why;
    DenseElementsAttr attr =
        convertTensorProto(tensor, context, options.modelDirectory, why);
    if (!attr) {
      // An element type the graph dialect has none for is valid ONNX.
      error("initializer: " + why,
            /*isUnsupported=*/!elementType(tensor.data_type(), context));
      continue;
    }
    define(
        tensor.name(),
        graph::ConstantOp::create(
            builder, NameLoc::get(builder.getStringAttr(tensor.name())), attr));
  }
  if (failedSoFar())
    return {};

  auto order = orderNodes();
  if (!order)
    return {};
  for (const onnx::NodeProto *nodePtr : *order) {
    const onnx::NodeProto &node = *nodePtr;
    bool ready = true;
    for (int i = 0; i < node.input_size(); ++i)
      if (!node.input(i).empty() && !symbols.count(node.input(i))) {
        (void)fail(node, "input '" + node.input(i) +
                             "' is not produced by any node, initializer or "
                             "graph input");
        ready = false;
      }
    if (!ready)
      break;
    Operation *last = body->empty() ? nullptr : &body->back();
    if (failed(converters().at(node.op_type())(*this, node)))
      break;
    Block::iterator first =
        last ? std::next(last->getIterator()) : body->begin();
    if (failed(verifyNew(node, first)))
      break;
    foldConstants(node, first);
  }
  if (failedSoFar())
    return {};

  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  for (const auto &output : graph.output()) {
    auto it = symbols.find(output.name());
    if (it == symbols.end()) {
      error("graph output '" + output.name() + "' is not produced by any node");
      continue;
    }
    results.push_back(it->second);
    resultTypes.push_back(it->second.getType());
  }
  if (failedSoFar())
    return {};
  func::ReturnOp::create(builder, builder.getUnknownLoc(), results);
  func.setType(builder.getFunctionType(inputTypes, resultTypes));
  for (auto [index, output] : llvm::enumerate(graph.output()))
    func.setResultAttr(index, "graph.name",
                       builder.getStringAttr(output.name()));

  // Type or shape mismatches surface here, located at the ONNX node.
  if (failed(verify(*module))) {
    failures.invalid = true;
    return {};
  }
  return module;
}
} // namespace detail

OwningOpRef<ModuleOp> importOnnxModel(const onnx::ModelProto &model,
                                      MLIRContext &context,
                                      const ImportOptions &options,
                                      ImportFailures *failures) {
  detail::Importer importer(model, context, options);
  OwningOpRef<ModuleOp> module = importer.run();
  if (failures)
    *failures = importer.failures;
  return module;
}

OwningOpRef<ModuleOp> importOnnxFile(llvm::StringRef path, MLIRContext &context,
                                     ImportOptions options,
                                     ImportFailures *failures) {
  auto model = loadOnnxModel(path);
  if (!model) {
    // loadOnnxModel's messages start with the path.
    emitError(UnknownLoc::get(&context)) << llvm::toString(model.takeError());
    if (failures)
      failures->invalid = true;
    return {};
  }
  llvm::SmallString<256> directory(path);
  llvm::sys::path::remove_filename(directory);
  options.modelDirectory = directory.empty() ? "." : directory.str().str();
  options.modelName = path.str();
  return importOnnxModel(**model, context, options, failures);
}

bool parseInputShape(llvm::StringRef spec, ImportOptions &options) {
  auto [name, dims] = spec.split('=');
  if (name.empty() || dims.empty())
    return false;
  std::vector<int64_t> shape;
  SmallVector<llvm::StringRef> parts;
  dims.split(parts, 'x');
  for (llvm::StringRef part : parts) {
    int64_t dim;
    if (part.getAsInteger(10, dim) || dim < 0)
      return false;
    shape.push_back(dim);
  }
  options.inputShapes[name.str()] = shape;
  return true;
}

std::vector<std::string> supportedOnnxOps() {
  std::vector<std::string> ops;
  for (const auto &entry : detail::Importer::converters())
    ops.push_back(entry.first);
  return ops;
}

} // namespace sinan::frontend
