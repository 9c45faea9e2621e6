//===- HostOps.h - Run a graph op by name on host tensors -------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The one place that maps a graph op (its mnemonic and attributes) to a
// reference kernel. The compiler's evaluator and the runtime's CPU device
// (host-op steps of a compiled module) both call it, so the golden semantics
// exist once.
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_RUNTIME_REF_HOSTOPS_H
#define SINAN_RUNTIME_REF_HOSTOPS_H

#include "sinan/runtime/Attr.h"
#include "sinan/runtime/Tensor.h"

#include <string>
#include <string_view>
#include <vector>

namespace sinan::ref {

/// Runs graph op `op` (its mnemonic, e.g. "conv2d") on `inputs`, writing
/// `outputs`, which the caller allocated with the result types and shapes.
/// Attributes missing from `attrs` take the op's defaults. Returns false with
/// `error` for an unknown op, a wrong operand count, a malformed attribute or
/// an index out of range.
bool runHostOp(std::string_view op, const std::vector<Attr> &attrs,
               const std::vector<const Tensor *> &inputs,
               const std::vector<Tensor *> &outputs, std::string &error);

/// True if runHostOp knows `op`.
bool isHostOp(std::string_view op);

/// Whether a tensor of shape `from` broadcasts to shape `to` (NumPy rules,
/// `to` unchanged): what a residual = 1 addend may be.
bool broadcastsTo(const std::vector<int64_t> &from,
                  const std::vector<int64_t> &to);

/// True if runHostOp takes `op` with this many inputs and outputs.
bool hostOpArity(std::string_view op, size_t inputs, size_t outputs);

/// Every op runHostOp knows.
std::vector<std::string_view> hostOpNames();

/// A value as a step sees it.
struct ValueType {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
};

/// Checks, before anything runs, that `op` with `attrs` accepts operands of
/// these types and yields results of exactly these: the reference kernels
/// trust the shapes they are given, so a runtime checks every host op of a
/// module from a file with this. Returns false with `error` naming the
/// problem and both types.
bool checkHostOp(std::string_view op, const std::vector<Attr> &attrs,
                 const std::vector<ValueType> &inputs,
                 const std::vector<ValueType> &outputs, std::string &error);

/// True if checkHostOp has a rule for `op` (every host op must).
bool hasHostOpCheck(std::string_view op);

/// Multiply-accumulates `op` (with `attrs`) performs on operands and results
/// of these (checked) types: matmul, conv2d, conv_transpose2d and attention
/// count one per product term, a subgraph the sum of its ops', every other
/// op zero. Reports use it for the share of a model's MACs that ran on the
/// host, and the device's useful MACs.
uint64_t hostOpMacs(std::string_view op, const std::vector<Attr> &attrs,
                    const std::vector<ValueType> &inputs,
                    const std::vector<ValueType> &outputs);

} // namespace sinan::ref

#endif // SINAN_RUNTIME_REF_HOSTOPS_H
