// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-server --sinan-convert-graph-to-npu --mlir-elide-elementsattrs-if-larger=16 | FileCheck %s
// RUN: sinan-opt %s --sinan-snpu-pipeline=target=snpu-server -o /dev/null
// RUN: sinan-opt %s --sinan-snpu-pipeline=target=snpu-edge -o /dev/null

// Groups narrower than the matrix tile as block-diagonal chunks on the
// matrix unit (ConvGrid.cpp): a chunk of 32 channels holds whole groups and
// makes output channels block of its own, so its products take the chunk's
// grid with weights that are zero between groups. Here 40 depthwise
// channels: two chunks, one per core (split=channels), the second holding
// 8 channels (the load zero-fills the other 24 rows, its bias row is zeroed
// before its 8 values land, and the stores write 8 channel rows). Weights
// pack as [chunk][tap][32 x 32] bf16: 2 x 9 x 32 rows. A core loads the
// bias rows of all its chunks at once, with its first chunk's weights.

// CHECK:       memref.global "private" constant @dw_kernel_weights : memref<576x32xbf16, #npu.space<dram>>
// CHECK-LABEL: func.func @dw_kernel
// CHECK-SAME:    npu.cores = 2
// CHECK-SAME:    npu.plan = "grid diagonal c0=32 f0=32 rows={{[0-9]+}} m={{[0-9]+}} chunks=2 cores=2 split=channels
// First core: chunk 0, all 32 channels, its weights, the grid, 9 products.
// CHECK:         memref.subview %{{.*}}[0, 0, 0] [1, 32, 49]
// CHECK:         npu.dma_load {{.*}} to memref<32x49xbf16
// CHECK:         npu.dma_load {{.*}} : memref<288x32xbf16, {{.*}}#npu.space<dram>> to memref<288x32xbf16, {{.*}}#npu.space<wbuf>>
// CHECK:         npu.vtrans
// CHECK:         npu.dma_move
// CHECK-COUNT-9: npu.mma {{.*}} : memref<{{[0-9]+}}x32xbf16, {{.*}}#npu.space<ibuf>>, memref<32x32xbf16, {{.*}}#npu.space<wbuf>>, memref<{{[0-9]+}}x32xf32, {{.*}}#npu.space<acc>>
// CHECK:         npu.vbin "add"
// CHECK:         npu.vtrans
// CHECK:         npu.dma_store {{.*}} : memref<32x{{[0-9]+}}xf32, {{.*}}#npu.space<vbuf>> to memref<32x{{[0-9]+}}xf32
// Second core: chunk 1, 8 channels.
// CHECK:         npu.fill {{.*}} : memref<24x49xbf16
// CHECK:         memref.subview %{{.*}}[0, 32, 0] [1, 8, 49]
// CHECK:         npu.fill %{{.*}} : memref<224xf32, {{.*}}#npu.space<vbuf>>
// CHECK:         npu.dma_load {{.*}} : memref<7x8xf32, {{.*}}#npu.space<dram>> to memref<7x8xf32
// CHECK-COUNT-9: npu.mma
// CHECK:         npu.dma_store {{.*}} : memref<8x{{[0-9]+}}xf32, {{.*}}#npu.space<vbuf>> to memref<8x{{[0-9]+}}xf32
func.func @main(%x: tensor<1x40x7x7xf32>) -> tensor<1x40x7x7xf32> {
  %w = graph.constant dense<0.5> : tensor<40x1x3x3xf32>
  %b = graph.constant dense<0.25> : tensor<40xf32>
  %y = graph.conv2d %x, %w, %b {pads = array<i64: 1, 1, 1, 1>, group = 40 : i64} : (tensor<1x40x7x7xf32>, tensor<40x1x3x3xf32>, tensor<40xf32>) -> tensor<1x40x7x7xf32> loc("dw")
  return %y : tensor<1x40x7x7xf32>
}

// Groups of 8 (RegNet's width): four to a chunk, rows split over the cores
// (each core stages its rows of every chunk, one chunk ahead of the
// products, through two grids in turn), here two chunks.
// CHECK-LABEL: func.func @grouped_kernel
// CHECK-SAME:    npu.plan = "grid diagonal c0=32 f0=32 {{.*}} chunks=2 cores=4 split=rows {{.*}} grids=2
func.func @grouped(%x: tensor<1x64x28x28xf32>) -> tensor<1x64x28x28xf32> {
  %w = graph.constant dense<0.5> : tensor<64x8x3x3xf32>
  %y = graph.conv2d %x, %w {pads = array<i64: 1, 1, 1, 1>, group = 8 : i64} : (tensor<1x64x28x28xf32>, tensor<64x8x3x3xf32>) -> tensor<1x64x28x28xf32> loc("grouped")
  return %y : tensor<1x64x28x28xf32>
}
