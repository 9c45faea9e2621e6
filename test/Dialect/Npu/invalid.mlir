// RUN: sinan-opt %s -split-input-file -verify-diagnostics

func.func @load_into_dram(%a: memref<16x16xbf16, #npu.space<dram>>, %b: memref<16x16xbf16, #npu.space<dram>>) {
  // expected-error @+1 {{'npu.dma_load' op destination must be in a local memory}}
  npu.dma_load %a, %b : memref<16x16xbf16, #npu.space<dram>> to memref<16x16xbf16, #npu.space<dram>>
  return
}

// -----

func.func @shape_mismatch(%a: memref<16x16xbf16, #npu.space<dram>>, %b: memref<16x32xbf16, #npu.space<ibuf>>) {
  // expected-error @+1 {{'npu.dma_load' op source shape must be the destination's less the padding (16x32)}}
  npu.dma_load %a, %b : memref<16x16xbf16, #npu.space<dram>> to memref<16x32xbf16, #npu.space<ibuf>>
  return
}

// -----

func.func @rank5(%a: memref<1x1x1x2x16xf32, #npu.space<dram>>, %b: memref<1x1x1x2x16xf32, #npu.space<vbuf>>) {
  // expected-error @+1 {{'npu.dma_load' op source must have rank 1 to 4, not 5}}
  npu.dma_load %a, %b : memref<1x1x1x2x16xf32, #npu.space<dram>> to memref<1x1x1x2x16xf32, #npu.space<vbuf>>
  return
}

// -----

func.func @strided_inner(%a: memref<16x16xf32, #npu.space<vbuf>>, %b: memref<16x16xf32, strided<[32, 2]>, #npu.space<dram>>) {
  // expected-error @+1 {{'npu.dma_store' op destination must be contiguous in its innermost dimension}}
  npu.dma_store %a, %b : memref<16x16xf32, #npu.space<vbuf>> to memref<16x16xf32, strided<[32, 2]>, #npu.space<dram>>
  return
}

// -----

func.func @store_from_dram(%a: memref<16xf32, #npu.space<dram>>, %b: memref<16xf32, #npu.space<dram>>) {
  // expected-error @+1 {{'npu.dma_store' op source must be in a local memory}}
  npu.dma_store %a, %b : memref<16xf32, #npu.space<dram>> to memref<16xf32, #npu.space<dram>>
  return
}

// -----

func.func @mma_spaces(%a: memref<16x16xbf16, #npu.space<wbuf>>, %b: memref<16x16xbf16, #npu.space<wbuf>>, %c: memref<16x16xf32, #npu.space<acc>>) {
  // expected-error @+1 {{'npu.mma' op lhs must be in ibuf}}
  npu.mma %a, %b, %c : memref<16x16xbf16, #npu.space<wbuf>>, memref<16x16xbf16, #npu.space<wbuf>>, memref<16x16xf32, #npu.space<acc>>
  return
}

// -----

func.func @mma_shapes(%a: memref<16x32xbf16, #npu.space<ibuf>>, %b: memref<16x16xbf16, #npu.space<wbuf>>, %c: memref<16x16xf32, #npu.space<acc>>) {
  // expected-error @+1 {{'npu.mma' op shapes 'memref<16x32xbf16, #npu.space<ibuf>>' x 'memref<16x16xbf16, #npu.space<wbuf>>' -> 'memref<16x16xf32, #npu.space<acc>>' do not form a matrix product}}
  npu.mma %a, %b, %c : memref<16x32xbf16, #npu.space<ibuf>>, memref<16x16xbf16, #npu.space<wbuf>>, memref<16x16xf32, #npu.space<acc>>
  return
}

// -----

