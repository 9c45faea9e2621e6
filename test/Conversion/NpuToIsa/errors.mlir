// RUN: sinan-opt %s -split-input-file --sinan-convert-npu-to-isa -verify-diagnostics

func.func @no_offset(%a: memref<16x16xf32, #npu.space<dram>>)
    attributes {npu.target = #npu.target<"snpu-edge">} {
  // expected-error @+1 {{local buffer has no address; run sinan-npu-allocate-local first}}
  %b = memref.alloc() : memref<16x16xf32, #npu.space<vbuf>>
  npu.dma_load %a, %b : memref<16x16xf32, #npu.space<dram>> to memref<16x16xf32, #npu.space<vbuf>>
  return
}

// -----

func.func @not_a_tile() attributes {npu.target = #npu.target<"snpu-server">} {
  %a = memref.alloc() {npu.offset = 0} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
  %b = memref.alloc() {npu.offset = 0} : memref<16x24xbf16, strided<[32, 1]>, #npu.space<wbuf>>
  %c = memref.alloc() {npu.offset = 0} : memref<16x24xf32, strided<[32, 1]>, #npu.space<acc>>
  // expected-error @+1 {{block 16x16x24 is not a multiple of the target's bf16 tile 16x16x16}}
  npu.mma %a, %b, %c : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>, memref<16x24xbf16, strided<[32, 1]>, #npu.space<wbuf>>, memref<16x24xf32, strided<[32, 1]>, #npu.space<acc>>
  return
}

// -----

func.func @pitch() attributes {npu.target = #npu.target<"snpu-server">} {
  %a = memref.alloc() {npu.offset = 0} : memref<16x16xbf16, #npu.space<ibuf>>
  %b = memref.alloc() {npu.offset = 0} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>
  %c = memref.alloc() {npu.offset = 0} : memref<16x16xf32, #npu.space<acc>>
  // expected-error @+1 {{lhs rows are 32 bytes apart; the matrix unit reads them 64 bytes apart (row bytes rounded up to the target's alignment of 64)}}
  npu.mma %a, %b, %c : memref<16x16xbf16, #npu.space<ibuf>>, memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>, memref<16x16xf32, #npu.space<acc>>
  return
}

// -----

func.func @division() attributes {npu.target = #npu.target<"snpu-edge">} {
  %c3 = arith.constant 3 : index
  // expected-error @+1 {{'arith.divui' has no SNPU instruction (npu kernels compute with npu ops, index arithmetic and scf.for)}}
  %y = arith.divui %c3, %c3 : index
  return
}

// -----

func.func @float_math() attributes {npu.target = #npu.target<"snpu-edge">} {
  // expected-error @+1 {{only integer and index constants lower to isa}}
  %x = arith.constant 1.0 : f32
  return
}

// -----

// expected-error @+1 {{argument 0 must be a memref in dram}}
func.func @local_argument(%a: memref<16xf32, #npu.space<vbuf>>) attributes {npu.target = #npu.target<"snpu-edge">} {
  return
}
