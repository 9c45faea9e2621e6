// RUN: sinan-opt %s --graph-decompose | FileCheck %s
// RUN: sinan-opt %s --graph-decompose=ops=gelu | FileCheck %s --check-prefix=KEPT

// A transposed convolution is the convolution of the input with s - 1
// zeros after each element (reshape, pad, reshape), padded by d (k - 1) - p
// (plus the output padding, less the trailing zeros, at the end), with the
// weights turned to [Cout, Cin / g] and flipped. Stride 2, kernel 3, pads
// 1, output padding 1: padding 1, 1, 1, 1 around the 8x8 zero-inserted map.
// CHECK-LABEL: func.func @up
// CHECK:         %[[R:.*]] = graph.reshape %arg0 : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x1x4x1xf32>
// CHECK:         %[[P:.*]] = graph.pad %[[R]] {high = array<i64: 0, 0, 0, 1, 0, 1>, low = array<i64: 0, 0, 0, 0, 0, 0>} : (tensor<1x2x4x1x4x1xf32>) -> tensor<1x2x4x2x4x2xf32>
// CHECK:         %[[Z:.*]] = graph.reshape %[[P]] : (tensor<1x2x4x2x4x2xf32>) -> tensor<1x2x8x8xf32>
// The weights [2, 1, 3, 3] (Cin 2, Cout 1): output channel 0 takes input
// channel 0's taps, flipped (8 was at [0, 0, 2, 2]; first now).
// CHECK:         %[[W:.*]] = graph.constant dense<{{\[\[\[\[}}8.000000e+00, 7.000000e+00, 6.000000e+00], [5.000000e+00, 4.000000e+00, 3.000000e+00], [2.000000e+00, 1.000000e+00, 0.000000e+00]], {{\[\[}}1.800000e+01
// CHECK:         graph.conv2d %[[Z]], %[[W]], %arg1 {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x2x8x8xf32>, tensor<1x2x3x3xf32>, tensor<1xf32>) -> tensor<1x1x8x8xf32>
// CHECK-NOT:     graph.conv_transpose2d
// KEPT-LABEL: func.func @up
// KEPT:         graph.conv_transpose2d
func.func @up(%x: tensor<1x2x4x4xf32>, %b: tensor<1xf32>) -> tensor<1x1x8x8xf32> {
  %w = graph.constant dense<[[[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]]], [[[10.0, 11.0, 12.0], [13.0, 14.0, 15.0], [16.0, 17.0, 18.0]]]]> : tensor<2x1x3x3xf32>
  %y = graph.conv_transpose2d %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, output_padding = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x1x3x3xf32>, tensor<1xf32>) -> tensor<1x1x8x8xf32>
  return %y : tensor<1x1x8x8xf32>
}

// Padding larger than the kernel's reach crops the zero-inserted map
// instead (stride 1: no zeros inserted); two groups turn within each.
// CHECK-LABEL: func.func @crop
// CHECK-NOT:     graph.pad
// CHECK:         %[[S:.*]] = graph.slice %arg0 {limits = array<i64: 1, 4, 5, 5>, starts = array<i64: 0, 0, 1, 1>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x4x6x6xf32>) -> tensor<1x4x4x4xf32>
// CHECK:         graph.conv2d %[[S]], %{{.*}} {group = 2 : i64} : (tensor<1x4x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
func.func @crop(%x: tensor<1x4x6x6xf32>) -> tensor<1x2x4x4xf32> {
  %w = graph.constant dense<1.0> : tensor<4x1x1x1xf32>
  %y = graph.conv_transpose2d %x, %w {pads = array<i64: 1, 1, 1, 1>, group = 2 : i64} : (tensor<1x4x6x6xf32>, tensor<4x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}
