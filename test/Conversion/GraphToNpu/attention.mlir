// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-server --sinan-convert-graph-to-npu | FileCheck %s
// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-edge --sinan-convert-graph-to-npu | FileCheck %s --check-prefix=EDGE
// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-server --sinan-convert-graph-to-npu | FileCheck %s --check-prefix=PACKED
// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-server | FileCheck %s --check-prefix=CHAINED
// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-edge --sinan-snpu-pipeline="target=snpu-edge" -o /dev/null
// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-server --sinan-snpu-pipeline="target=snpu-server" -o /dev/null

// BERT's attention: four heads of 128 x 64 over the four cores, each head
// in four blocks of 32 query rows, software-pipelined. A head's keys and
// values load first (the DMA-in engine runs in order); the keys come in as
// bf16 rows, the vector unit transposes them and scales them by 1/8 (a
// power of two: exactly the scores scaled); the head's queries load at
// once, then the DMA moves K^T into wbuf. The one mask row serves every
// head and row: loaded once, added at repeat stride 0. The first two
// blocks' scores go to the matrix unit (two accumulators of them) before
// the first block's P V, so each block's scores are ready when the vector
// unit finishes the softmax before: Q K^T into acc, the mask (out of acc
// into vbuf), the softmax over the keys, the probabilities rounded to bf16
// (npu.vcvt) and moved into ibuf, P V into acc, stored; then the third
// block's scores, the second block's softmax, ...
// CHECK-LABEL: func.func @bert_kernel
// CHECK-SAME:    npu.cores = 4 : i64, npu.plan = "rows=32 split=heads pipelined"
// CHECK:         npu.dma_load %{{.*}}, %[[MASK:.*]] : memref<1x128xf32, strided<[0, 1]>, #npu.space<dram>> to memref<1x128xf32, strided<[128, 1]>, #npu.space<vbuf>>
// CHECK:         %[[CORE:.*]] = npu.core_id
// CHECK:           npu.dma_load %{{.*}}, %[[KROWS:.*]] : memref<128x64xf32, {{.*}}#npu.space<dram>> to memref<128x64xbf16, strided<[64, 1]>, #npu.space<vbuf>>
// CHECK:           npu.dma_load %{{.*}}, %[[V:.*]] : memref<128x64xf32, {{.*}}#npu.space<dram>> to memref<128x64xbf16, strided<[64, 1]>, #npu.space<wbuf>>
// CHECK:           npu.vtrans %[[KROWS]], %[[KCOLS:.*]] : memref<128x64xbf16, strided<[64, 1]>, #npu.space<vbuf>> to memref<64x128xbf16, strided<[128, 1]>, #npu.space<vbuf>>
// CHECK:           npu.vscal "mul" %[[KCOLS]], 1.250000e-01 : f32, %[[KCOLS]] : memref<64x128xbf16, strided<[128, 1]>, #npu.space<vbuf>>
// CHECK:           npu.dma_load %{{.*}} : memref<128x64xf32, {{.*}}#npu.space<dram>> to memref<128x64xbf16, strided<[64, 1]>, #npu.space<ibuf>>
// CHECK:           npu.dma_move %[[KCOLS]], %[[KT:.*]] : memref<64x128xbf16, strided<[128, 1]>, #npu.space<vbuf>> to memref<64x128xbf16, strided<[128, 1]>, #npu.space<wbuf>>
// CHECK:           npu.mma %{{.*}}, %[[KT]], %{{.*}} : memref<32x64xbf16, strided<[64, 1]>, #npu.space<ibuf>>, memref<64x128xbf16, strided<[128, 1]>, #npu.space<wbuf>>, memref<32x128xf32, strided<[128, 1]>, #npu.space<acc>>
// CHECK-NOT:       npu.vbin
// CHECK:           npu.mma %{{.*}}, %[[KT]], %{{.*}} : memref<32x64xbf16, strided<[64, 1], offset: 2048>, #npu.space<ibuf>>
// CHECK-NOT:       npu.vscal
// CHECK:           %[[ROW:.*]] = memref.reinterpret_cast %[[MASK]] to offset: [0], sizes: [32, 128], strides: [0, 1]
// CHECK:           npu.vbin "add" %{{.*}}, %[[ROW]], %[[P:.*]] : memref<32x128xf32, strided<[128, 1]>, #npu.space<acc>>
// CHECK:           npu.vred "max" %[[P]]
// CHECK:           npu.vbin "sub" %[[P]]
// CHECK:           npu.vun "exp" %[[P]], %[[P]]
// CHECK:           npu.vred "sum" %[[P]]
// CHECK:           npu.vbin "div" %[[P]]
// CHECK:           npu.vcvt %[[P]], %[[PB:.*]] : memref<32x128xf32, strided<[128, 1]>, #npu.space<vbuf>> to memref<32x128xbf16, strided<[128, 1]>, #npu.space<vbuf>>
// CHECK:           npu.dma_move %[[PB]], %[[PI:.*]] : memref<32x128xbf16, strided<[128, 1]>, #npu.space<vbuf>> to memref<32x128xbf16, strided<[128, 1]>, #npu.space<ibuf>>
// CHECK:           npu.mma %{{.*}}, %[[V]], %{{.*}} : memref<32x128xbf16, strided<[128, 1]>, #npu.space<ibuf>>, memref<128x64xbf16, strided<[64, 1]>, #npu.space<wbuf>>, memref<32x64xf32, strided<[64, 1]>, #npu.space<acc>>
// CHECK:           npu.dma_store %{{.*}}, %{{.*}} : memref<32x64xf32, strided<[64, 1]>, #npu.space<acc>> to memref<32x64xf32, strided<[64, 1], offset: ?>, #npu.space<dram>>
// CHECK:           npu.mma %{{.*}}, %[[KT]], %{{.*}} : memref<32x64xbf16, strided<[64, 1], offset: 4096>, #npu.space<ibuf>>
// CHECK:           npu.vred "max"
func.func @bert(%q: tensor<1x4x128x64xf32>, %k: tensor<1x4x128x64xf32>, %v: tensor<1x4x128x64xf32>, %m: tensor<1x1x1x128xf32>) -> tensor<1x4x128x64xf32> {
  %0 = graph.attention %q, %k, %v, %m {scale = 0.125 : f32} : (tensor<1x4x128x64xf32>, tensor<1x4x128x64xf32>, tensor<1x4x128x64xf32>, tensor<1x1x1x128xf32>) -> tensor<1x4x128x64xf32> loc("bert")
  return %0 : tensor<1x4x128x64xf32>
}

