// RUN: sinan-opt %s --sinan-convert-graph-to-npu | FileCheck %s

// A layer normalization of 128 rows of 256 on snpu-server: each core's 32
// rows would fit one chunk, which would load, pass and store in a row (the
// load's and the store's DRAM round trips one after the other). They go as
// four chunks of 8 rows instead, all four loaded first (so the scalar unit
// issues the loads before the passes fill the vector queue), then each
// chunk's passes and store, which overlap the next chunk's passes.
// CHECK-LABEL: func.func @norm
// CHECK-SAME:    npu.blocks = array<i64: 8, 256>
// CHECK-SAME:    npu.cores = 4
// CHECK:         npu.core_id
// CHECK:         scf.for
// CHECK-COUNT-4: npu.dma_load {{.*}} : memref<2048xf32, {{.*}}#npu.space<dram>> to memref<2048xf32, #npu.space<vbuf>>
// CHECK-NOT:     npu.dma_load
// CHECK:         npu.vred "sum"
// CHECK-COUNT-4: npu.dma_store
func.func @norm(%x: tensor<1x128x256xf32>, %g: tensor<256xf32>, %b: tensor<256xf32>) -> tensor<1x128x256xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %y = graph.layer_norm %x, %g, %b {axis = 2 : i64, epsilon = 9.99999996E-13 : f32} : (tensor<1x128x256xf32>, tensor<256xf32>, tensor<256xf32>) -> tensor<1x128x256xf32>
  return %y : tensor<1x128x256xf32>
}

// A layer normalization of 196 rows of 384 (ConvNeXt-T's at 14x14): at most
// 41 rows fit a chunk; chunks of 41 would give each core one and leave 32
// rows for the first core to take after its own, through the same buffer.
// Each core's 49 rows go as two chunks of 25 instead (the last core one and
// the partial 21), its loop multi-buffered (rowChunksCycles prefers it).
// CHECK-LABEL: func.func @norm_even
// CHECK:         scf.for %{{.*}} = %c0{{.*}} to %c50{{.*}} step %c25
// CHECK:           npu.dma_load {{.*}} : memref<9600xf32, {{.*}}#npu.space<dram>> to memref<9600xf32, #npu.space<vbuf>>
// CHECK:         } {npu.once = 0 : i64}
// CHECK:         scf.for %{{.*}} = %c150{{.*}} to %c175{{.*}} step %c25
// CHECK:         npu.dma_load {{.*}} : memref<8064xf32, {{.*}}#npu.space<dram>> to memref<8064xf32, #npu.space<vbuf>>
func.func @norm_even(%x: tensor<1x14x14x384xf32>, %g: tensor<384xf32>, %b: tensor<384xf32>) -> tensor<1x14x14x384xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %y = graph.layer_norm %x, %g, %b {axis = 3 : i64, epsilon = 9.99999997E-7 : f32} : (tensor<1x14x14x384xf32>, tensor<384xf32>, tensor<384xf32>) -> tensor<1x14x14x384xf32>
  return %y : tensor<1x14x14x384xf32>
}
