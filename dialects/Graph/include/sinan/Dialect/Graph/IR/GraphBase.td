//===- GraphBase.td - Graph dialect definition -------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_DIALECT_GRAPH_IR_GRAPHBASE_TD
#define SINAN_DIALECT_GRAPH_IR_GRAPHBASE_TD

include "mlir/IR/OpBase.td"

def Graph_Dialect : Dialect {
  let name = "graph";
  let cppNamespace = "::sinan::graph";
  let summary = "Framework-neutral tensor operations on value semantics";
  let description = [{
    The `graph` dialect is where an imported model lives before it is split
    between the SNPU and the host. Its ops mirror the operator sets of ONNX
    and similar frameworks, on ranked tensors with value semantics. Every op
    infers its result type from its operands (broadcasting, convolution
    windows, batched matmul), so an importer only names the ops and the
    verifier proves the shapes are consistent. Dynamic dimensions (`?`) are
    allowed and propagate; they are fixed before lowering.

    Element types: `f32`, `f16`, `bf16`, `i8`, `i32`, `i64` and `i1`.
  }];
  let hasConstantMaterializer = 1;
}

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def Graph_Tensor : RankedTensorOf<[F32, F16, BF16, I8, I32, I64, I1]>;
def Graph_NumericTensor : RankedTensorOf<[F32, F16, BF16, I8, I32, I64]>;
def Graph_FloatTensor : RankedTensorOf<[F32, F16, BF16]>;
def Graph_BoolTensor : RankedTensorOf<[I1]>;

#endif // SINAN_DIALECT_GRAPH_IR_GRAPHBASE_TD