func.func @mma_types(%a: memref<16x16xf32, #npu.space<ibuf>>, %b: memref<16x16xf32, #npu.space<wbuf>>, %c: memref<16x16xf32, #npu.space<acc>>) {
  // expected-error @+1 {{'npu.mma' op takes bf16 x bf16 -> f32 or i8 x i8 -> i32}}
  npu.mma %a, %b, %c : memref<16x16xf32, #npu.space<ibuf>>, memref<16x16xf32, #npu.space<wbuf>>, memref<16x16xf32, #npu.space<acc>>
  return
}

// -----

func.func @signal_self() {
  // expected-error @+1 {{'npu.signal' op source and destination engine are the same}}
  npu.signal <vec> -> <vec>, 0
  return
}

// -----

func.func @fill_pattern(%a: memref<16xf32, #npu.space<vbuf>>) {
  // expected-error @+1 {{'npu.fill' op pattern must be 32 bits}}
  npu.fill %a {pattern = 4294967296} : memref<16xf32, #npu.space<vbuf>>
  return
}

// -----

func.func @padding_too_large(%a: memref<16x1xf32, #npu.space<dram>>, %b: memref<16x4xf32, #npu.space<vbuf>>) {
  // expected-error @+1 {{'npu.dma_load' op padding is larger than the destination}}
  npu.dma_load %a, %b {padding = array<i64: 3, 2>} : memref<16x1xf32, #npu.space<dram>> to memref<16x4xf32, #npu.space<vbuf>>
  return
}

// -----

func.func @padding_shape(%a: memref<16x4xf32, #npu.space<dram>>, %b: memref<16x4xf32, #npu.space<vbuf>>) {
  // expected-error @+1 {{'npu.dma_load' op source shape must be the destination's less the padding (15x3)}}
  npu.dma_load %a, %b {padding = array<i64: 1, 0, 0, 1>} : memref<16x4xf32, #npu.space<dram>> to memref<16x4xf32, #npu.space<vbuf>>
  return
}

// -----

func.func @padding_arity(%a: memref<16x4xf32, #npu.space<dram>>, %b: memref<16x4xf32, #npu.space<vbuf>>) {
  // expected-error @+1 {{'npu.dma_load' op padding must be [before, after] or [rows before, rows after, before, after]}}
  npu.dma_load %a, %b {padding = array<i64: 1, 0, 0>} : memref<16x4xf32, #npu.space<dram>> to memref<16x4xf32, #npu.space<vbuf>>
  return
}

// -----

func.func @fma_integers(%a: memref<64xi32, #npu.space<vbuf>>) {
  // expected-error @+1 {{'npu.vfma' op multiplies and adds floats only}}
  npu.vfma %a, %a, %a : memref<64xi32, #npu.space<vbuf>>, memref<64xi32, #npu.space<vbuf>>, memref<64xi32, #npu.space<vbuf>>
  return
}

// -----

// Only the second source may be a per-repeat scalar.
func.func @fma_scalar_lhs(%a: memref<4x64xf32, #npu.space<vbuf>>, %s: memref<4x64xf32, strided<[1, 0]>, #npu.space<vbuf>>) {
  // expected-error @+1 {{'npu.vfma' op source must be contiguous in its innermost dimension}}
  npu.vfma %s, %a, %a : memref<4x64xf32, strided<[1, 0]>, #npu.space<vbuf>>, memref<4x64xf32, #npu.space<vbuf>>, memref<4x64xf32, #npu.space<vbuf>>
  return
}

// -----

// A unary op has no scalar operand.
func.func @vun_scalar(%a: memref<4x64xf32, #npu.space<vbuf>>, %s: memref<4x64xf32, strided<[1, 0]>, #npu.space<vbuf>>) {
  // expected-error @+1 {{'npu.vun' op source must be contiguous in its innermost dimension}}
  npu.vun "relu" %s, %a : memref<4x64xf32, strided<[1, 0]>, #npu.space<vbuf>>, memref<4x64xf32, #npu.space<vbuf>>
  return
}

// -----

