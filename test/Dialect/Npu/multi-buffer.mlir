// RUN: sinan-opt %s -split-input-file --sinan-npu-multi-buffer | FileCheck %s

// A loop that fills a local buffer each iteration is unrolled by two and
// the second copy of its body takes a clone of the buffer. A buffer marked
// npu.shared (the vector unit's scratch) keeps one copy: the vector queue
// runs the iterations in order, so a clone would only take local memory.
// CHECK-LABEL: func.func @two
// The copies share an npu.copy_group: local allocation keeps them apart.
// CHECK:         %[[A:.*]] = memref.alloc() {npu.copy_group = [[G:[0-9]+]] : i64} : memref<64xf32, #npu.space<vbuf>>
// CHECK-NEXT:    %[[B:.*]] = memref.alloc() {npu.copy_group = [[G]] : i64} : memref<64xf32, #npu.space<vbuf>>
// CHECK-NEXT:    %[[T:.*]] = memref.alloc() {npu.shared} : memref<64xf32, #npu.space<vbuf>>
// CHECK-NOT:     memref.alloc
// The second copy's load is issued right after the first's, ahead of the
// first copy's vector work (the scalar unit dispatches in program order).
// CHECK:         scf.for
// CHECK-NEXT:      npu.dma_load %{{.*}}, %[[A]] :
// CHECK-NEXT:      npu.dma_load %{{.*}}, %[[B]] :
// CHECK-NEXT:      npu.vscal "max" %[[A]], {{.*}}, %[[T]] :
// CHECK-NEXT:      npu.vscal "max" %[[T]], {{.*}}, %[[T]] :
// CHECK-NEXT:      npu.vscal "max" %[[B]], {{.*}}, %[[T]] :
// CHECK-NEXT:      npu.vscal "max" %[[T]], {{.*}}, %[[T]] :
// CHECK-NEXT:    }
func.func @two(%a: memref<64xf32, #npu.space<dram>>)
    attributes {npu.target = #npu.target<"snpu-server">} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %l = memref.alloc() : memref<64xf32, #npu.space<vbuf>>
  %t = memref.alloc() {npu.shared} : memref<64xf32, #npu.space<vbuf>>
  scf.for %i = %c0 to %c8 step %c1 {
    npu.dma_load %a, %l : memref<64xf32, #npu.space<dram>> to memref<64xf32, #npu.space<vbuf>>
    npu.vscal "max" %l, 0.0 : f32, %t : memref<64xf32, #npu.space<vbuf>>, memref<64xf32, #npu.space<vbuf>>
    npu.vscal "max" %t, 1.0 : f32, %t : memref<64xf32, #npu.space<vbuf>>, memref<64xf32, #npu.space<vbuf>>
  }
  return
}

// -----

// With npu.buffers = 3 (a matmul's K loop whose loads need two products'
// time to land), three copies: the body is unrolled by three, each copy on
// its own clone, and the remainder of 8 iterations, unrolled after the
// loop, takes the first two copies in turn (not the first twice).
// CHECK-LABEL: func.func @three
// CHECK:         %[[A:.*]] = memref.alloc() {npu.copy_group = [[G:[0-9]+]] : i64} : memref<64xf32, #npu.space<vbuf>>
// CHECK-NEXT:    %[[B:.*]] = memref.alloc() {npu.copy_group = [[G]] : i64} : memref<64xf32, #npu.space<vbuf>>
// CHECK-NEXT:    %[[C:.*]] = memref.alloc() {npu.copy_group = [[G]] : i64} : memref<64xf32, #npu.space<vbuf>>
// CHECK:         scf.for
// CHECK-NEXT:      npu.dma_load %{{.*}}, %[[A]] :
// CHECK-NEXT:      npu.dma_load %{{.*}}, %[[B]] :
// CHECK-NEXT:      npu.dma_load %{{.*}}, %[[C]] :
// CHECK-NEXT:      npu.dma_store %[[A]], %{{.*}} :
// CHECK-NEXT:      npu.dma_store %[[B]], %{{.*}} :
// CHECK-NEXT:      npu.dma_store %[[C]], %{{.*}} :
// CHECK-NEXT:    } {npu.buffers = 3 : i64}
// CHECK-NOT:     scf.for
// CHECK:         npu.dma_load %{{.*}}, %[[A]] :
// CHECK-NEXT:    npu.dma_store %[[A]], %{{.*}} :
// CHECK-NEXT:    npu.dma_load %{{.*}}, %[[B]] :
// CHECK-NEXT:    npu.dma_store %[[B]], %{{.*}} :
// CHECK-NEXT:    return
func.func @three(%a: memref<64xf32, #npu.space<dram>>, %b: memref<64xf32, #npu.space<dram>>)
    attributes {npu.target = #npu.target<"snpu-server">} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %l = memref.alloc() : memref<64xf32, #npu.space<vbuf>>
  scf.for %i = %c0 to %c8 step %c1 {
    npu.dma_load %a, %l : memref<64xf32, #npu.space<dram>> to memref<64xf32, #npu.space<vbuf>>
    npu.dma_store %l, %b : memref<64xf32, #npu.space<vbuf>> to memref<64xf32, #npu.space<dram>>
  } {npu.buffers = 3 : i64}
  return
}

// -----

// A load is not hoisted above an op that writes what it reads (the first
// copy's store of the DRAM rows the second copy loads).
// CHECK-LABEL: func.func @blocked
// CHECK:         scf.for
// CHECK-NEXT:      npu.dma_load %{{.*}}, %[[A:.*]] :
// CHECK-NEXT:      npu.vscal
// CHECK-NEXT:      npu.dma_store %[[S:.*]], %arg0 :
// CHECK-NEXT:      npu.dma_load %arg0, %[[B:.*]] :
// CHECK-NEXT:      npu.vscal
// CHECK-NEXT:      npu.dma_store
// CHECK-NEXT:    }
func.func @blocked(%a: memref<64xf32, #npu.space<dram>>)
    attributes {npu.target = #npu.target<"snpu-server">} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %l = memref.alloc() : memref<64xf32, #npu.space<vbuf>>
  %o = memref.alloc() : memref<64xf32, #npu.space<vbuf>>
  scf.for %i = %c0 to %c8 step %c1 {
    npu.dma_load %a, %l : memref<64xf32, #npu.space<dram>> to memref<64xf32, #npu.space<vbuf>>
    npu.vscal "max" %l, 0.0 : f32, %o : memref<64xf32, #npu.space<vbuf>>, memref<64xf32, #npu.space<vbuf>>
    npu.dma_store %o, %a : memref<64xf32, #npu.space<vbuf>> to memref<64xf32, #npu.space<dram>>
  }
  return
}
