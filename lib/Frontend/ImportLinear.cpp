//===- ImportLinear.cpp - ONNX matrix products ----------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Converts MatMul, Gemm and Einsum; an Einsum equation becomes reduce_sum,
// transpose, reshape and one batched matmul per pair of operands.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

using namespace mlir;

namespace sinan::frontend::detail {
namespace {

LogicalResult convertMatMul(Importer &im, const onnx::NodeProto &node) {
  im.define(node.output(0),
            graph::MatMulOp::create(im.builder, im.locOf(node),
                                    im.input(node, 0), im.input(node, 1)));
  return success();
}

LogicalResult convertGemm(Importer &im, const onnx::NodeProto &node) {
  Location loc = im.locOf(node);
  Value a = im.input(node, 0), b = im.input(node, 1);
  auto swap = im.builder.getDenseI64ArrayAttr({1, 0});
  if (im.intAttr(node, "transA", 0))
    a = graph::TransposeOp::create(im.builder, loc, a, swap);
  if (im.intAttr(node, "transB", 0))
    b = graph::TransposeOp::create(im.builder, loc, b, swap);
  if (failed(sameElementType(im, node, {a, b})))
    return failure();
  Type element = getElementTypeOrSelf(a);
  Value y = graph::MatMulOp::create(im.builder, loc, a, b);
  float alpha = 1.0f, beta = 1.0f;
  if (auto attr = im.attribute(node, "alpha"))
    alpha = attr->f();
  if (auto attr = im.attribute(node, "beta"))
    beta = attr->f();
  if (alpha != 1.0f)
    y = graph::MulOp::create(im.builder, loc, y,
                             scalarConstant(im, loc, element, alpha));
  if (im.hasInput(node, 2) && beta != 0.0f) {
    Value c = im.input(node, 2);
    if (beta != 1.0f)
      c = graph::MulOp::create(im.builder, loc, c,
                               scalarConstant(im, loc, element, beta));
    y = graph::AddOp::create(im.builder, loc, y, c);
  }
  im.define(node.output(0), y);
  return success();
}

/// One Einsum operand: its value and one label per dimension.
struct EinsumTerm {
  Value value;
  std::string labels;
};

/// Builds Einsum from reduce_sum, transpose, reshape and matmul: each pair
/// of operands becomes one (broadcasting) batched matmul.
class EinsumBuilder {
public:
  EinsumBuilder(Importer &im, Location loc) : im(im), loc(loc) {}

  /// Sums out the labels of `t` that are not in `keep`.
  EinsumTerm reduce(EinsumTerm t, const std::string &keep) {
    SmallVector<int64_t> axes;
    std::string left;
    for (size_t d = 0; d < t.labels.size(); ++d) {
      if (keep.find(t.labels[d]) == std::string::npos)
        axes.push_back(d);
      else
        left += t.labels[d];
    }
    if (axes.empty())
      return t;
    Value v = graph::ReduceSumOp::create(im.builder, loc, t.value,
                                         im.builder.getDenseI64ArrayAttr(axes),
                                         im.builder.getBoolAttr(false));
    return {v, left};
  }

  /// Permutes `t` to the label order `order` (a permutation of its labels).
  EinsumTerm arrange(EinsumTerm t, const std::string &order) {
    SmallVector<int64_t> perm;
    for (char c : order)
      perm.push_back(t.labels.find(c));
    if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())))
      return {t.value, order};
    Value v = graph::TransposeOp::create(im.builder, loc, t.value,
                                         im.builder.getDenseI64ArrayAttr(perm));
    return {v, order};
  }

  /// a x b over their shared labels, keeping the labels in `keep`.
  EinsumTerm contract(EinsumTerm a, EinsumTerm b, const std::string &keep) {
    std::string keepA = keep + b.labels, keepB = keep + a.labels;
    a = reduce(a, keepA);
    b = reduce(b, keepB);
    std::string batch, contracted, freeA, freeB;
    for (char c : a.labels) {
      bool shared = b.labels.find(c) != std::string::npos;
      bool kept = keep.find(c) != std::string::npos;
      (shared ? (kept ? batch : contracted) : freeA) += c;
    }
    for (char c : b.labels)
      if (a.labels.find(c) == std::string::npos)
        freeB += c;
    a = arrange(a, batch + freeA + contracted);
    b = arrange(b, batch + contracted + freeB);
    auto sizes = [&](const EinsumTerm &t, const std::string &labels) {
      SmallVector<int64_t> out;
      for (char c : labels)
        out.push_back(shapeOf(t.value)[t.labels.find(c)]);
      return out;
    };
    auto product = [](ArrayRef<int64_t> dims) {
      int64_t n = 1;
      for (int64_t d : dims)
        n *= d;
      return n;
    };
    SmallVector<int64_t> shapeA = sizes(a, batch), shapeB = sizes(b, batch);
    shapeA.append({product(sizes(a, freeA)), product(sizes(a, contracted))});
    shapeB.append({product(sizes(b, contracted)), product(sizes(b, freeB))});
    Value mm = graph::MatMulOp::create(im.builder, loc,
                                       reshapeTo(im, loc, a.value, shapeA),
                                       reshapeTo(im, loc, b.value, shapeB));
    SmallVector<int64_t> result(shapeOf(mm).drop_back(2));
    result.append(sizes(a, freeA));
    result.append(sizes(b, freeB));
    return {reshapeTo(im, loc, mm, result), batch + freeA + freeB};
  }

private:
  Importer &im;
  Location loc;
};

