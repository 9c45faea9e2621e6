// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-server --sinan-convert-graph-to-npu --mlir-elide-elementsattrs-if-larger=16 | FileCheck %s

// A 3x3 convolution of stride 1 on the Winograd tiler whose cores split
// the output rows (split=rows12: 12 of the 44 a core, the last one 8, each
// core's first row on a granule of every channel plane), every core making
// both blocks of 32 output channels. A core stages its rows of each chunk
// and the input rows above and below them: the first core input rows 0-12
// (image row 0 its top padding), the second rows 11-24 (image row 0 input
// row 11, a real row), each channel's rows one DMA row at a granule pitch.
// Its bordered image's zeros are then what is not staged: for the first
// core the padding row and the first row's left column, for the second the
// left column only. Each core stores its 12 rows (480 pixels) of every
// channel from its first row on.
// CHECK-LABEL: func.func @conv2d_kernel
// CHECK-SAME:    npu.plan = "winograd c0=32 f0=32 cores=4 split=rows12
// Two sets of the four sums' accumulators, 12 rows of 20 tiles.
// CHECK-COUNT-8: memref.alloc() : memref<240x32xf32, strided<[32, 1]>, #npu.space<acc>>
// CHECK:       npu.core_id
// Core 0.
// CHECK:       npu.dma_load {{.*}} : memref<32x520xf32, strided<[1760, 1]>, #npu.space<dram>> to memref<32x520xbf16, strided<[544, 1]>, #npu.space<vbuf>>
// CHECK-NEXT:  memref.reinterpret_cast
// CHECK-NEXT:  npu.fill {{.*}} : memref<1376xbf16, strided<[1]>, #npu.space<vbuf>>
// CHECK:       npu.fill {{.*}} : memref<12x64xbf16, strided<[1344, 1], offset: 2656>, #npu.space<vbuf>>
// CHECK:       npu.vtrans {{.*}} : memref<32x520xbf16, strided<[544, 1]>, #npu.space<vbuf>> to memref<520x32xbf16, strided<[32, 1]>, #npu.space<vbuf>>
// CHECK-NEXT:  memref.reinterpret_cast
// CHECK-NEXT:  memref.reinterpret_cast
// CHECK-NEXT:  npu.vscal "mul" {{.*}} : memref<13x1280xbf16, strided<[1280, 1]>, #npu.space<vbuf>>, memref<13x1280xbf16, strided<[1344, 1], offset: 1376>, #npu.space<vbuf>>
// CHECK:       npu.dma_store {{.*}} : memref<32x480xf32, strided<[480, 1]>, #npu.space<vbuf>> to memref<32x480xf32, strided<[1760, 1]>, #npu.space<dram>>
// CHECK:       npu.dma_store {{.*}} : memref<32x480xf32, strided<[480, 1]>, #npu.space<vbuf>> to memref<32x480xf32, strided<[1760, 1], offset: 56320>, #npu.space<dram>>
// Core 1: from input row 11, into image row 0.
// CHECK:       npu.dma_load {{.*}} : memref<32x560xf32, strided<[1760, 1], offset: 440>, #npu.space<dram>> to memref<32x560xbf16, strided<[576, 1]>, #npu.space<vbuf>>
// CHECK-NEXT:  memref.reinterpret_cast
// CHECK-NEXT:  npu.fill {{.*}} : memref<32xbf16, strided<[1]>, #npu.space<vbuf>>
// CHECK:       npu.fill {{.*}} : memref<13x64xbf16, strided<[1344, 1], offset: 1312>, #npu.space<vbuf>>
// CHECK:       npu.vscal "mul" {{.*}} : memref<14x1280xbf16, strided<[1280, 1]>, #npu.space<vbuf>>, memref<14x1280xbf16, strided<[1344, 1], offset: 32>, #npu.space<vbuf>>
// CHECK:       npu.dma_store {{.*}} to memref<32x480xf32, strided<[1760, 1], offset: 480>, #npu.space<dram>>
// CHECK:       npu.dma_store {{.*}} to memref<32x480xf32, strided<[1760, 1], offset: 56800>, #npu.space<dram>>
// Core 3: 8 rows.
// CHECK:       npu.dma_store {{.*}} : memref<32x320xf32, strided<[480, 1]>, #npu.space<vbuf>> to memref<32x320xf32, strided<[1760, 1], offset: 1440>, #npu.space<dram>>
func.func @main(%x: tensor<1x64x44x40xf32>) -> tensor<1x64x44x40xf32> {
  %w = graph.constant dense<0.5> : tensor<64x64x3x3xf32>
  %b = graph.constant dense<0.25> : tensor<64xf32>
  %y = graph.conv2d %x, %w, %b {pads = array<i64: 1, 1, 1, 1>, snpu.conv_algorithm = "winograd"} : (tensor<1x64x44x40xf32>, tensor<64x64x3x3xf32>, tensor<64xf32>) -> tensor<1x64x44x40xf32>
  return %y : tensor<1x64x44x40xf32>
}
