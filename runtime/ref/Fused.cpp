//===- Fused.cpp - Host steps that chain elementwise ops ------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A `fused` step is a chain of host ops the compiler fused into one native
// kernel (sinan-form-host-kernels). Its attributes say what the chain
// computes, so the reference kernels can run it op by op when the native
// code cannot (and checkHostOp can check every link):
//   ops      = "sigmoid,mul"       the chain's ops, first first
//   arity    = [1, 2]              each op's operand count
//   operands = [0, 0, -1]          each operand: step input k, or -1 for
//                                  the result of the op before
//   "1:alpha" = ...                op i's attribute "alpha"
// Every op's result has the step's output type.
//
//
// A `subgraph` step is an SNPU kernel's fallback when the kernel runs a
// small graph of host ops (attention with the transposes and reshapes it
// reads and writes through as views): the ops in order, each operand a step
// input or an earlier op's result, each result of its own shape:
//   ops      = "transpose,attention"
//   arity    = [1, 3]
//   operands = [0, -1, 1, 2]       step input k, or -1 - j for op j's result
//   ranks    = [4, 4]              each result's rank
//   shapes   = [1, 4, 64, 32, ...] the results' dimensions, in turn
//   "1:scale" = ...                op i's attribute "scale"
// Every result has the output's element type; the last one is the output.
//
//===----------------------------------------------------------------------===//

#include "Fused.h"

