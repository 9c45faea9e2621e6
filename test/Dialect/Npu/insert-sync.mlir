// RUN: sinan-opt %s -split-input-file --sinan-npu-insert-sync | FileCheck %s
// RUN: sinan-opt %s -split-input-file --sinan-npu-insert-sync=barrier=true | FileCheck %s --check-prefix=BARRIER
// RUN: sinan-opt %s -split-input-file --sinan-npu-insert-sync --sinan-npu-verify-sync | FileCheck %s

// Straight-line code: each buffer is handed from the engine that wrote it
// to the one that reads it; a buffer one engine alone touches needs nothing.
// CHECK-LABEL: func.func @straight
// CHECK:         npu.dma_load %{{.*}}, %[[L:.*]] :
// CHECK-NEXT:    npu.signal <din> -> <mxu>, 0
// CHECK-NEXT:    npu.wait <din> -> <mxu>, 0
// CHECK-NEXT:    npu.mma %[[L]], %{{.*}}, %[[ACC:.*]] :
// CHECK-NEXT:    npu.signal <mxu> -> <dout>, 0
// CHECK-NEXT:    npu.wait <mxu> -> <dout>, 0
// CHECK-NEXT:    npu.dma_store %[[ACC]]
// CHECK-NEXT:    return
// BARRIER-LABEL: func.func @straight
// BARRIER:         npu.dma_load
// BARRIER-NEXT:    npu.barrier
// BARRIER-NEXT:    npu.mma
// BARRIER-NEXT:    npu.barrier
// BARRIER-NEXT:    npu.dma_store
// BARRIER-NEXT:    npu.barrier
func.func @straight(%a: memref<16x16xbf16, #npu.space<dram>>, %c: memref<16x16xf32, #npu.space<dram>>)
    attributes {npu.target = #npu.target<"snpu-server">} {
  %l = memref.alloc() {npu.offset = 0} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
  %r = memref.alloc() {npu.offset = 0} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>
  %acc = memref.alloc() {npu.offset = 0} : memref<16x16xf32, #npu.space<acc>>
  npu.dma_load %a, %l : memref<16x16xbf16, #npu.space<dram>> to memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
  npu.mma %l, %r, %acc : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>, memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>, memref<16x16xf32, #npu.space<acc>>
  npu.dma_store %acc, %c : memref<16x16xf32, #npu.space<acc>> to memref<16x16xf32, #npu.space<dram>>
  return
}

// -----

// A loop whose body passes a buffer from DMA-in to the matrix unit hands it
// back on the back edge: the matrix unit frees it at the end of an
// iteration, DMA-in waits for that at the start of the next, one token is
// primed before the loop and the last one drained after it.
// CHECK-LABEL: func.func @loop
// CHECK:         npu.signal <mxu> -> <din>, 0
// CHECK-NEXT:    scf.for
// CHECK-NEXT:      npu.wait <mxu> -> <din>, 0
// CHECK-NEXT:      npu.dma_load
// CHECK-NEXT:      npu.signal <din> -> <mxu>, 0
// CHECK-NEXT:      npu.wait <din> -> <mxu>, 0
// CHECK-NEXT:      npu.mma
// CHECK-NEXT:      npu.signal <mxu> -> <din>, 0
// CHECK-NEXT:    }
// CHECK-NEXT:    npu.wait <mxu> -> <din>, 0
func.func @loop(%a: memref<16x16xbf16, #npu.space<dram>>)
    attributes {npu.target = #npu.target<"snpu-server">} {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c1 = arith.constant 1 : index
  %l = memref.alloc() {npu.offset = 0} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
  %r = memref.alloc() {npu.offset = 0} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>
  %acc = memref.alloc() {npu.offset = 0} : memref<16x16xf32, #npu.space<acc>>
  scf.for %i = %c0 to %c4 step %c1 {
    npu.dma_load %a, %l : memref<16x16xbf16, #npu.space<dram>> to memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
    npu.mma %l, %r, %acc {accumulate} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>, memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>, memref<16x16xf32, #npu.space<acc>>
  }
  return
}

// -----

// Buffers placed at the same bytes are one resource: the second buffer's
// writer waits for the first buffer's reader.
// CHECK-LABEL: func.func @reuse
// CHECK:         npu.mma %[[FIRST:.*]], %{{.*}}, %{{.*}} :
// CHECK-NEXT:    npu.signal <mxu> -> <din>, 0
// CHECK-NEXT:    npu.wait <mxu> -> <din>, 0
// CHECK-NEXT:    npu.dma_load %{{.*}}, %[[SECOND:.*]] :
func.func @reuse(%a: memref<16x16xbf16, #npu.space<dram>>)
    attributes {npu.target = #npu.target<"snpu-server">} {
  %l = memref.alloc() {npu.offset = 0} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
  %l2 = memref.alloc() {npu.offset = 0} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
  %r = memref.alloc() {npu.offset = 0} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>
  %acc = memref.alloc() {npu.offset = 0} : memref<16x16xf32, #npu.space<acc>>
  npu.dma_load %a, %l : memref<16x16xbf16, #npu.space<dram>> to memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
  npu.mma %l, %r, %acc : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>, memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>, memref<16x16xf32, #npu.space<acc>>
  npu.dma_load %a, %l2 : memref<16x16xbf16, #npu.space<dram>> to memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
  return
}

// -----

// Two loops in a row whose back edges hand the buffer between the same
// engines continue one token stream: DMA-in's first load in the second loop
// waits only for the matrix unit's last read in the first (the token its
// back edge signalled), not for a drain, a fresh prime and a handoff that
// would empty the pipeline between them.
// CHECK-LABEL: func.func @chained_loops
// CHECK:         npu.signal <mxu> -> <din>, 0
// CHECK-NEXT:    scf.for
// CHECK-NEXT:      npu.wait <mxu> -> <din>, 0
// CHECK-NEXT:      npu.dma_load
// CHECK:           npu.mma
// CHECK-NEXT:      npu.signal <mxu> -> <din>, 0
// CHECK-NEXT:    }
// CHECK-NEXT:    scf.for
// CHECK-NEXT:      npu.wait <mxu> -> <din>, 0
// CHECK-NEXT:      npu.dma_load
// CHECK:           npu.mma
// CHECK-NEXT:      npu.signal <mxu> -> <din>, 0
// CHECK-NEXT:    }
// CHECK-NEXT:    npu.wait <mxu> -> <din>, 0
// CHECK-NEXT:    return
func.func @chained_loops(%a: memref<16x16xbf16, #npu.space<dram>>)
    attributes {npu.target = #npu.target<"snpu-server">} {
  %c0 = arith.constant 0 : index
  %n = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c1 = arith.constant 1 : index
  %l = memref.alloc() {npu.offset = 0} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
  %r = memref.alloc() {npu.offset = 0} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>
  %acc = memref.alloc() {npu.offset = 0} : memref<16x16xf32, #npu.space<acc>>
  scf.for %i = %c0 to %c4 step %c1 {
    npu.dma_load %a, %l : memref<16x16xbf16, #npu.space<dram>> to memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
    npu.mma %l, %r, %acc {accumulate} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>, memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>, memref<16x16xf32, #npu.space<acc>>
  }
  scf.for %i = %c0 to %n step %c1 {
    npu.dma_load %a, %l : memref<16x16xbf16, #npu.space<dram>> to memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
    npu.mma %l, %r, %acc {accumulate} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>, memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>, memref<16x16xf32, #npu.space<acc>>
  }
  return
}

// -----

// The token primed before a loop stands for no access, so it goes before
// the engine work in front of the loop that does not use its semaphore
// (here the weights' load and its handoff): DMA-in's first load in the loop
// need not wait for the weights to land on the matrix unit, and the
// matrix unit signals it before any earlier product. After the loop, the
// drain orders the buffer's next load after the loop's last product (no
// extra handoff after the loop, which would wait for every product), and
// it waits right there: a load of another buffer goes ahead of it.
// CHECK-LABEL: func.func @loop_edges
// CHECK:         npu.signal <mxu> -> <din>, [[TID:[0-9]+]]
// CHECK-NEXT:    npu.dma_load %{{.*}}, %[[W:.*]] :
// CHECK-NEXT:    npu.signal <din> -> <mxu>, [[WID:[0-9]+]]
// CHECK-NEXT:    npu.wait <din> -> <mxu>, [[WID]]
// CHECK-NEXT:    scf.for
// CHECK:           npu.mma
// CHECK-NEXT:      npu.signal <mxu> -> <din>, [[TID]]
// CHECK-NEXT:    }
// CHECK-NEXT:    npu.dma_load %{{.*}}, %[[OTHER:.*]] :
// CHECK-NEXT:    npu.wait <mxu> -> <din>, [[TID]]
// CHECK-NEXT:    npu.dma_load %{{.*}}, %[[TAP:.*]] :
// CHECK-NOT:     npu.wait <mxu> -> <din>
// CHECK:         npu.mma %[[TAP]], %[[W]]
func.func @loop_edges(%a: memref<16x16xbf16, #npu.space<dram>>)
    attributes {npu.target = #npu.target<"snpu-server">} {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c1 = arith.constant 1 : index
  %l = memref.alloc() {npu.offset = 0} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
  %other = memref.alloc() {npu.offset = 1024} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
  %w = memref.alloc() {npu.offset = 0} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>
  %acc = memref.alloc() {npu.offset = 0} : memref<16x16xf32, #npu.space<acc>>
  npu.dma_load %a, %w : memref<16x16xbf16, #npu.space<dram>> to memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>
  scf.for %i = %c0 to %c4 step %c1 {
    npu.dma_load %a, %l : memref<16x16xbf16, #npu.space<dram>> to memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
    npu.mma %l, %w, %acc {accumulate} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>, memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>, memref<16x16xf32, #npu.space<acc>>
  }
  npu.dma_load %a, %other : memref<16x16xbf16, #npu.space<dram>> to memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
  npu.dma_load %a, %l : memref<16x16xbf16, #npu.space<dram>> to memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
  npu.mma %l, %w, %acc {accumulate} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>, memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>, memref<16x16xf32, #npu.space<acc>>
  return
}

// -----

// A peeled product before a loop whose back edge hands the buffer from the
// matrix unit to DMA-in: the signal after the peeled product is the loop's
// primed token. No wait goes in front of the loop (it would hold DMA-in's
// loads for the loop until every peeled product is done), and no second
// token is primed.
// CHECK-LABEL: func.func @peeled_then_loop
// CHECK:         npu.mma
// CHECK-NEXT:    npu.signal <mxu> -> <din>, [[TID:[0-9]+]]
// CHECK-NOT:     npu.wait <mxu> -> <din>
// CHECK-NOT:     npu.signal <mxu> -> <din>
// CHECK:         scf.for
// CHECK-NEXT:      npu.wait <mxu> -> <din>, [[TID]]
// CHECK-NEXT:      npu.dma_load
// CHECK:           npu.mma
// CHECK-NEXT:      npu.signal <mxu> -> <din>, [[TID]]
// CHECK-NEXT:    }
// CHECK-NEXT:    npu.wait <mxu> -> <din>, [[TID]]
// CHECK-NEXT:    return
func.func @peeled_then_loop(%a: memref<16x16xbf16, #npu.space<dram>>)
    attributes {npu.target = #npu.target<"snpu-server">} {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c1 = arith.constant 1 : index
  %l = memref.alloc() {npu.offset = 0} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
  %r = memref.alloc() {npu.offset = 0} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>
  %acc = memref.alloc() {npu.offset = 0} : memref<16x16xf32, #npu.space<acc>>
  npu.dma_load %a, %l : memref<16x16xbf16, #npu.space<dram>> to memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
  npu.mma %l, %r, %acc : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>, memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>, memref<16x16xf32, #npu.space<acc>>
  scf.for %i = %c0 to %c4 step %c1 {
    npu.dma_load %a, %l : memref<16x16xbf16, #npu.space<dram>> to memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
    npu.mma %l, %r, %acc {accumulate} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>, memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>, memref<16x16xf32, #npu.space<acc>>
  }
  return
}

// -----

// A loop's drain waits on DMA-in for the matrix unit's last read of the
// buffer. When nothing after the loop touches that buffer on DMA-in, the
// drain goes to the end of the block: right after the loop it would hold
// the load of another buffer until the loop's last product ends.
// CHECK-LABEL: func.func @drain_sinks
// CHECK:         scf.for
// CHECK:           npu.mma
// CHECK-NEXT:      npu.signal <mxu> -> <din>, [[TID:[0-9]+]]
// CHECK-NEXT:    }
// CHECK-NEXT:    npu.dma_load %{{.*}}, %[[OTHER:.*]] :
// CHECK:         npu.mma %[[OTHER]]
// CHECK:         npu.wait <mxu> -> <din>, [[TID]]
// CHECK-NEXT:    return
func.func @drain_sinks(%a: memref<16x16xbf16, #npu.space<dram>>)
    attributes {npu.target = #npu.target<"snpu-server">} {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c1 = arith.constant 1 : index
  %l = memref.alloc() {npu.offset = 0} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
  %other = memref.alloc() {npu.offset = 1024} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
  %w = memref.alloc() {npu.offset = 0} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>
  %acc = memref.alloc() {npu.offset = 0} : memref<16x16xf32, #npu.space<acc>>
  scf.for %i = %c0 to %c4 step %c1 {
    npu.dma_load %a, %l : memref<16x16xbf16, #npu.space<dram>> to memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
    npu.mma %l, %w, %acc {accumulate} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>, memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>, memref<16x16xf32, #npu.space<acc>>
  }
  npu.dma_load %a, %other : memref<16x16xbf16, #npu.space<dram>> to memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
  npu.mma %other, %w, %acc {accumulate} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>, memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>, memref<16x16xf32, #npu.space<acc>>
  return
}

// -----

// An outer loop whose body ends with an inner loop handing the buffer
// between the same engines: the inner loop's last token (signalled right
// after the buffer's last product) crosses the outer back edge, so the
// next outer iteration's first load into the buffer waits for that product
// only; no drain follows the inner loop and no signal waits there for the
// matrix unit's later work on other buffers (the product of %other).
// CHECK-LABEL: func.func @nested_stream
// CHECK:         scf.for
// CHECK-NEXT:      npu.wait <mxu> -> <din>, [[ID:[0-9]+]]
// CHECK-NEXT:      npu.dma_load %{{.*}}, %[[L:[^ ]*]] :
// CHECK:           npu.mma %[[L]]
// CHECK:           scf.for
// CHECK-NEXT:        npu.wait <mxu> -> <din>, [[ID]]
// CHECK-NEXT:        npu.dma_load %{{.*}}, %[[L]] :
// CHECK:             npu.mma %[[L]]
// CHECK-NEXT:        npu.signal <mxu> -> <din>, [[ID]]
// CHECK:             npu.mma
// CHECK-NEXT:        npu.signal <mxu> -> <din>
// CHECK-NEXT:      }
// CHECK-NEXT:    }
// CHECK-NEXT:    npu.wait <mxu> -> <din>, [[ID]]
func.func @nested_stream(%a: memref<16x16xbf16, #npu.space<dram>>)
    attributes {npu.target = #npu.target<"snpu-server">} {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c1 = arith.constant 1 : index
  %l = memref.alloc() {npu.offset = 0} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
  %other = memref.alloc() {npu.offset = 1024} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
  %w = memref.alloc() {npu.offset = 0} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>
  %acc = memref.alloc() {npu.offset = 0} : memref<16x16xf32, #npu.space<acc>>
  scf.for %i = %c0 to %c2 step %c1 {
    npu.dma_load %a, %l : memref<16x16xbf16, #npu.space<dram>> to memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
    npu.mma %l, %w, %acc {accumulate} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>, memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>, memref<16x16xf32, #npu.space<acc>>
    scf.for %j = %c0 to %c4 step %c1 {
      npu.dma_load %a, %l : memref<16x16xbf16, #npu.space<dram>> to memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
      npu.mma %l, %w, %acc {accumulate} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>, memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>, memref<16x16xf32, #npu.space<acc>>
      npu.dma_load %a, %other : memref<16x16xbf16, #npu.space<dram>> to memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
      npu.mma %other, %w, %acc {accumulate} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>, memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>, memref<16x16xf32, #npu.space<acc>>
    }
  }
  return
}

// -----

// A handoff another one implies is dropped: both operands of the product
// come from DMA-in, and the signal after the second load fires only once
// the first load has landed too (an engine signals once all its earlier
// work has finished), so the product waits once.
// CHECK-LABEL: func.func @implied
// CHECK:         npu.dma_load %{{.*}}, %[[L:.*]] :
// CHECK-NEXT:    npu.dma_load %{{.*}}, %[[R:.*]] :
// CHECK-NEXT:    npu.signal <din> -> <mxu>, [[ID:[0-9]+]]
// CHECK-NEXT:    npu.wait <din> -> <mxu>, [[ID]]
// CHECK-NEXT:    npu.mma %[[L]], %[[R]], %[[ACC:.*]] :
// CHECK-NEXT:    npu.signal <mxu> -> <dout>
// CHECK-NEXT:    npu.wait <mxu> -> <dout>
// CHECK-NEXT:    npu.dma_store %[[ACC]]
// CHECK-NOT:     npu.signal <din> -> <mxu>
// CHECK-NOT:     npu.wait <din> -> <mxu>
// CHECK:         return
func.func @implied(%a: memref<16x16xbf16, #npu.space<dram>>, %c: memref<16x16xf32, #npu.space<dram>>)
    attributes {npu.target = #npu.target<"snpu-server">} {
  %l = memref.alloc() {npu.offset = 0} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
  %r = memref.alloc() {npu.offset = 0} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>
  %acc = memref.alloc() {npu.offset = 0} : memref<16x16xf32, #npu.space<acc>>
  npu.dma_load %a, %l : memref<16x16xbf16, #npu.space<dram>> to memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
  npu.dma_load %a, %r : memref<16x16xbf16, #npu.space<dram>> to memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>
  npu.mma %l, %r, %acc : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>, memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>, memref<16x16xf32, #npu.space<acc>>
  npu.dma_store %acc, %c : memref<16x16xf32, #npu.space<acc>> to memref<16x16xf32, #npu.space<dram>>
  return
}

// -----

// A load that a later handoff does not cover keeps its own: the second
// product reads a buffer loaded after the first product's wait, whose
// handoff is the last one from DMA-in to the matrix unit.
// CHECK-LABEL: func.func @not_implied
// CHECK:         npu.dma_load
// CHECK-NEXT:    npu.signal <din> -> <mxu>
// CHECK-NEXT:    npu.wait <din> -> <mxu>
// CHECK-NEXT:    npu.mma
// CHECK-NEXT:    npu.dma_load
// CHECK-NEXT:    npu.signal <din> -> <mxu>
// CHECK-NEXT:    npu.wait <din> -> <mxu>
// CHECK-NEXT:    npu.mma
func.func @not_implied(%a: memref<16x16xbf16, #npu.space<dram>>)
    attributes {npu.target = #npu.target<"snpu-server">} {
  %l = memref.alloc() {npu.offset = 0} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
  %l2 = memref.alloc() {npu.offset = 1024} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
  %r = memref.alloc() {npu.offset = 0} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>
  %acc = memref.alloc() {npu.offset = 0} : memref<16x16xf32, #npu.space<acc>>
  %acc2 = memref.alloc() {npu.offset = 1024} : memref<16x16xf32, #npu.space<acc>>
  npu.dma_load %a, %l : memref<16x16xbf16, #npu.space<dram>> to memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
  npu.mma %l, %r, %acc : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>, memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>, memref<16x16xf32, #npu.space<acc>>
  npu.dma_load %a, %l2 : memref<16x16xbf16, #npu.space<dram>> to memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
  npu.mma %l2, %r, %acc2 : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>, memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>, memref<16x16xf32, #npu.space<acc>>
  return
}

// -----

// Two cores' parts (npu.once loops) use the same buffers in their own
// local memories: nothing is handed from one part to the other.
// CHECK-LABEL: func.func @cores
// CHECK:         scf.for
// CHECK-NEXT:      npu.dma_load
// CHECK-NEXT:      npu.signal <din> -> <mxu>
// CHECK-NEXT:      npu.wait <din> -> <mxu>
// CHECK-NEXT:      npu.mma
// CHECK-NEXT:    } {npu.once = 0 : i64}
// CHECK-NEXT:    scf.for
// CHECK-NEXT:      npu.dma_load
// CHECK-NEXT:      npu.signal <din> -> <mxu>
// CHECK-NEXT:      npu.wait <din> -> <mxu>
// CHECK-NEXT:      npu.mma
// CHECK-NEXT:    } {npu.once = 1 : i64}
// CHECK-NEXT:    return
func.func @cores(%a: memref<16x16xbf16, #npu.space<dram>>)
    attributes {npu.target = #npu.target<"snpu-server">} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %l = memref.alloc() {npu.offset = 0} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
  %r = memref.alloc() {npu.offset = 0} : memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>
  %acc = memref.alloc() {npu.offset = 0} : memref<16x16xf32, #npu.space<acc>>
  // As the tilers' onCore: core c runs from min((core - c)^2, 1) to 1.
  %core = npu.core_id
  %d0 = arith.subi %core, %c0 : index
  %s0 = arith.muli %d0, %d0 : index
  %first0 = arith.minsi %s0, %c1 : index
  %d1 = arith.subi %core, %c1 : index
  %s1 = arith.muli %d1, %d1 : index
  %first1 = arith.minsi %s1, %c1 : index
  scf.for %i = %first0 to %c1 step %c1 {
    npu.dma_load %a, %l : memref<16x16xbf16, #npu.space<dram>> to memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
    npu.mma %l, %r, %acc : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>, memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>, memref<16x16xf32, #npu.space<acc>>
  } {npu.once = 0 : i64}
  scf.for %i = %first1 to %c1 step %c1 {
    npu.dma_load %a, %l : memref<16x16xbf16, #npu.space<dram>> to memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>
    npu.mma %l, %r, %acc : memref<16x16xbf16, strided<[32, 1]>, #npu.space<ibuf>>, memref<16x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>, memref<16x16xf32, #npu.space<acc>>
  } {npu.once = 1 : i64}
  return
}