func.func @vector_op_name(%a: memref<64xf32, #npu.space<vbuf>>) {
  // expected-error @+1 {{'npu.vbin' op 'pow' is not a vector binary op}}
  npu.vbin "pow" %a, %a, %a : memref<64xf32, #npu.space<vbuf>>, memref<64xf32, #npu.space<vbuf>>, memref<64xf32, #npu.space<vbuf>>
  return
}

// -----

func.func @vector_unary_name(%a: memref<64xf32, #npu.space<vbuf>>) {
  // expected-error @+1 {{'npu.vun' op 'floor' is not a vector unary op}}
  npu.vun "floor" %a, %a : memref<64xf32, #npu.space<vbuf>>, memref<64xf32, #npu.space<vbuf>>
  return
}

// -----

func.func @vector_destination(%a: memref<64xf32, #npu.space<vbuf>>, %d: memref<64xf32, #npu.space<acc>>) {
  // expected-error @+1 {{'npu.vun' op destination must be in vbuf}}
  npu.vun "relu" %a, %d : memref<64xf32, #npu.space<vbuf>>, memref<64xf32, #npu.space<acc>>
  return
}

// -----

func.func @vector_source(%a: memref<64xf32, #npu.space<ibuf>>, %d: memref<64xf32, #npu.space<vbuf>>) {
  // expected-error @+1 {{'npu.vun' op source must be in vbuf or acc}}
  npu.vun "relu" %a, %d : memref<64xf32, #npu.space<ibuf>>, memref<64xf32, #npu.space<vbuf>>
  return
}

// -----

func.func @vector_shapes(%a: memref<64xf32, #npu.space<vbuf>>, %b: memref<32xf32, #npu.space<vbuf>>) {
  // expected-error @+1 {{'npu.vbin' op operands must have one shape and element type}}
  npu.vbin "add" %a, %b, %a : memref<64xf32, #npu.space<vbuf>>, memref<32xf32, #npu.space<vbuf>>, memref<64xf32, #npu.space<vbuf>>
  return
}

// -----

func.func @vector_rank(%a: memref<2x4x8xf32, #npu.space<vbuf>>) {
  // expected-error @+1 {{'npu.vun' op source must have rank 1 or 2}}
  npu.vun "relu" %a, %a : memref<2x4x8xf32, #npu.space<vbuf>>, memref<2x4x8xf32, #npu.space<vbuf>>
  return
}

// -----

func.func @vector_scalar(%a: memref<64xf32, #npu.space<vbuf>>) {
  // expected-error @+1 {{'npu.vscal' op scalar must be a float for 'f32' elements}}
  npu.vscal "max" %a, 0 : i32, %a : memref<64xf32, #npu.space<vbuf>>, memref<64xf32, #npu.space<vbuf>>
  return
}

// -----

func.func @vector_element(%a: memref<64xf64, #npu.space<vbuf>>) {
  // expected-error @+1 {{'npu.vun' op the vector unit has no 'f64' elements}}
  npu.vun "relu" %a, %a : memref<64xf64, #npu.space<vbuf>>, memref<64xf64, #npu.space<vbuf>>
  return
}

// -----

func.func @vtrans_shape(%a: memref<32x64xbf16, #npu.space<vbuf>>, %b: memref<32x64xbf16, #npu.space<vbuf>>) {
  // expected-error @+1 {{'npu.vtrans' op destination must be 64x32, the source transposed}}
  npu.vtrans %a, %b : memref<32x64xbf16, #npu.space<vbuf>> to memref<32x64xbf16, #npu.space<vbuf>>
  return
}

// -----

func.func @vtrans_group_shape(%a: memref<32x64xbf16, #npu.space<vbuf>>, %b: memref<64x32xbf16, #npu.space<vbuf>>) {
  // expected-error @+1 {{'npu.vtrans' op destination must be 32x64, the source transposed}}
  npu.vtrans %a, %b {group = 2 : i64} : memref<32x64xbf16, #npu.space<vbuf>> to memref<64x32xbf16, #npu.space<vbuf>>
  return
}

// -----