#include "sinan/runtime/ref/HostOps.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace sinan::ref {
namespace {

/// The ops of a comma-separated list.
std::vector<std::string> splitOps(const std::string &ops) {
  std::vector<std::string> names;
  for (size_t start = 0; start <= ops.size();) {
    size_t comma = std::min(ops.find(',', start), ops.size());
    names.push_back(ops.substr(start, comma - start));
    start = comma + 1;
  }
  return names;
}

/// Gives each "i:name" attribute to op i of `ops` as "name"; false (with
/// `error`, from `noOp`) when one names no op.
template <typename Op>
bool givePerOpAttrs(const std::vector<Attr> &attrs, std::vector<Op> &ops,
                    const char *noOp, std::string &error) {
  for (const Attr &attr : attrs) {
    size_t colon = attr.name.find(':');
    if (colon == std::string::npos)
      continue;
    size_t index = 0;
    auto [end, ec] =
        std::from_chars(attr.name.data(), attr.name.data() + colon, index);
    if (ec != std::errc() || end != attr.name.data() + colon ||
        index >= ops.size()) {
      error = fmt::format(fmt::runtime(noOp), attr.name);
      return false;
    }
    ops[index].attrs.push_back({attr.name.substr(colon + 1), attr.value});
  }
  return true;
}

struct Link {
  std::string op;
  std::vector<Attr> attrs;
  std::vector<int64_t> operands; ///< Step input index, or -1.
};

std::optional<std::vector<Link>> parseChain(const std::vector<Attr> &attrs,
                                            size_t inputs, size_t outputs,
                                            std::string &error) {
  if (outputs != 1) {
    error = fmt::format("a fused step has one output, got {}", outputs);
    return std::nullopt;
  }
  const std::string *ops = nullptr;
  const std::vector<int64_t> *arity = nullptr, *operands = nullptr;
  for (const Attr &attr : attrs) {
    if (attr.name == "ops")
      ops = std::get_if<std::string>(&attr.value);
    else if (attr.name == "arity")
      arity = std::get_if<std::vector<int64_t>>(&attr.value);
    else if (attr.name == "operands")
      operands = std::get_if<std::vector<int64_t>>(&attr.value);
  }
  if (!ops || !arity || !operands) {
    error = "a fused step needs the attributes 'ops' (a string), 'arity' and "
            "'operands' (integer lists)";
    return std::nullopt;
  }
  std::vector<Link> chain;
  for (std::string &name : splitOps(*ops))
    chain.push_back({std::move(name), {}, {}});
  if (chain.size() != arity->size()) {
    error = fmt::format("a fused step names {} ops but gives {} arities",
                        chain.size(), arity->size());
    return std::nullopt;
  }
  size_t next = 0;
  for (size_t i = 0; i < chain.size(); ++i) {
    Link &link = chain[i];
    if (link.op.empty() || link.op == "fused" || !isHostOp(link.op)) {
      error = fmt::format("fused op {} ('{}') is not a host op", i, link.op);
      return std::nullopt;
    }
    int64_t count = (*arity)[i];
    if (count < 1 || next + count > operands->size()) {
      error = fmt::format("fused op {} ('{}'): arity {} overruns the {} "
                          "operands",
                          i, link.op, count, operands->size());
      return std::nullopt;
    }
    for (int64_t k = 0; k < count; ++k) {
      int64_t from = (*operands)[next++];
      if (from < -1 || from >= int64_t(inputs) || (from == -1 && i == 0)) {
        error = fmt::format("fused op {} ('{}'): operand {} refers to {}, "
                            "which is neither one of the {} inputs nor an "
                            "earlier result",
                            i, link.op, k, from, inputs);
        return std::nullopt;
      }
      link.operands.push_back(from);
    }
    if (i > 0 &&
        std::count(link.operands.begin(), link.operands.end(), -1) == 0) {
      error = fmt::format("fused op {} ('{}') does not use the result of the "
                          "op before it",
                          i, link.op);
      return std::nullopt;
    }
  }
  if (next != operands->size()) {
    error = fmt::format("a fused step's ops take {} operands but it lists {}",
                        next, operands->size());
    return std::nullopt;
  }
  // "i:name" attributes go to op i.
  if (!givePerOpAttrs(attrs, chain,
                      "fused step attribute '{}' names no op of the chain",
                      error))
    return std::nullopt;
  return chain;
}

struct Node {
  std::string op;
  std::vector<Attr> attrs;
  std::vector<int64_t> operands; ///< Step input k, or -1 - j for op j.
  std::vector<int64_t> shape;
};

std::optional<std::vector<Node>> parseSubgraph(const std::vector<Attr> &attrs,
                                               size_t inputs, size_t outputs,
                                               std::string &error) {
  if (outputs != 1) {
    error = fmt::format("a subgraph step has one output, got {}", outputs);
    return std::nullopt;
  }
  const std::string *ops = nullptr;
  const std::vector<int64_t> *arity = nullptr, *operands = nullptr,
                             *ranks = nullptr, *shapes = nullptr;
  for (const Attr &attr : attrs) {
    if (attr.name == "ops")
      ops = std::get_if<std::string>(&attr.value);
    else if (attr.name == "arity")
      arity = std::get_if<std::vector<int64_t>>(&attr.value);
    else if (attr.name == "operands")
      operands = std::get_if<std::vector<int64_t>>(&attr.value);
    else if (attr.name == "ranks")
      ranks = std::get_if<std::vector<int64_t>>(&attr.value);
    else if (attr.name == "shapes")
      shapes = std::get_if<std::vector<int64_t>>(&attr.value);
  }
  if (!ops || !arity || !operands || !ranks || !shapes) {
    error = "a subgraph step needs the attributes 'ops' (a string), 'arity', "
            "'operands', 'ranks' and 'shapes' (integer lists)";
    return std::nullopt;
  }
  std::vector<Node> nodes;
  for (std::string &name : splitOps(*ops))
    nodes.push_back({std::move(name), {}, {}, {}});
  if (nodes.size() != arity->size() || nodes.size() != ranks->size()) {
    error = fmt::format("a subgraph step names {} ops but gives {} arities "
                        "and {} ranks",
                        nodes.size(), arity->size(), ranks->size());
    return std::nullopt;
  }
  size_t next = 0, dim = 0;
  for (size_t i = 0; i < nodes.size(); ++i) {
    Node &node = nodes[i];
    if (node.op.empty() || node.op == "fused" || node.op == "subgraph" ||
        !isHostOp(node.op)) {
      error = fmt::format("subgraph op {} ('{}') is not a host op", i, node.op);
      return std::nullopt;
    }
    int64_t count = (*arity)[i], rank = (*ranks)[i];
    if (count < 1 || next + count > operands->size() || rank < 0 ||
        dim + rank > shapes->size()) {
      error = fmt::format("subgraph op {} ('{}'): arity {} or rank {} "
                          "overruns the {} operands or {} dimensions",
                          i, node.op, count, rank, operands->size(),
                          shapes->size());
      return std::nullopt;
    }
    for (int64_t k = 0; k < count; ++k) {
      int64_t from = (*operands)[next++];
      if (from >= int64_t(inputs) || -1 - from >= int64_t(i)) {
        error = fmt::format("subgraph op {} ('{}'): operand {} refers to {}, "
                            "which is neither one of the {} inputs nor an "
                            "earlier op's result",
                            i, node.op, k, from, inputs);
        return std::nullopt;
      }
      node.operands.push_back(from);
    }
    node.shape.assign(shapes->begin() + dim, shapes->begin() + dim + rank);
    dim += rank;
    // As a module's own values: no negative dimension, at most 2^48
    // elements.
    int64_t elements = 1;
    for (int64_t d : node.shape) {
      if (d < 0 || (d > 0 && elements > (int64_t(1) << 48) / d)) {
        error = fmt::format("subgraph op {} ('{}'): its result's dimensions "
                            "are negative or hold more than 2^48 elements",
                            i, node.op);
        return std::nullopt;
      }
      elements *= d;
    }
  }
  if (next != operands->size() || dim != shapes->size()) {
    error = fmt::format("a subgraph step's ops take {} operands and {} "
                        "dimensions but it lists {} and {}",
                        next, dim, operands->size(), shapes->size());
    return std::nullopt;
  }
  if (!givePerOpAttrs(attrs, nodes,
                      "subgraph step attribute '{}' names no op of it", error))
    return std::nullopt;
  return nodes;
}

} // namespace

