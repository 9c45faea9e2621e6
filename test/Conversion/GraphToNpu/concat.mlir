// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-server --sinan-convert-graph-to-npu | FileCheck %s

// A concatenation moves each input through local memory (snpu-server's
// ibuf, its largest) into its place in the result: its rows (the dimensions
// before the axis) at an aligned pitch, stored with the result's row pitch. On one core: the inputs' places
// meet inside granules (here every 20 x 4 bytes), which two cores' stores
// must not share.
// CHECK-LABEL: func.func @main
// CHECK:         npu.launch @join_kernel
// CHECK-NOT:     graph.concat
// CHECK-LABEL: func.func @join_kernel
// CHECK-SAME:    npu.cores = 1
// The first input: 3 rows of 20 elements, at offset 0 of each 36-element row.
// CHECK:         npu.dma_load %{{.*}}, %[[A:.*]] : memref<3x20xf32, strided<[20, 1], offset: ?>, #npu.space<dram>> to memref<3x20xf32, strided<[32, 1]>, #npu.space<ibuf>>
// CHECK:         npu.dma_store %[[A]], %{{.*}} : memref<3x20xf32, strided<[32, 1]>, #npu.space<ibuf>> to memref<3x20xf32, strided<[36, 1], offset: ?>, #npu.space<dram>>
// The second: 3 rows of 16, 20 elements into each row.
// CHECK:         npu.dma_load %{{.*}}, %[[B:.*]] : memref<3x16xf32, strided<[16, 1], offset: ?>, #npu.space<dram>> to memref<3x16xf32, strided<[16, 1]>, #npu.space<ibuf>>
// CHECK:         npu.dma_store %[[B]], %{{.*}} : memref<3x16xf32, strided<[16, 1]>, #npu.space<ibuf>> to memref<3x16xf32, strided<[36, 1], offset: ?>, #npu.space<dram>>
func.func @main(%a: tensor<3x5x4xf32>, %b: tensor<3x4x4xf32>) -> tensor<3x9x4xf32> {
  %y = graph.concat %a, %b {axis = 1} : (tensor<3x5x4xf32>, tensor<3x4x4xf32>) -> tensor<3x9x4xf32> loc("join")
  return %y : tensor<3x9x4xf32>
}