func.func @vtrans_group_rows(%a: memref<32x63xbf16, #npu.space<vbuf>>, %b: memref<31x64xbf16, #npu.space<vbuf>>) {
  // expected-error @+1 {{'npu.vtrans' op source rows of 63 elements are not whole groups of 2}}
  npu.vtrans %a, %b {group = 2 : i64} : memref<32x63xbf16, #npu.space<vbuf>> to memref<31x64xbf16, #npu.space<vbuf>>
  return
}

// -----

func.func @vtrans_group_unit(%a: memref<16x16xf32, #npu.space<vbuf>>, %b: memref<8x32xf32, #npu.space<vbuf>>) {
  // expected-error @+1 {{'npu.vtrans' op group 2 of 'f32' is not a unit of 1, 2 or 4 bytes}}
  npu.vtrans %a, %b {group = 2 : i64} : memref<16x16xf32, #npu.space<vbuf>> to memref<8x32xf32, #npu.space<vbuf>>
  return
}

// -----

func.func @vtrans_space(%a: memref<16x16xf32, #npu.space<acc>>, %b: memref<16x16xf32, #npu.space<acc>>) {
  // expected-error @+1 {{'npu.vtrans' op destination must be in vbuf}}
  npu.vtrans %a, %b : memref<16x16xf32, #npu.space<acc>> to memref<16x16xf32, #npu.space<acc>>
  return
}

// -----

func.func @vtrans_type(%a: memref<16x16xf32, #npu.space<vbuf>>, %b: memref<16x16xbf16, #npu.space<vbuf>>) {
  // expected-error @+1 {{'npu.vtrans' op source and destination element types differ}}
  npu.vtrans %a, %b : memref<16x16xf32, #npu.space<vbuf>> to memref<16x16xbf16, #npu.space<vbuf>>
  return
}

// -----

func.func @dma_move_dram(%a: memref<16x16xbf16, #npu.space<dram>>, %b: memref<16x16xbf16, #npu.space<ibuf>>) {
  // expected-error @+1 {{'npu.dma_move' op source must be in a local memory}}
  npu.dma_move %a, %b : memref<16x16xbf16, #npu.space<dram>> to memref<16x16xbf16, #npu.space<ibuf>>
  return
}

// -----

func.func @dma_move_padding(%a: memref<16x16xbf16, #npu.space<vbuf>>, %b: memref<16x32xbf16, #npu.space<ibuf>>) {
  // expected-error @+1 {{'npu.dma_move' op source shape must be the destination's less the padding (16x24)}}
  npu.dma_move %a, %b {padding = array<i64: 0, 8>} : memref<16x16xbf16, #npu.space<vbuf>> to memref<16x32xbf16, #npu.space<ibuf>>
  return
}

// -----

func.func @dma_move_convert(%a: memref<16x16xf32, #npu.space<vbuf>>, %b: memref<16x16xbf16, #npu.space<ibuf>>) {
  // expected-error @+1 {{'npu.dma_move' op source and destination element types differ (dmove does not convert)}}
  npu.dma_move %a, %b : memref<16x16xf32, #npu.space<vbuf>> to memref<16x16xbf16, #npu.space<ibuf>>
  return
}

// -----

func.func @vred_op(%a: memref<4x16xf32, #npu.space<vbuf>>, %b: memref<4xf32, #npu.space<vbuf>>) {
  // expected-error @+1 {{'npu.vred' op 'mean' is not a vector reduction}}
  npu.vred "mean" %a, %b : memref<4x16xf32, #npu.space<vbuf>>, memref<4xf32, #npu.space<vbuf>>
  return
}

// -----

func.func @vred_rows(%a: memref<4x16xf32, #npu.space<vbuf>>, %b: memref<8xf32, #npu.space<vbuf>>) {
  // expected-error @+1 {{'npu.vred' op destination must have 4 elements, one per source row}}
  npu.vred "sum" %a, %b : memref<4x16xf32, #npu.space<vbuf>>, memref<8xf32, #npu.space<vbuf>>
  return
}

