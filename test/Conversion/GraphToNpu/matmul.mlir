// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-server --sinan-convert-graph-to-npu --mlir-elide-elementsattrs-if-larger=16 | FileCheck %s
// RUN: sinan-opt %s --sinan-snpu-pipeline="target=snpu-server phase=isa" -o /dev/null

// A classifier's one row against constant weights: the weights are packed
// as bf16 at compile time into the kernel's read-only data (the launch's
// argument stays, unread), in column panels as wide as a block (eight of
// 128 columns, the last zero-padded), so that each block of B is one
// contiguous run; the offset of column block j's panel is j >> 7 panels of
// 512 rows. With one block of rows the four cores split the column blocks
// (each stores its columns of the one row). K is one step and every core
// has two blocks, so the row loads once for all of them.
// CHECK:       memref.global "private" constant @fc_kernel_weights : memref<4096x128xbf16, #npu.space<dram>>
// CHECK-LABEL: func.func @fc_kernel
// CHECK-SAME:    npu.blocks = array<i64: 16, 512, 128>
// CHECK-SAME:    npu.cores = 4
// CHECK:         memref.get_global @fc_kernel_weights
// CHECK:         npu.dma_load %{{.*}}, %{{.*}} : memref<1x512xf32, strided<[512, 1], offset: ?>, #npu.space<dram>> to memref<1x512xbf16
// CHECK:         npu.core_id
// Seven full column blocks, two on each of cores 0-2 and one on core 3,
// which also takes the 104-column edge.
// CHECK:         scf.for
// CHECK:           %[[PANEL:.*]] = arith.shrui %{{.*}}, %c7
// CHECK:           arith.muli %[[PANEL]], %c512
// CHECK:           npu.dma_load %{{.*}}, %{{.*}} : memref<512x128xbf16, strided<[128, 1], offset: ?>, #npu.space<dram>> to memref<512x128xbf16, strided<[128, 1]>, #npu.space<wbuf>>
// CHECK:           npu.mma
// CHECK:           npu.vbin "add"
// CHECK:           npu.dma_store %{{.*}}, %{{.*}} : memref<1x128xf32, strided<[128, 1]>, #npu.space<vbuf>> to memref<1x128xf32, strided<[1000, 1], offset: ?>, #npu.space<dram>>
// CHECK:         npu.dma_load %{{.*}}, %{{.*}} : memref<512x104xbf16, strided<[128, 1], offset: ?>, #npu.space<dram>>
// CHECK:         npu.dma_store %{{.*}}, %{{.*}} : memref<1x104xf32, strided<[112, 1]>, #npu.space<vbuf>> to memref<1x104xf32, strided<[1000, 1], offset: ?>, #npu.space<dram>>
// CHECK-NEXT:    } {npu.once = 3 : i64}
func.func @fc(%x: tensor<1x512xf32>, %bias: tensor<1000xf32>) -> tensor<1x1000xf32> {
  %w = graph.constant dense<0.5> : tensor<512x1000xf32>
  %0 = graph.matmul %x, %w : (tensor<1x512xf32>, tensor<512x1000xf32>) -> tensor<1x1000xf32> loc("fc")
  %1 = graph.add %0, %bias : (tensor<1x1000xf32>, tensor<1000xf32>) -> tensor<1x1000xf32> loc("fc")
  return %1 : tensor<1x1000xf32>
}

// Rows enough for every core: they split the row blocks; both operands are
// arguments (f32, converted by DMA-in).
// CHECK-LABEL: func.func @rows_kernel
// CHECK-SAME:    npu.cores = 4
// CHECK-NOT:     memref.get_global
// CHECK:         npu.dma_load %{{.*}}, %{{.*}} : memref<{{[0-9]+}}x{{[0-9]+}}xf32, strided<[256, 1], offset: ?>, #npu.space<dram>> to memref<{{[0-9]+}}x{{[0-9]+}}xbf16
func.func @rows(%x: tensor<1024x256xf32>, %w: tensor<256x256xf32>) -> tensor<1024x256xf32> {
  %0 = graph.matmul %x, %w : (tensor<1024x256xf32>, tensor<256x256xf32>) -> tensor<1024x256xf32> loc("rows")
  return %0 : tensor<1024x256xf32>
}

