// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-server --sinan-convert-graph-to-npu | FileCheck %s
// RUN: sinan-opt %s --sinan-snpu-pipeline="target=snpu-server phase=isa" | FileCheck %s --check-prefix=ISA

// Sums and means over trailing dimensions, and binary ops with one element
// per row of the other operand, stream chunks of whole rows through vbuf.
// A layer normalization as the importer writes it puts every op on the
// device: the means are `npu.vred` (pairwise, as the host reference sums)
// then a division by the row length; x - mean and d * rstd read the column
// as a per-repeat scalar (innermost stride 0).
// CHECK-LABEL: func.func @main
// CHECK:         npu.launch @mean_kernel
// CHECK:         npu.launch @centre_kernel
// CHECK:         npu.launch @pool_kernel
// CHECK:         npu.launch @scale_kernel
// CHECK:         npu.launch @sum_kernel
// CHECK:         npu.launch @probs_kernel
// CHECK-NOT:     graph.reduce
// CHECK-NOT:     graph.sub
// CHECK-NOT:     graph.mul

// 256 rows of 768 over the four cores, 16 rows a chunk: each chunk's 16
// means are a whole granule, so no two cores store into one; a sum's one
// pass cannot hide a chunk's load behind the other of two chunks, so four
// are in flight (half the size each).
// CHECK-LABEL: func.func @mean_kernel
// CHECK-SAME:    npu.blocks = array<i64: [[ROWS:16]], 768>, npu.cores = 4
// CHECK:         scf.for
// CHECK:           npu.dma_load %{{.*}}, %[[IN:.*]] : memref<{{[0-9]+}}xf32, strided<[1], offset: ?>, #npu.space<dram>> to memref<{{[0-9]+}}xf32, #npu.space<vbuf>>
// CHECK:           %[[M:.*]] = memref.expand_shape %[[IN]] {{\[\[}}0, 1]] output_shape [[[ROWS]], 768]
// CHECK:           npu.vred "sum" %[[M]], %[[S:.*]] : memref<[[ROWS]]x768xf32, #npu.space<vbuf>>, memref<[[ROWS]]xf32, #npu.space<vbuf>>
// CHECK:           npu.vscal "div" %[[S]], 7.680000e+02 : f32, %[[S]]
// CHECK:           npu.dma_store %[[S]]
// CHECK:         } {npu.buffers = 4 : i64}

// A binary op with a column (one element per row) runs as a chain of one
// step: each core loads its 64 rows' column once and spreads it a granule
// per row, then each chunk of 16 rows reads its part as a per-repeat scalar
// (innermost stride 0). (column-chain.mlir: the row kernel, which loads
// each chunk's part beside the chunk, where the chain does not fit.)
// CHECK-LABEL: func.func @centre_kernel
// CHECK-SAME:    npu.blocks = array<i64: 12288>, npu.cores = 4
// CHECK:           npu.dma_load %{{.*}} : memref<64xf32, strided<[1], offset: ?>, #npu.space<dram>> to memref<64xf32, strided<[1]>, #npu.space<vbuf>>
// CHECK:           npu.vscal "mul" %{{.*}}, 1.000000e+00 : f32, %{{.*}} : memref<64x1xf32, strided<[1, 1]>, #npu.space<vbuf>>, memref<64x1xf32, strided<[16, 1]>, #npu.space<vbuf>>
// CHECK:           scf.for
// CHECK:             %[[REP:.*]] = memref.reinterpret_cast %{{.*}} to offset: [%{{.*}}], sizes: [16, 768], strides: [16, 0]
// CHECK:             npu.vbin "sub" %{{.*}}, %[[REP]], %{{.*}}

// A global average pool: a row per channel of 7 x 7, 80 channels a core.
// CHECK-LABEL: func.func @pool_kernel
// CHECK-SAME:    npu.blocks = array<i64: 80, 49>, npu.cores = 4
// CHECK:           npu.vred "sum" %{{.*}}, %{{.*}} : memref<{{[0-9]+}}x49xf32, #npu.space<vbuf>>
// CHECK:           npu.vscal "div" %{{.*}}, 4.900000e+01 : f32

// A squeeze-excite scale, the scale on the left (mul commutes): a chain
// of one step too, 80 channels a core.
// CHECK-LABEL: func.func @scale_kernel
// CHECK:           npu.vbin "mul" %{{.*}}, %{{.*}}, %{{.*}} : memref<80x49xf32, #npu.space<vbuf>>, memref<80x49xf32, strided<[16, 0], offset: ?>, #npu.space<vbuf>>

// A sum has no division.
// CHECK-LABEL: func.func @sum_kernel
// CHECK:           npu.vred "sum"
// CHECK-NOT:       npu.vscal
// CHECK:           npu.dma_store

// A softmax over the innermost dimension: each row's max and sum a column.
// CHECK-LABEL: func.func @probs_kernel
// CHECK:           npu.vred "max" %[[P:.*]], %[[C:.*]] : memref<{{[0-9]+}}x128xf32, #npu.space<vbuf>>
// CHECK:           npu.vbin "sub" %[[P]], %{{.*}}, %[[P]]
// CHECK-NEXT:      npu.vun "exp" %[[P]], %[[P]]
// CHECK-NEXT:      npu.vred "sum" %[[P]], %[[C]]
// CHECK:           npu.vbin "div" %[[P]], %{{.*}}, %[[P]]

// The reduction lowers to one `vred` per chunk, its sums one element apart.
// ISA-LABEL: isa.kernel @mean_kernel
// ISA:         isa.vcfg {{.*}}sel = len
// ISA:         isa.vred {{.*}}type = f32, op = sum, aSpace = vbuf

func.func @main(%x: tensor<2x128x768xf32>, %img: tensor<1x320x7x7xf32>, %scores: tensor<1x4x128x128xf32>) -> (tensor<2x128x768xf32>, tensor<1x320x7x7xf32>, tensor<2x128xf32>, tensor<1x4x128x128xf32>) {
  %mean = graph.reduce_mean %x {axes = array<i64: -1>, keepdims = true} : (tensor<2x128x768xf32>) -> tensor<2x128x1xf32> loc("mean")
  %d = graph.sub %x, %mean : (tensor<2x128x768xf32>, tensor<2x128x1xf32>) -> tensor<2x128x768xf32> loc("centre")
  %pool = graph.reduce_mean %img {axes = array<i64: 2, 3>, keepdims = true} : (tensor<1x320x7x7xf32>) -> tensor<1x320x1x1xf32> loc("pool")
  %scaled = graph.mul %pool, %img : (tensor<1x320x1x1xf32>, tensor<1x320x7x7xf32>) -> tensor<1x320x7x7xf32> loc("scale")
  %sum = graph.reduce_sum %d {axes = array<i64: 2>, keepdims = false} : (tensor<2x128x768xf32>) -> tensor<2x128xf32> loc("sum")
  %probs = graph.softmax %scores {axis = -1} : tensor<1x4x128x128xf32> loc("probs")
  return %d, %scaled, %sum, %probs : tensor<2x128x768xf32>, tensor<1x320x7x7xf32>, tensor<2x128xf32>, tensor<1x4x128x128xf32>
}
