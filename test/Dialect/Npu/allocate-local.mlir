// RUN: sinan-opt %s -split-input-file --sinan-npu-allocate-local -verify-diagnostics | FileCheck %s

// Buffers that fit side by side each get a range of their own, even when
// their lives do not overlap: reusing a dead buffer's bytes would make the
// later one's writer wait for the earlier one's last reader.
// CHECK-LABEL: func.func @disjoint
// CHECK:         memref.alloc() {npu.offset = 0 : i64} : memref<16x16xf32, #npu.space<vbuf>>
// CHECK:         memref.alloc() {npu.offset = 1024 : i64} : memref<4x8xf32, #npu.space<vbuf>>
// CHECK:         memref.alloc() {npu.offset = 1152 : i64} : memref<16x16xf32, #npu.space<vbuf>>
// CHECK:         memref.alloc() {npu.offset = 0 : i64} : memref<16x32xbf16, #npu.space<ibuf>>
func.func @disjoint(%d: memref<16x16xf32, #npu.space<dram>>, %e: memref<4x8xf32, #npu.space<dram>>)
    attributes {npu.target = #npu.target<"snpu-edge">} {
  %a = memref.alloc() : memref<16x16xf32, #npu.space<vbuf>>
  %b = memref.alloc() : memref<4x8xf32, #npu.space<vbuf>>
  npu.dma_load %d, %a : memref<16x16xf32, #npu.space<dram>> to memref<16x16xf32, #npu.space<vbuf>>
  npu.dma_load %e, %b : memref<4x8xf32, #npu.space<dram>> to memref<4x8xf32, #npu.space<vbuf>>
  %c = memref.alloc() : memref<16x16xf32, #npu.space<vbuf>>
  npu.dma_load %d, %c : memref<16x16xf32, #npu.space<dram>> to memref<16x16xf32, #npu.space<vbuf>>
  npu.dma_store %b, %e : memref<4x8xf32, #npu.space<vbuf>> to memref<4x8xf32, #npu.space<dram>>
  %i = memref.alloc() : memref<16x32xbf16, #npu.space<ibuf>>
  return
}

// -----

// When they do not all fit (snpu-edge's vbuf is 128 KiB), buffers live at
// the same time get disjoint aligned ranges and a buffer whose life has
// ended lends its bytes to a later one.
// CHECK-LABEL: func.func @reuse
// CHECK:         memref.alloc() {npu.offset = 0 : i64} : memref<128x128xf32, #npu.space<vbuf>>
// CHECK:         memref.alloc() {npu.offset = 65536 : i64} : memref<4x8xf32, #npu.space<vbuf>>
// CHECK:         memref.alloc() {npu.offset = 0 : i64} : memref<128x128xf32, #npu.space<vbuf>>
func.func @reuse(%d: memref<128x128xf32, #npu.space<dram>>, %e: memref<4x8xf32, #npu.space<dram>>)
    attributes {npu.target = #npu.target<"snpu-edge">} {
  %a = memref.alloc() : memref<128x128xf32, #npu.space<vbuf>>
  %b = memref.alloc() : memref<4x8xf32, #npu.space<vbuf>>
  npu.dma_load %d, %a : memref<128x128xf32, #npu.space<dram>> to memref<128x128xf32, #npu.space<vbuf>>
  npu.dma_load %e, %b : memref<4x8xf32, #npu.space<dram>> to memref<4x8xf32, #npu.space<vbuf>>
  %c = memref.alloc() : memref<128x128xf32, #npu.space<vbuf>>
  npu.dma_load %d, %c : memref<128x128xf32, #npu.space<dram>> to memref<128x128xf32, #npu.space<vbuf>>
  npu.dma_store %b, %e : memref<4x8xf32, #npu.space<vbuf>> to memref<4x8xf32, #npu.space<dram>>
  return
}

// -----

// A buffer allocated before a loop and used inside it stays live for the
// whole loop, so one allocated in the loop after its last use cannot take
// its place.
// CHECK-LABEL: func.func @loop
// CHECK:         memref.alloc() {npu.offset = 0 : i64}
// CHECK:         memref.alloc() {npu.offset = 1024 : i64}
func.func @loop(%d: memref<16x16xf32, #npu.space<dram>>)
    attributes {npu.target = #npu.target<"snpu-edge">} {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c1 = arith.constant 1 : index
  %a = memref.alloc() : memref<16x16xf32, #npu.space<vbuf>>
  scf.for %i = %c0 to %c4 step %c1 {
    npu.dma_load %d, %a : memref<16x16xf32, #npu.space<dram>> to memref<16x16xf32, #npu.space<vbuf>>
    %b = memref.alloc() : memref<16x16xf32, #npu.space<vbuf>>
    npu.dma_load %d, %b : memref<16x16xf32, #npu.space<dram>> to memref<16x16xf32, #npu.space<vbuf>>
  }
  return
}

// -----

func.func @too_big() attributes {npu.target = #npu.target<"snpu-edge">} {
  // expected-error @+1 {{does not fit in ibuf: it needs 131072 bytes at offset 0, after the buffers live at the same time, and target snpu-edge has 65536 bytes}}
  %a = memref.alloc() : memref<256x256xbf16, #npu.space<ibuf>>
  return
}

// -----

// expected-error @+1 {{target 'snpu-nowhere':}}
func.func @bad_target() attributes {npu.target = #npu.target<"snpu-nowhere">} {
  return
}
