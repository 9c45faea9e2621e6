//===- Passes.td - Passes that evaluate graph ops ----------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_INTERPRETER_PASSES_TD
#define SINAN_INTERPRETER_PASSES_TD

include "mlir/Pass/PassBase.td"

def FoldConstants : Pass<"sinan-fold-constants"> {
  let summary = "Replaces graph ops whose operands are all constants by "
                "their values";
  let description = [{
    Evaluates each graph op whose operands are all `graph.constant`s with
    the reference kernels (the values every path is checked against) and
    replaces it by a constant, in program order, so chains of shape
    arithmetic and folded BatchNorm statistics collapse. Results larger
    than `max-elements` stay ops (the IR stays small), and an op whose
    kernel refuses its operands is left for the verifier or the run to
    report. The ONNX importer folds each node's new ops with the same
    function (foldConstantOp), since later converters read constant
    operands such as Reshape's shape.
  }];
  let options = [
    Option<"maxElements", "max-elements", "int64_t", "1 << 20",
           "Largest result (in elements) replaced by a constant">
  ];
  let dependentDialects = ["sinan::graph::GraphDialect"];
}

#endif // SINAN_INTERPRETER_PASSES_TD