// ViT's 197 tokens on snpu-edge: its one core takes the three heads in
// turn (npu.buffered: its 64 KiB memories hold one copy of a head's
// buffers), each head's blocks of 16 query rows software-pipelined, the
// last one 5 rows. The padding is zeros the DMA writes: K^T's 11 columns
// past 197 (to the tile's n), the values' 3 rows and the probabilities' 3
// columns past 197 (to the tile's k of 8). The softmax reads the scores
// straight from acc (no scale, no mask), over exactly 197 keys per row.
// EDGE-LABEL: func.func @vit_kernel
// EDGE-SAME:    npu.cores = 1 : i64, npu.plan = "rows=16 split=heads pipelined"
// EDGE:         scf.for
// EDGE:           npu.dma_load %{{.*}}, %{{.*}} {padding = array<i64: 0, 3, 0, 0>} : memref<197x64xf32, {{.*}} to memref<200x64xbf16, strided<[64, 1]>, #npu.space<wbuf>>
// EDGE:           npu.dma_move %{{.*}}, %{{.*}} {padding = array<i64: 0, 0, 0, 11>} : memref<64x197xbf16, strided<[224, 1]>, #npu.space<vbuf>> to memref<64x208xbf16, strided<[224, 1]>, #npu.space<wbuf>>
// EDGE:           npu.vred "max" %{{.*}} : memref<16x197xf32, strided<[208, 1]>, #npu.space<acc>>
// EDGE:           npu.dma_move %{{.*}}, %{{.*}} {padding = array<i64: 0, 3>} : memref<16x197xbf16, strided<[224, 1]>, #npu.space<vbuf>> to memref<16x200xbf16, strided<[224, 1]>, #npu.space<ibuf>>
// EDGE:           npu.dma_store %{{.*}}, %{{.*}} : memref<5x64xf32, strided<[64, 1]>, #npu.space<acc>> to memref<5x64xf32, strided<[64, 1], offset: ?>, #npu.space<dram>>
// EDGE:         } {npu.buffered}
func.func @vit(%q: tensor<1x3x197x64xf32>, %k: tensor<1x3x197x64xf32>, %v: tensor<1x3x197x64xf32>) -> tensor<1x3x197x64xf32> {
  %0 = graph.attention %q, %k, %v {scale = 1.0 : f32} : (tensor<1x3x197x64xf32>, tensor<1x3x197x64xf32>, tensor<1x3x197x64xf32>) -> tensor<1x3x197x64xf32> loc("vit")
  return %0 : tensor<1x3x197x64xf32>
}