// A projection back into a residual stream: the bias row, then the
// residual (the kernel's fourth argument), each added by the vector unit to
// the block before the store. After a single product (K in one step) their
// loads follow the product's own.
// CHECK-LABEL: func.func @proj_kernel
// CHECK-SAME:    (%{{.*}}: memref<128x256xf32, #npu.space<dram>>, %{{.*}}: memref<256x256xf32, #npu.space<dram>>, %{{.*}}: memref<256xf32, #npu.space<dram>>, %[[RES:.*]]: memref<128x256xf32, #npu.space<dram>>, %{{.*}}: memref<128x256xf32, #npu.space<dram>>)
// CHECK:         npu.mma
// CHECK:         npu.dma_load %{{.*}}, %{{.*}} : memref<1x{{[0-9]+}}xf32
// CHECK:         npu.dma_load %{{.*}}, %[[ADDEND:[^ ]*]] : memref<{{[0-9]+}}x{{[0-9]+}}xf32, strided<[256, 1], offset: ?>, #npu.space<dram>> to memref<{{[0-9]+}}x{{[0-9]+}}xf32
// CHECK:         npu.vbin "add" %{{.*}}, %{{.*}}, %[[SUM:[^ ]*]] :
// CHECK:         npu.vbin "add" %[[SUM]], %[[ADDEND]], %[[SUM]]
// CHECK:         npu.dma_store %[[SUM]]
func.func @proj(%x: tensor<128x256xf32>, %b: tensor<256xf32>, %r: tensor<128x256xf32>) -> tensor<128x256xf32> {
  %w = graph.constant dense<0.25> : tensor<256x256xf32>
  %0 = graph.matmul %x, %w : (tensor<128x256xf32>, tensor<256x256xf32>) -> tensor<128x256xf32> loc("proj")
  %1 = graph.add %b, %0 : (tensor<256xf32>, tensor<128x256xf32>) -> tensor<128x256xf32>
  %2 = graph.add %1, %r : (tensor<128x256xf32>, tensor<128x256xf32>) -> tensor<128x256xf32>
  return %2 : tensor<128x256xf32>
}

// Attention's scores, a batch of four 128x64 by 64x128 products: each core
// takes a whole product (its result is whole granules), in two column
// blocks that each product starts (no fill) from the rows of Q loaded once.
// CHECK-LABEL: func.func @scores_kernel
// CHECK-SAME:    npu.blocks = array<i64: 128, 64, 64>
// CHECK-SAME:    npu.cores = 4
// CHECK:         npu.core_id
// CHECK:         scf.for
// CHECK-NOT:       npu.fill %{{.*}} #npu.space<acc>>
// CHECK:           npu.mma %{{.*}} : memref<128x64xbf16
// CHECK:           npu.dma_store
func.func @scores(%q: tensor<1x4x128x64xf32>, %k: tensor<1x4x64x128xf32>) -> tensor<1x4x128x128xf32> {
  %0 = graph.matmul %q, %k : (tensor<1x4x128x64xf32>, tensor<1x4x64x128xf32>) -> tensor<1x4x128x128xf32> loc("scores")
  return %0 : tensor<1x4x128x128xf32>
}

// Q, K and V projected as one product (sinan-fuse-attention): 128 rows of
// K = 256 against 768 columns. With K in one step, the rows of A load once
// into ibuf for every C block of the core (not once per block): here twelve
// blocks of 64 columns over the four cores.
// CHECK-LABEL: func.func @qkv_kernel
// CHECK-SAME:    npu.blocks = array<i64: 128, 256, 64>, npu.cores = 4
// CHECK:         npu.dma_load %{{.*}}, %[[A:.*]] : memref<128x256xf32, {{.*}}#npu.space<dram>> to memref<128x256xbf16, strided<[256, 1]>, #npu.space<ibuf>>
// CHECK:         npu.core_id
// CHECK:         scf.for
// CHECK-NOT:       #npu.space<ibuf>>
// CHECK:           npu.mma %[[A]], %{{.*}}, %{{.*}}
func.func @qkv(%x: tensor<128x256xf32>, %b: tensor<768xf32>) -> tensor<128x768xf32> {
  %w = graph.constant dense<0.01> : tensor<256x768xf32>
  %0 = graph.matmul %x, %w : (tensor<128x256xf32>, tensor<256x768xf32>) -> tensor<128x768xf32> loc("qkv")
  %1 = graph.add %0, %b : (tensor<128x768xf32>, tensor<768xf32>) -> tensor<128x768xf32>
  return %1 : tensor<128x768xf32>
}