// -----

func.func @vred_rank(%a: memref<64xf32, #npu.space<vbuf>>, %b: memref<1xf32, #npu.space<vbuf>>) {
  // expected-error @+1 {{'npu.vred' op source must have rank 2 (rows x len) and the destination rank 1 (one element per row)}}
  npu.vred "sum" %a, %b : memref<64xf32, #npu.space<vbuf>>, memref<1xf32, #npu.space<vbuf>>
  return
}

// -----

func.func @vred_space(%a: memref<4x16xf32, #npu.space<vbuf>>, %b: memref<4xf32, #npu.space<acc>>) {
  // expected-error @+1 {{'npu.vred' op destination must be in vbuf}}
  npu.vred "sum" %a, %b : memref<4x16xf32, #npu.space<vbuf>>, memref<4xf32, #npu.space<acc>>
  return
}

// -----

func.func @vcvt_shape(%a: memref<4x16xf32, #npu.space<vbuf>>, %b: memref<4x8xbf16, #npu.space<vbuf>>) {
  // expected-error @+1 {{'npu.vcvt' op operands must have one shape}}
  npu.vcvt %a, %b : memref<4x16xf32, #npu.space<vbuf>> to memref<4x8xbf16, #npu.space<vbuf>>
  return
}

// -----

func.func @vcvt_space(%a: memref<4x16xf32, #npu.space<vbuf>>, %b: memref<4x16xbf16, #npu.space<ibuf>>) {
  // expected-error @+1 {{'npu.vcvt' op destination must be in vbuf}}
  npu.vcvt %a, %b : memref<4x16xf32, #npu.space<vbuf>> to memref<4x16xbf16, #npu.space<ibuf>>
  return
}

// -----

func.func @gather_float_indices(%t: memref<10x16xf32, #npu.space<dram>>, %i: memref<4xf32, #npu.space<dram>>, %d: memref<4x16xf32, #npu.space<vbuf>>) {
  // expected-error @+1 {{'npu.dma_gather' op indices must be i32 or i64}}
  npu.dma_gather %t[%i], %d : memref<10x16xf32, #npu.space<dram>>[memref<4xf32, #npu.space<dram>>] to memref<4x16xf32, #npu.space<vbuf>>
  return
}

// -----

func.func @gather_local_indices(%t: memref<10x16xf32, #npu.space<dram>>, %i: memref<4xi32, #npu.space<vbuf>>, %d: memref<4x16xf32, #npu.space<vbuf>>) {
  // expected-error @+1 {{'npu.dma_gather' op indices must be a contiguous 1-D array in dram}}
  npu.dma_gather %t[%i], %d : memref<10x16xf32, #npu.space<dram>>[memref<4xi32, #npu.space<vbuf>>] to memref<4x16xf32, #npu.space<vbuf>>
  return
}

// -----

func.func @gather_rows_mismatch(%t: memref<10x16xf32, #npu.space<dram>>, %i: memref<4xi64, #npu.space<dram>>, %d: memref<8x16xf32, #npu.space<vbuf>>) {
  // expected-error @+1 {{'npu.dma_gather' op destination must be 4x16 (an index's row each)}}
  npu.dma_gather %t[%i], %d : memref<10x16xf32, #npu.space<dram>>[memref<4xi64, #npu.space<dram>>] to memref<8x16xf32, #npu.space<vbuf>>
  return
}

// -----

func.func @gather_table_local(%t: memref<10x16xf32, #npu.space<wbuf>>, %i: memref<4xi64, #npu.space<dram>>, %d: memref<4x16xf32, #npu.space<vbuf>>) {
  // expected-error @+1 {{'npu.dma_gather' op table must be in dram, not wbuf}}
  npu.dma_gather %t[%i], %d : memref<10x16xf32, #npu.space<wbuf>>[memref<4xi64, #npu.space<dram>>] to memref<4x16xf32, #npu.space<vbuf>>
  return
}
