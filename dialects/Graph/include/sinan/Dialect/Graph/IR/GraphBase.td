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

    Element types: `f32`, `f16`, `bf16`, `i8`, `i32`, `i64` and `i1`, which
    the SNPU path handles, plus host-only `f64`, `ui8`, `i16`, `ui16`,
    `ui32` and `ui64` for imported models.
  }];
  let hasConstantMaterializer = 1;
}

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

/// A ranked tensor of the given element types. The list is kept as a field
/// so sinan-tblgen can hand each operand's and result's element types to
/// the runtime's host-op checks (RankedTensorOf does not keep it).
class Graph_TensorOf<list<Type> types> : RankedTensorOf<types> {
  list<Type> elementTypes = types;
}

// Device types first; f64, the unsigned and 16-bit integers and the 8- and
// 4-bit storage formats are host-only (imported models, reference
// evaluation, CPU fallback). Arithmetic ops take the numeric subset.
def Graph_Tensor : Graph_TensorOf<[F32, F16, BF16, I8, I32, I64, I1,
                                   F64, UI8, I16, UI16, UI32, UI64,
                                   F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ,
                                   F8E8M0FNU, F4E2M1FN, I<4>, UI<4>]>;
def Graph_NumericTensor : Graph_TensorOf<[F32, F16, BF16, I8, I32, I64,
                                          F64, UI8, I16, UI16, UI32, UI64]>;
def Graph_FloatTensor : Graph_TensorOf<[F32, F16, BF16, F64]>;
def Graph_BoolTensor : Graph_TensorOf<[I1]>;

#endif // SINAN_DIALECT_GRAPH_IR_GRAPHBASE_TD