/// Parses an Einsum equation into per-operand labels and the output labels.
/// Ellipsis dimensions get the labels '0'..'9', right-aligned like
/// broadcasting; an implicit output is the ellipsis, then the labels used
/// once, in alphabetical order.
FailureOr<std::pair<SmallVector<std::string>, std::string>>
parseEinsum(Importer &im, const onnx::NodeProto &node) {
  std::string equation;
  for (char c : im.stringAttr(node, "equation", ""))
    if (c != ' ')
      equation += c;
  size_t arrow = equation.find("->");
  std::string lhs = equation.substr(0, arrow);
  SmallVector<StringRef> parts;
  StringRef(lhs).split(parts, ',');
  if (static_cast<int>(parts.size()) != node.input_size())
    return im.fail(node, "equation '" + equation + "' names " +
                             std::to_string(parts.size()) +
                             " operands, the "
                             "node has " +
                             std::to_string(node.input_size()));
  int64_t ellipsisRank = 0;
  SmallVector<int64_t> ranks;
  for (int i = 0; i < node.input_size(); ++i) {
    int64_t rank = shapeOf(im.input(node, i)).size();
    ranks.push_back(rank);
    if (parts[i].contains("..."))
      ellipsisRank = std::max<int64_t>(
          ellipsisRank, rank - static_cast<int64_t>(parts[i].size() - 3));
  }
  if (ellipsisRank > 10)
    return im.unsupported(node,
                          "more than 10 ellipsis dimensions are not supported");
  auto expand = [&](StringRef term,
                    int64_t rank) -> std::optional<std::string> {
    std::string out;
    size_t dots = term.find("...");
    for (size_t i = 0; i < term.size(); ++i) {
      if (i == dots) {
        int64_t count = rank < 0 ? ellipsisRank
                                 : rank - static_cast<int64_t>(term.size() - 3);
        if (count < 0)
          return std::nullopt;
        for (int64_t j = ellipsisRank - count; j < ellipsisRank; ++j)
          out += static_cast<char>('0' + j);
        i += 2;
      } else if (std::isalpha(static_cast<unsigned char>(term[i]))) {
        out += term[i];
      } else {
        return std::nullopt;
      }
    }
    if (rank >= 0 && static_cast<int64_t>(out.size()) != rank)
      return std::nullopt;
    return out;
  };
  SmallVector<std::string> terms;
  std::map<char, int> uses;
  for (int i = 0; i < node.input_size(); ++i) {
    auto labels = expand(parts[i], ranks[i]);
    if (!labels)
      return im.fail(node, "operand " + std::to_string(i) + " of equation '" +
                               equation + "' does not match its rank " +
                               std::to_string(ranks[i]));
    for (char c : *labels)
      if (llvm::count(*labels, c) > 1)
        return im.unsupported(node,
                              "repeated labels within an operand (diagonals, "
                              "traces) are not supported");
    for (char c : *labels)
      ++uses[c];
    terms.push_back(*labels);
  }
  std::string output;
  if (arrow == std::string::npos) {
    for (int64_t j = 0; j < ellipsisRank; ++j)
      output += static_cast<char>('0' + j);
    for (auto [c, n] : uses)
      if (n == 1 && std::isalpha(static_cast<unsigned char>(c)))
        output += c;
  } else {
    auto labels = expand(equation.substr(arrow + 2), -1);
    if (!labels)
      return im.fail(node, "bad output of equation '" + equation + "'");
    output = *labels;
    for (char c : output)
      if (!uses.count(c) || llvm::count(output, c) > 1)
        return im.fail(node, std::string("output label '") + c +
                                 "' of equation '" + equation +
                                 "' is not an input label, or repeats");
  }
  return std::make_pair(terms, output);
}

LogicalResult convertEinsum(Importer &im, const onnx::NodeProto &node) {
  for (int i = 0; i < node.input_size(); ++i)
    if (!cast<RankedTensorType>(im.input(node, i).getType()).hasStaticShape())
      return im.fail(node, "Einsum needs static shapes; use --input-shape");
  auto parsed = parseEinsum(im, node);
  if (failed(parsed))
    return failure();
  auto &[labels, output] = *parsed;
  // Label sizes must agree (1 broadcasts).
  std::map<char, int64_t> sizes;
  for (size_t i = 0; i < labels.size(); ++i)
    for (size_t d = 0; d < labels[i].size(); ++d) {
      int64_t size = shapeOf(im.input(node, i))[d];
      auto [it, inserted] = sizes.emplace(labels[i][d], size);
      if (!inserted && it->second != size && it->second != 1 && size != 1)
        return im.fail(node, std::string("label '") + labels[i][d] +
                                 "' has sizes " + std::to_string(it->second) +
                                 " and " + std::to_string(size));
    }
  EinsumBuilder b(im, im.locOf(node));
  EinsumTerm result{im.input(node, 0), labels[0]};
  for (size_t i = 1; i < labels.size(); ++i) {
    std::string keep = output;
    for (size_t j = i + 1; j < labels.size(); ++j)
      keep += labels[j];
    result = b.contract(result, {im.input(node, i), labels[i]}, keep);
  }
  result = b.arrange(b.reduce(result, output), output);
  im.define(node.output(0), result.value);
  return success();
}

} // namespace

void registerLinearConverters(ConverterTable &table) {
  addConverter(table, "Einsum", convertEinsum);
  addConverter(table, "Gemm", convertGemm);
  addConverter(table, "MatMul", convertMatMul);
}

} // namespace sinan::frontend::detail