bool runSubgraph(const std::vector<Attr> &attrs,
                 const std::vector<const Tensor *> &inputs,
                 const std::vector<Tensor *> &outputs, std::string &error) {
  std::optional<std::vector<Node>> nodes =
      parseSubgraph(attrs, inputs.size(), outputs.size(), error);
  if (!nodes)
    return false;
  Tensor &out = *outputs[0];
  if (nodes->back().shape != out.shape()) {
    error = "a subgraph step's last op does not make its output's shape";
    return false;
  }
  std::vector<Tensor> results;
  results.reserve(nodes->size());
  for (size_t i = 0; i < nodes->size(); ++i) {
    const Node &node = (*nodes)[i];
    std::vector<const Tensor *> operands;
    for (int64_t from : node.operands)
      operands.push_back(from >= 0 ? inputs[from] : &results[-1 - from]);
    results.emplace_back(out.type(), node.shape);
    Tensor *result = i + 1 == nodes->size() ? &out : &results.back();
    if (!runHostOp(node.op, node.attrs, operands, {result}, error)) {
      error = fmt::format("subgraph op {} ('{}'): {}", i, node.op, error);
      return false;
    }
  }
  return true;
}

bool checkSubgraph(const std::vector<Attr> &attrs,
                   const std::vector<ValueType> &inputs,
                   const std::vector<ValueType> &outputs, std::string &error) {
  std::optional<std::vector<Node>> nodes =
      parseSubgraph(attrs, inputs.size(), outputs.size(), error);
  if (!nodes)
    return false;
  if (nodes->back().shape != outputs[0].shape) {
    error = "a subgraph step's last op does not make its output's shape";
    return false;
  }
  std::vector<ValueType> results;
  for (size_t i = 0; i < nodes->size(); ++i) {
    const Node &node = (*nodes)[i];
    std::vector<ValueType> operands;
    for (int64_t from : node.operands)
      operands.push_back(from >= 0 ? inputs[from] : results[-1 - from]);
    results.push_back({outputs[0].dtype, node.shape});
    std::string problem;
    if (!checkHostOp(node.op, node.attrs, operands, {results.back()},
                     problem)) {
      error = fmt::format("subgraph op {} ('{}'): {}", i, node.op, problem);
      return false;
    }
  }
  return true;
}

uint64_t subgraphMacs(const std::vector<Attr> &attrs,
                      const std::vector<ValueType> &inputs,
                      const std::vector<ValueType> &outputs) {
  std::string error;
  std::optional<std::vector<Node>> nodes =
      parseSubgraph(attrs, inputs.size(), outputs.size(), error);
  if (!nodes)
    return 0;
  uint64_t macs = 0;
  std::vector<ValueType> results;
  for (const Node &node : *nodes) {
    std::vector<ValueType> operands;
    for (int64_t from : node.operands)
      operands.push_back(from >= 0 ? inputs[from] : results[-1 - from]);
    results.push_back({outputs[0].dtype, node.shape});
    macs += hostOpMacs(node.op, node.attrs, operands, {results.back()});
  }
  return macs;
}

bool runFused(const std::vector<Attr> &attrs,
              const std::vector<const Tensor *> &inputs,
              const std::vector<Tensor *> &outputs, std::string &error) {
  std::optional<std::vector<Link>> chain =
      parseChain(attrs, inputs.size(), outputs.size(), error);
  if (!chain)
    return false;
  Tensor &out = *outputs[0];
  // Results alternate between two buffers; the last is the output.
  Tensor scratch[2] = {Tensor(out.type(), out.shape()),
                       Tensor(out.type(), out.shape())};
  const Tensor *previous = nullptr;
  for (size_t i = 0; i < chain->size(); ++i) {
    const Link &link = (*chain)[i];
    std::vector<const Tensor *> operands;
    for (int64_t from : link.operands)
      operands.push_back(from < 0 ? previous : inputs[from]);
    Tensor *result = i + 1 == chain->size() ? &out : &scratch[i % 2];
    if (!runHostOp(link.op, link.attrs, operands, {result}, error)) {
      error = fmt::format("fused op {}: {}", i, error);
      return false;
    }
    previous = result;
  }
  return true;
}

bool checkFused(const std::vector<Attr> &attrs,
                const std::vector<ValueType> &inputs,
                const std::vector<ValueType> &outputs, std::string &error) {
  std::optional<std::vector<Link>> chain =
      parseChain(attrs, inputs.size(), outputs.size(), error);
  if (!chain)
    return false;
  for (size_t i = 0; i < chain->size(); ++i) {
    const Link &link = (*chain)[i];
    std::vector<ValueType> operands;
    for (int64_t from : link.operands)
      operands.push_back(from < 0 ? outputs[0] : inputs[from]);
    std::string problem;
    if (!checkHostOp(link.op, link.attrs, operands, outputs, problem)) {
      error = fmt::format("fused op {}: {}", i, problem);
      return false;
    }
  }
  return true;
}

} // namespace sinan::ref
