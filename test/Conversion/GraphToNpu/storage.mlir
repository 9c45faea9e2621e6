// RUN: sinan-opt %s --sinan-convert-graph-to-npu --mlir-elide-elementsattrs-if-larger=16 | FileCheck %s

// A kernel that keeps its input and result in DRAM as bf16
// (sinan-snpu-bf16-activations): the tiler matches the convolution without
// the storage casts and takes its DRAM views from the function's types, so
// the input tap goes straight from bf16 DRAM into the matrix unit's buffer
// and the store rounds the f32 block to bf16 (a block of pixels of all
// 256, whose channel rows are 256 apart in DRAM).
// CHECK-LABEL: func.func @conv
// CHECK-SAME:    (%{{.*}}: memref<1x64x16x16xbf16, #npu.space<dram>>, %{{.*}}: memref<64x64x1x1xf32, #npu.space<dram>>, %{{.*}}: memref<64xf32, #npu.space<dram>>, %{{.*}}: memref<1x64x16x16xbf16, #npu.space<dram>>)
// CHECK-NOT:     graph.
// CHECK:         npu.dma_load %{{.*}} : memref<{{[0-9]+}}x{{[0-9]+}}xbf16, strided<[256, 1], offset: ?>, #npu.space<dram>> to memref<{{.*}}xbf16, {{.*}}#npu.space<wbuf>>
// CHECK:         npu.dma_store %{{.*}} : memref<{{.*}}xf32, {{.*}}> to memref<{{[0-9]+}}x{{[0-9]+}}xbf16, strided<[256, 1], offset: ?>, #npu.space<dram>>
func.func @conv(%x: tensor<1x64x16x16xbf16>, %w: tensor<64x64x1x1xf32>, %b: tensor<64xf32>) -> tensor<1x64x16x16xbf16> attributes {npu.target = #npu.target<"snpu-server">} {
  %wc = graph.constant dense<0.5> : tensor<64x64x1x1xf32>
  %bc = graph.constant dense<0.25> : tensor<64xf32>
  %xw = graph.cast %x {npu.storage} : tensor<1x64x16x16xbf16> to tensor<1x64x16x16xf32>
  %y = graph.conv2d %xw, %wc, %bc : (tensor<1x64x16x16xf32>, tensor<64x64x1x1xf32>, tensor<64xf32>) -> tensor<1x64x16x16xf32>
  %yn = graph.cast %y {npu.storage} : tensor<1x64x16x16xf32> to tensor<1x64x16x16xbf16>
  return %yn : tensor<1x64x16x16xbf16>
}

// A matrix product whose left operand is kept as bf16 and whose residual
// (the kernel's last argument) is too: the residual block comes into vbuf
// widened to f32 by the DMA.
// CHECK-LABEL: func.func @matmul
// CHECK-SAME:    (%{{.*}}: memref<128x256xbf16, #npu.space<dram>>, %{{.*}}: memref<256x256xf32, #npu.space<dram>>, %{{.*}}: memref<256xf32, #npu.space<dram>>, %{{.*}}: memref<128x256xbf16, #npu.space<dram>>, %{{.*}}: memref<128x256xf32, #npu.space<dram>>)
// CHECK:         npu.dma_load %{{.*}} : memref<{{.*}}xbf16, {{.*}}#npu.space<dram>> to memref<{{.*}}xbf16, {{.*}}#npu.space<ibuf>>
// CHECK:         npu.dma_load %{{.*}} : memref<{{.*}}xbf16, {{.*}}#npu.space<dram>> to memref<{{.*}}xf32, {{.*}}#npu.space<vbuf>>
func.func @matmul(%x: tensor<128x256xbf16>, %w: tensor<256x256xf32>, %b: tensor<256xf32>, %r: tensor<128x256xbf16>) -> tensor<128x256xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %xw = graph.cast %x {npu.storage} : tensor<128x256xbf16> to tensor<128x256xf32>
  %rw = graph.cast %r {npu.storage} : tensor<128x256xbf16> to tensor<128x256xf32>
  %wc = graph.constant dense<0.5> : tensor<256x256xf32>
  %p = graph.matmul %xw, %wc : (tensor<128x256xf32>, tensor<256x256xf32>) -> tensor<128x256xf32>
  %s = graph.add %p, %b : (tensor<128x256xf32>, tensor<256xf32>) -> tensor<128x256xf32>
  %t = graph.add %s, %rw : (tensor<128x256xf32>, tensor<128x256xf32>) -> tensor<128x256xf32>
  return %t : tensor<128x256xf32>
}

// A network input converted to bf16 on the device (sinan-snpu-bf16-
// activations' conversion kernel): an identity reshape whose result is
// kept as bf16, one long run in order, which the cores split into pieces
// of 37,632 elements (each a whole number of bf16 granules), moved through
// ibuf (the largest local memory: four blocks in flight) as f32 and
// rounded by the store.
// CHECK-LABEL: func.func @convert
// CHECK-SAME:    (%{{.*}}: memref<1x3x224x224xf32, #npu.space<dram>>, %{{.*}}: memref<1x3x224x224xbf16, #npu.space<dram>>)
// CHECK-SAME:    npu.cores = 4
// CHECK:         npu.core_id
// CHECK:         npu.dma_load %{{.*}} : memref<1x16384xf32, {{.*}}#npu.space<dram>> to memref<1x16384xf32, {{.*}}#npu.space<ibuf>>
// CHECK:         npu.dma_store %{{.*}} : memref<1x16384xf32, {{.*}}#npu.space<ibuf>> to memref<1x16384xbf16, {{.*}}#npu.space<dram>>
func.func @convert(%x: tensor<1x3x224x224xf32>) -> tensor<1x3x224x224xbf16> attributes {npu.target = #npu.target<"snpu-server">} {
  %y = graph.reshape %x : (tensor<1x3x224x224xf32>) -> tensor<1x3x224x224xf32>
  %n = graph.cast %y {npu.storage} : tensor<1x3x224x224xf32> to tensor<1x3x224x224xbf16>
  return %n : tensor<1x3x224x224xbf16>
}
