// RUN: sinan-opt %s --sinan-convert-graph-to-npu | FileCheck %s

// A convolution whose residual keeps its bias first (the fallback sums
// (bias + products) + residual): a constant bias starts each accumulator
// as a product of the matrix unit instead of a DMA of a block of f32 (for
// ResNet's layer1 1x1 expand, whose taps are short, the estimate prefers
// it). Each value's splitToBF16 parts are packed at compile time (0.1 as
// 0x3DCC + 0x39CC + 0x35CD, exact in f32), loaded per output channel block
// with zero columns to the tile's k; the ones tile is filled on chip, -0.0
// (0x8000) then three rows of 1.0 (0x3F80). Each pixel block's first
// product is the bias's, without accumulate; the taps' products accumulate
// onto it.
// CHECK:       memref.global "private" constant @[[COLUMNS:.*]] : memref<256x3xbf16, #npu.space<dram>> = dense<"0xCC3DCC39CD35CC3DCC39CD35
// CHECK-LABEL: func.func @residual
// CHECK-SAME:    npu.plan = "implicit-gemm {{.*}}bias=product
// CHECK-DAG:     %[[BIAS:.*]] = memref.alloc() : memref<[[F:[0-9]+]]x16xbf16, {{.*}}#npu.space<ibuf>>
// CHECK-DAG:     %[[ONE:.*]] = memref.alloc() : memref<16x[[P:[0-9]+]]xbf16, {{.*}}#npu.space<wbuf>>
// CHECK-DAG:     %[[C:.*]] = memref.get_global @[[COLUMNS]]
// CHECK:         npu.fill %[[ONE]] {pattern = 32768 : i64}
// CHECK:         %[[ROWS:.*]] = memref.subview %[[ONE]][0, 0] [3, [[P]]]
// CHECK:         npu.fill %[[ROWS]] {pattern = 16256 : i64}
// CHECK:         %[[V:.*]] = memref.subview %[[C]]
// CHECK:         npu.dma_load %[[V]], %[[BIAS]] {padding = array<i64: 0, 13>} : memref<[[F]]x3xbf16
// CHECK:         npu.mma %[[BIAS]], %[[ONE]], %[[ACC:[^ ]*]] :
// CHECK-NOT:     npu.mma
// CHECK:         npu.mma %{{.*}}, %{{.*}}, %[[ACC]] {accumulate}
func.func @residual(%x: tensor<1x64x56x56xf32>, %w: tensor<256x64x1x1xf32>, %b: tensor<256xf32>, %r: tensor<1x256x56x56xf32>) -> tensor<1x256x56x56xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %wc = graph.constant dense<0.5> : tensor<256x64x1x1xf32>
  %bc = graph.constant dense<0.1> : tensor<256xf32>
  %y = graph.conv2d %x, %wc, %bc : (tensor<1x64x56x56xf32>, tensor<256x64x1x1xf32>, tensor<256xf32>) -> tensor<1x256x56x56xf32>
  %s = graph.add %y, %r : (tensor<1x256x56x56xf32>, tensor<1x256x56x56xf32>) -> tensor<1x256x56x56xf32>
  %q = graph.relu %s : tensor<1x256x56x56xf32>
  return %q : tensor<1x256x56x56xf32>
}

// A bias with -0.0 cannot start a product's sum (which begins from +0.0):
// it is loaded into the accumulators as before.
// CHECK-LABEL: func.func @negative_zero
// CHECK-NOT:     bias=product
// CHECK-SAME:    npu.plan = "implicit-gemm {{.*}}bias=first
func.func @negative_zero(%x: tensor<1x64x56x56xf32>, %w: tensor<256x64x1x1xf32>, %b: tensor<256xf32>, %r: tensor<1x256x56x56xf32>) -> tensor<1x256x56x56xf32> attributes {npu.target = #npu.target<"snpu-server">} {
  %wc = graph.constant dense<0.5> : tensor<256x64x1x1xf32>
  %bc = graph.constant dense<-0.0> : tensor<256xf32>
  %y = graph.conv2d %x, %wc, %bc : (tensor<1x64x56x56xf32>, tensor<256x64x1x1xf32>, tensor<256xf32>) -> tensor<1x256x56x56xf32>
  %s = graph.add %y, %r : (tensor<1x256x56x56xf32>, tensor<1x256x56x56xf32>) -> tensor<1x256x56x56xf32>
  %q = graph.relu %s : tensor<1x256x56x56xf32>
  return %q : tensor<1x256x56x56xf32>
}
