// RUN: sinan-opt %s --graph-decompose=ops=avg_pool2d | FileCheck %s
// RUN: sinan-opt %s --graph-decompose | FileCheck %s --check-prefix=ALL

// An average pooling is the depthwise convolution summing its windows and
// the reference's division by each window's count; with a power of two
// counted everywhere the weights are 1 / count (exact scaling). Only when
// named, since the host pools directly.
// CHECK-LABEL: func.func @pool2x2
// CHECK:         %[[W:.*]] = graph.constant dense<2.500000e-01> : tensor<8x1x2x2xf32>
// CHECK:         %[[Y:.*]] = graph.conv2d %arg0, %[[W]] {group = 8 : i64, strides = array<i64: 2, 2>} : (tensor<1x8x6x6xf32>, tensor<8x1x2x2xf32>) -> tensor<1x8x3x3xf32>
// CHECK-NEXT:    return %[[Y]]
// ALL-LABEL: func.func @pool2x2
// ALL:         graph.avg_pool2d
func.func @pool2x2(%x: tensor<1x8x6x6xf32>) -> tensor<1x8x3x3xf32> {
  %0 = graph.avg_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x8x6x6xf32>) -> tensor<1x8x3x3xf32>
  return %0 : tensor<1x8x3x3xf32>
}

// A 4x2 window (8 positions) at stride 1 with a dilation.
// CHECK-LABEL: func.func @pool4x2
// CHECK:         graph.constant dense<1.250000e-01> : tensor<3x1x4x2xf32>
// CHECK:         graph.conv2d %arg0, %{{.*}} {dilations = array<i64: 1, 2>, group = 3 : i64}
func.func @pool4x2(%x: tensor<2x3x8x8xf32>) -> tensor<2x3x5x6xf32> {
  %0 = graph.avg_pool2d %x {kernel = array<i64: 4, 2>, dilations = array<i64: 1, 2>} : (tensor<2x3x8x8xf32>) -> tensor<2x3x5x6xf32>
  return %0 : tensor<2x3x5x6xf32>
}

// Nine positions: the sums, then the reference's division by 9.
// CHECK-LABEL: func.func @nine
// CHECK:         %[[W:.*]] = graph.constant dense<1.000000e+00> : tensor<4x1x3x3xf32>
// CHECK:         %[[S:.*]] = graph.conv2d %arg0, %[[W]] {group = 4 : i64}
// CHECK:         %[[N:.*]] = graph.constant dense<9.000000e+00> : tensor<f32>
// CHECK:         graph.div %[[S]], %[[N]]
func.func @nine(%x: tensor<1x4x7x7xf32>) -> tensor<1x4x5x5xf32> {
  %0 = graph.avg_pool2d %x {kernel = array<i64: 3, 3>} : (tensor<1x4x7x7xf32>) -> tensor<1x4x5x5xf32>
  return %0 : tensor<1x4x5x5xf32>
}

// Padding without count_include_pad: each window's own count (4 in the
// corners, 6 on the edges, 9 inside), a map over the output's rows and
// columns; with count_include_pad every window counts 4: folded.
// CHECK-LABEL: func.func @padded
// CHECK:         %[[S:.*]] = graph.conv2d %arg0, %{{.*}} {group = 4 : i64, pads = array<i64: 1, 1, 1, 1>}
// CHECK:         %[[N:.*]] = graph.constant dense<{{\[\[\[\[}}4.000000e+00, 6.000000e+00, 6.000000e+00, 4.000000e+00], [6.000000e+00, 9.000000e+00, 9.000000e+00, 6.000000e+00]{{.*}} : tensor<1x1x4x4xf32>
// CHECK:         graph.div %[[S]], %[[N]]
// CHECK:         graph.constant dense<2.500000e-01> : tensor<4x1x2x2xf32>
// CHECK:         graph.conv2d %arg1, %{{.*}} {group = 4 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
// CHECK-NOT:     graph.div
// CHECK:         return
func.func @padded(%x: tensor<1x4x4x4xf32>, %y: tensor<1x4x7x7xf32>) -> (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) {
  %0 = graph.avg_pool2d %x {kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %1 = graph.avg_pool2d %y {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, count_include_pad = true} : (tensor<1x4x7x7xf32>) -> tensor<1x4x4x4xf32>
  return %0, %1 : tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>
}

// Ceil mode: the pooling stays.
// CHECK-LABEL: func.func @ceil
// CHECK:         graph.avg_pool2d
// CHECK-NOT:     graph.conv2d
func.func @ceil(%x: tensor<1x4x7x7xf32>) -> tensor<1x4x4x4xf32> {
  %0 = graph.avg_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, ceil_mode = true} : (tensor<1x4x7x7xf32>) -> tensor<1x4x4x4xf32>
  return %0 : tensor<1x4x4x4xf32>
}
