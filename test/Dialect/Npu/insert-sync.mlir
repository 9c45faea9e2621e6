// RUN: sinan-opt %s --sinan-npu-insert-sync | FileCheck %s

// Every engine op is followed by a barrier (the first, everything-ordered
// version of the pass); other ops and non-kernels are left alone.
// CHECK-LABEL: func.func @kernel
// CHECK:         npu.dma_load
// CHECK-NEXT:    npu.barrier
// CHECK-NEXT:    npu.mma
// CHECK-NEXT:    npu.barrier
// CHECK-NEXT:    npu.dma_store
// CHECK-NEXT:    npu.barrier
// CHECK-NEXT:    return
func.func @kernel(%a: memref<16x16xbf16, #npu.space<dram>>, %c: memref<16x16xf32, #npu.space<dram>>)
    attributes {npu.target = #npu.target<"snpu-server">} {
  %l = memref.alloc() : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
  %r = memref.alloc() : memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>
  %acc = memref.alloc() : memref<16x16xf32, #npu.space<acc>>
  npu.dma_load %a, %l : memref<16x16xbf16, #npu.space<dram>> to memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
  npu.mma %l, %r, %acc : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>, memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>, memref<16x16xf32, #npu.space<acc>>
  npu.dma_store %acc, %c : memref<16x16xf32, #npu.space<acc>> to memref<16x16xf32, #npu.space<dram>>
  return
}

// CHECK-LABEL: func.func @not_a_kernel
// CHECK-NOT:     npu.barrier
func.func @not_a_kernel(%a: memref<16xf32, #npu.space<dram>>, %b: memref<16xf32, #npu.space<vbuf>>) {
  npu.dma_load %a, %b : memref<16xf32, #npu.space<dram>> to memref<16xf32, #npu.space<vbuf>>
  return
}
