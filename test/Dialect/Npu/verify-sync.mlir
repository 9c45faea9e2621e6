// RUN: sinan-opt %s -split-input-file -verify-diagnostics --sinan-npu-verify-sync
// (What sinan-npu-insert-sync writes is verified in insert-sync.mlir and in
// every kernel the SNPU pipeline compiles.)

!l = memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
!r = memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>
!acc = memref<16x16xf32, #npu.space<acc>>

// Handed from engine to engine: ordered.
func.func @ordered(%a: memref<16x16xbf16, #npu.space<dram>>, %c: memref<16x16xf32, #npu.space<dram>>)
    attributes {npu.target = #npu.target<"snpu-server">} {
  %l = memref.alloc() {npu.offset = 0} : !l
  %r = memref.alloc() {npu.offset = 0} : !r
  %acc = memref.alloc() {npu.offset = 0} : !acc
  npu.dma_load %a, %l : memref<16x16xbf16, #npu.space<dram>> to !l
  npu.signal <din> -> <mxu>, 0
  npu.wait <din> -> <mxu>, 0
  npu.mma %l, %r, %acc : !l, !r, !acc
  npu.signal <mxu> -> <dout>, 0
  npu.wait <mxu> -> <dout>, 0
  npu.dma_store %acc, %c : !acc to memref<16x16xf32, #npu.space<dram>>
  return
}

// -----

!l = memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
!r = memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>
!acc = memref<16x16xf32, #npu.space<acc>>

// One wait deleted: the matrix unit may read the tile before it lands.
func.func @missing_wait(%a: memref<16x16xbf16, #npu.space<dram>>, %c: memref<16x16xf32, #npu.space<dram>>)
    attributes {npu.target = #npu.target<"snpu-server">} {
  %l = memref.alloc() {npu.offset = 0} : !l
  %r = memref.alloc() {npu.offset = 0} : !r
  %acc = memref.alloc() {npu.offset = 0} : !acc
  // expected-note @+1 {{the earlier access}}
  npu.dma_load %a, %l : memref<16x16xbf16, #npu.space<dram>> to !l
  npu.signal <din> -> <mxu>, 0
  // expected-error @+1 {{unordered access on core 0: mxu reads memory that din wrote before, with no signal/wait chain or barrier ordering them}}
  npu.mma %l, %r, %acc : !l, !r, !acc
  npu.signal <mxu> -> <dout>, 0
  npu.wait <mxu> -> <dout>, 0
  npu.dma_store %acc, %c : !acc to memref<16x16xf32, #npu.space<dram>>
  return
}

// -----

// A buffer reused by a later load before the store that reads it is done:
// the write-after-read across a loop's back edge.
func.func @back_edge(%a: memref<64xf32, #npu.space<dram>>, %c: memref<64xf32, #npu.space<dram>>)
    attributes {npu.target = #npu.target<"snpu-server">} {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %b = memref.alloc() {npu.offset = 0} : memref<16xf32, #npu.space<vbuf>>
  scf.for %i = %c0 to %c64 step %c16 {
    %in = memref.subview %a[%i] [16] [1] : memref<64xf32, #npu.space<dram>> to memref<16xf32, strided<[1], offset: ?>, #npu.space<dram>>
    // expected-error @+1 {{unordered access on core 0: din writes memory that dout read before}}
    npu.dma_load %in, %b : memref<16xf32, strided<[1], offset: ?>, #npu.space<dram>> to memref<16xf32, #npu.space<vbuf>>
    npu.signal <din> -> <dout>, 0
    npu.wait <din> -> <dout>, 0
    %out = memref.subview %c[%i] [16] [1] : memref<64xf32, #npu.space<dram>> to memref<16xf32, strided<[1], offset: ?>, #npu.space<dram>>
    // expected-note @+1 {{the earlier access}}
    npu.dma_store %b, %out : memref<16xf32, #npu.space<vbuf>> to memref<16xf32, strided<[1], offset: ?>, #npu.space<dram>>
  }
  return
}

// -----

// A barrier orders everything before it before everything after it.
func.func @barrier(%a: memref<64xf32, #npu.space<dram>>, %c: memref<64xf32, #npu.space<dram>>)
    attributes {npu.target = #npu.target<"snpu-server">} {
  %b = memref.alloc() {npu.offset = 0} : memref<64xf32, #npu.space<vbuf>>
  npu.dma_load %a, %b : memref<64xf32, #npu.space<dram>> to memref<64xf32, #npu.space<vbuf>>
  npu.barrier
  npu.vun "relu" %b, %b : memref<64xf32, #npu.space<vbuf>>, memref<64xf32, #npu.space<vbuf>>
  npu.barrier
  npu.dma_store %b, %c : memref<64xf32, #npu.space<vbuf>> to memref<64xf32, #npu.space<dram>>
  return
}

// -----

// A wait whose signal never comes would hang the engine.
func.func @deadlock(%a: memref<64xf32, #npu.space<dram>>)
    attributes {npu.target = #npu.target<"snpu-server">} {
  %b = memref.alloc() {npu.offset = 0} : memref<64xf32, #npu.space<vbuf>>
  // expected-error @+1 {{waits forever on core 0: no signal it could take is ever issued}}
  npu.wait <vec> -> <din>, 3
  npu.dma_load %a, %b : memref<64xf32, #npu.space<dram>> to memref<64xf32, #npu.space<vbuf>>
  return
}

// -----

// Buffers that share bytes are one resource: a load into the second may
// not overtake the store still reading the first.
func.func @shared_bytes(%a: memref<64xf32, #npu.space<dram>>, %c: memref<64xf32, #npu.space<dram>>)
    attributes {npu.target = #npu.target<"snpu-server">} {
  %b1 = memref.alloc() {npu.offset = 0} : memref<64xf32, #npu.space<vbuf>>
  %b2 = memref.alloc() {npu.offset = 128} : memref<64xf32, #npu.space<vbuf>>
  npu.dma_load %a, %b1 : memref<64xf32, #npu.space<dram>> to memref<64xf32, #npu.space<vbuf>>
  npu.signal <din> -> <dout>, 0
  npu.wait <din> -> <dout>, 0
  // expected-note @+1 {{the earlier access}}
  npu.dma_store %b1, %c : memref<64xf32, #npu.space<vbuf>> to memref<64xf32, #npu.space<dram>>
  // expected-error @+1 {{unordered access on core 0: din writes memory that dout read before}}
  npu.dma_load %a, %b2 : memref<64xf32, #npu.space<dram>> to memref<64xf32, #npu.space<vbuf>>
  return
}
