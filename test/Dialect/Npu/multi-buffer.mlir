// RUN: sinan-opt %s -split-input-file --sinan-npu-multi-buffer | FileCheck %s

// A loop that fills a local buffer each iteration is unrolled by two and
// the second copy of its body takes a clone of the buffer.
// CHECK-LABEL: func.func @two
// The copies share an npu.copy_group: local allocation keeps them apart.
// CHECK:         %[[A:.*]] = memref.alloc() {npu.copy_group = [[G:[0-9]+]] : i64} : memref<16x16xbf16, #npu.space<ibuf>>
// CHECK-NEXT:    %[[B:.*]] = memref.alloc() {npu.copy_group = [[G]] : i64} : memref<16x16xbf16, #npu.space<ibuf>>
// CHECK:         scf.for
// CHECK-NEXT:      npu.dma_load %{{.*}}, %[[A]] :
// CHECK-NEXT:      npu.dma_load %{{.*}}, %[[B]] :
// CHECK-NEXT:    }
func.func @two(%a: memref<16x16xbf16, #npu.space<dram>>)
    attributes {npu.target = #npu.target<"snpu-server">} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %l = memref.alloc() : memref<16x16xbf16, #npu.space<ibuf>>
  scf.for %i = %c0 to %c8 step %c1 {
    npu.dma_load %a, %l : memref<16x16xbf16, #npu.space<dram>> to memref<16x16xbf16, #npu.space<ibuf>>
  }
  return
}

// -----

// With npu.buffers = 3 (a matmul's K loop whose loads need two products'
// time to land), three copies: the body is unrolled by three, each copy on
// its own clone, and the remainder of 8 iterations, unrolled after the
// loop, takes the first two copies in turn (not the first twice).
// CHECK-LABEL: func.func @three
// CHECK:         %[[A:.*]] = memref.alloc() {npu.copy_group = [[G:[0-9]+]] : i64} : memref<16x16xbf16, #npu.space<ibuf>>
// CHECK-NEXT:    %[[B:.*]] = memref.alloc() {npu.copy_group = [[G]] : i64} : memref<16x16xbf16, #npu.space<ibuf>>
// CHECK-NEXT:    %[[C:.*]] = memref.alloc() {npu.copy_group = [[G]] : i64} : memref<16x16xbf16, #npu.space<ibuf>>
// CHECK:         scf.for
// CHECK-NEXT:      npu.dma_load %{{.*}}, %[[A]] :
// CHECK-NEXT:      npu.dma_load %{{.*}}, %[[B]] :
// CHECK-NEXT:      npu.dma_load %{{.*}}, %[[C]] :
// CHECK-NEXT:    } {npu.buffers = 3 : i64}
// CHECK-NOT:     scf.for
// CHECK:         npu.dma_load %{{.*}}, %[[A]] :
// CHECK-NEXT:    npu.dma_load %{{.*}}, %[[B]] :
// CHECK-NEXT:    return
func.func @three(%a: memref<16x16xbf16, #npu.space<dram>>)
    attributes {npu.target = #npu.target<"snpu-server">} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %l = memref.alloc() : memref<16x16xbf16, #npu.space<ibuf>>
  scf.for %i = %c0 to %c8 step %c1 {
    npu.dma_load %a, %l : memref<16x16xbf16, #npu.space<dram>> to memref<16x16xbf16, #npu.space<ibuf>>
  } {npu.buffers = 3 : i64}
  return
}