// Grouped-query heads: each key head's keys and values (loaded once)
// serve two query heads; the mask has a block per batch, loaded per
// block of query rows at the batch's offset.
// CHECK-LABEL: func.func @gqa_kernel
// CHECK-SAME:    npu.cores = 2 : i64
// CHECK:         npu.vtrans
// CHECK:         scf.for
// CHECK:           npu.dma_load %{{.*}} : memref<64x64xf32, strided<[64, 1], offset: ?>, #npu.space<dram>> to memref<64x64xf32, strided<[64, 1]>, #npu.space<vbuf>>
// CHECK:           npu.mma
// CHECK:           npu.vscal "mul"
// CHECK:           npu.vbin "add"
func.func @gqa(%q: tensor<2x4x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x48xf32>, %m: tensor<2x1x64x64xf32>) -> tensor<2x4x64x48xf32> {
  %0 = graph.attention %q, %k, %v, %m {scale = 0.17677669 : f32} : (tensor<2x4x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x48xf32>, tensor<2x1x64x64xf32>) -> tensor<2x4x64x48xf32> loc("gqa")
  return %0 : tensor<2x4x64x48xf32>
}

// Heads as BERT's projections give them: [1, 128, 256] split into four
// heads of 64 by a reshape and a transpose, merged back after. The kernel
// takes the projections and returns the merged result: each head's rows
// are every 256th element from column 64 h (reinterpret_cast views, row
// stride 256), and its result rows go back there.
// PACKED-LABEL: func.func @packed(
// PACKED:         %[[R:.*]] = npu.launch @packed_kernel(%arg0, %arg1, %arg2) : (tensor<1x128x256xf32>, tensor<1x128x256xf32>, tensor<1x128x256xf32>) -> tensor<1x128x256xf32>
// PACKED-NEXT:    return %[[R]]
// PACKED-LABEL: func.func @packed_kernel
// PACKED-SAME:    %arg3: memref<1x128x256xf32, #npu.space<dram>>)
// PACKED-SAME:    npu.cores = 4 : i64
// PACKED:         memref.reinterpret_cast %arg1 to offset: [%{{.*}}], sizes: [128, 64], strides: [256, 1]
// PACKED:         memref.reinterpret_cast %arg0 to offset: [%{{.*}}], sizes: [128, 64], strides: [256, 1]
// PACKED:         npu.dma_store %{{.*}}, %{{.*}} : memref<32x64xf32, strided<[64, 1]>, #npu.space<acc>> to memref<32x64xf32, strided<[256, 1], offset: ?>, #npu.space<dram>>
func.func @packed(%q: tensor<1x128x256xf32>, %k: tensor<1x128x256xf32>, %v: tensor<1x128x256xf32>) -> tensor<1x128x256xf32> {
  %q4 = graph.reshape %q : (tensor<1x128x256xf32>) -> tensor<1x128x4x64xf32>
  %qt = graph.transpose %q4 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<1x128x4x64xf32>) -> tensor<1x4x128x64xf32>
  %k4 = graph.reshape %k : (tensor<1x128x256xf32>) -> tensor<1x128x4x64xf32>
  %kt = graph.transpose %k4 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<1x128x4x64xf32>) -> tensor<1x4x128x64xf32>
  %v4 = graph.reshape %v : (tensor<1x128x256xf32>) -> tensor<1x128x4x64xf32>
  %vt = graph.transpose %v4 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<1x128x4x64xf32>) -> tensor<1x4x128x64xf32>
  %a = graph.attention %qt, %kt, %vt {scale = 0.125 : f32} : (tensor<1x4x128x64xf32>, tensor<1x4x128x64xf32>, tensor<1x4x128x64xf32>) -> tensor<1x4x128x64xf32> loc("packed")
  %at = graph.transpose %a {permutation = array<i64: 0, 2, 1, 3>} : (tensor<1x4x128x64xf32>) -> tensor<1x128x4x64xf32>
  %o = graph.reshape %at : (tensor<1x128x4x64xf32>) -> tensor<1x128x256xf32>
  return %o : tensor<1x128x256xf32>
}

// A reshape between two attentions (the first's result, the second's
// queries) is a view for one kernel only: the first's, which returns the
// reshaped result.
// CHAINED-LABEL: func.func @chained(
// CHAINED:         %[[A:.*]] = npu.launch @first_kernel(%arg0, %arg1, %arg2) : {{.*}} -> tensor<1x4x8x16xf32>
// CHAINED-NEXT:    %[[B:.*]] = npu.launch @second_kernel(%[[A]], %arg3, %arg4)
// CHAINED-NEXT:    return %[[B]]
func.func @chained(%q: tensor<1x2x16x16xf32>, %k: tensor<1x2x16x16xf32>, %v: tensor<1x2x16x16xf32>, %k2: tensor<1x4x8x16xf32>, %v2: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %a = graph.attention %q, %k, %v {scale = 0.25 : f32} : (tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>) -> tensor<1x2x16x16xf32> loc("first")
  %r = graph.reshape %a : (tensor<1x2x16x16xf32>) -> tensor<1x4x8x16xf32>
  %b = graph.attention %r, %k2, %v2 {scale = 0.25 : f32} : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> loc("second")
  return %b : tensor<1x4x8x16xf32>
}
