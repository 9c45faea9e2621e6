// RUN: sinan-opt %s -graph-patchify-conv -split-input-file --mlir-print-elementsattrs-with-hex-if-larger=-1 | FileCheck %s

// torchvision's ViT patch embedding: a 16x16 convolution at stride 16,
// flattened and transposed to tokens. The image's patches are rows of
// 3 x 16 x 16 (one transposing move), the weights a [768, 8] constant, and
// the product's rows are the tokens: one reshape, no transpose back.
// CHECK-LABEL: func.func @vit_tokens
// CHECK:         %[[W:.*]] = graph.constant dense<{{.*}}> : tensor<768x8xf32>
// CHECK:         %[[P:.*]] = graph.reshape %arg0 : (tensor<1x3x32x32xf32>) -> tensor<1x3x2x16x2x16xf32>
// CHECK:         %[[T:.*]] = graph.transpose %[[P]] {permutation = array<i64: 0, 2, 4, 1, 3, 5>}
// CHECK:         %[[R:.*]] = graph.reshape %[[T]] : (tensor<1x2x2x3x16x16xf32>) -> tensor<4x768xf32>
// CHECK:         %[[M:.*]] = graph.matmul %[[R]], %[[W]] : (tensor<4x768xf32>, tensor<768x8xf32>) -> tensor<4x8xf32>
// CHECK:         %[[B:.*]] = graph.add %[[M]], %{{.*}} : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
// CHECK:         %[[Y:.*]] = graph.reshape %[[B]] : (tensor<4x8xf32>) -> tensor<1x4x8xf32>
// CHECK-NOT:     graph.conv2d
// CHECK-NOT:     graph.transpose
// CHECK:         return %[[Y]]
func.func @vit_tokens(%x: tensor<1x3x32x32xf32>) -> tensor<1x4x8xf32> {
  %w = graph.constant dense<0.5> : tensor<8x3x16x16xf32>
  %b = graph.constant dense<[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]> : tensor<8xf32>
  %c = graph.conv2d %x, %w, %b {strides = array<i64: 16, 16>} : (tensor<1x3x32x32xf32>, tensor<8x3x16x16xf32>, tensor<8xf32>) -> tensor<1x8x2x2xf32>
  %f = graph.reshape %c : (tensor<1x8x2x2xf32>) -> tensor<1x8x4xf32>
  %t = graph.transpose %f {permutation = array<i64: 0, 2, 1>} : (tensor<1x8x4xf32>) -> tensor<1x4x8xf32>
  return %t : tensor<1x4x8xf32>
}

// -----

// Another user: the product's rows go back to NCHW. The weights' rows
// become columns: W[f, c, i, j] at row (c, i, j), column f.
// CHECK-LABEL: func.func @grid
// CHECK:         graph.constant dense<{{\[\[}}0.000000e+00, 1.000000e+00], [2.000000e+00, 3.000000e+00]
// CHECK:         %[[M:.*]] = graph.matmul %{{.*}}, %{{.*}} : (tensor<8x64xf32>, tensor<64x2xf32>) -> tensor<8x2xf32>
// CHECK:         %[[G:.*]] = graph.reshape %[[M]] : (tensor<8x2xf32>) -> tensor<2x2x2x2xf32>
// CHECK:         %[[Y:.*]] = graph.transpose %[[G]] {permutation = array<i64: 0, 3, 1, 2>}
// CHECK:         graph.relu %[[Y]]
func.func @grid(%x: tensor<2x1x16x16xf32>) -> tensor<2x2x2x2xf32> {
  %w = graph.constant dense<[[[[0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0], [16.0, 18.0, 20.0, 22.0, 24.0, 26.0, 28.0, 30.0], [32.0, 34.0, 36.0, 38.0, 40.0, 42.0, 44.0, 46.0], [48.0, 50.0, 52.0, 54.0, 56.0, 58.0, 60.0, 62.0], [64.0, 66.0, 68.0, 70.0, 72.0, 74.0, 76.0, 78.0], [80.0, 82.0, 84.0, 86.0, 88.0, 90.0, 92.0, 94.0], [96.0, 98.0, 100.0, 102.0, 104.0, 106.0, 108.0, 110.0], [112.0, 114.0, 116.0, 118.0, 120.0, 122.0, 124.0, 126.0]]], [[[1.0, 3.0, 5.0, 7.0, 9.0, 11.0, 13.0, 15.0], [17.0, 19.0, 21.0, 23.0, 25.0, 27.0, 29.0, 31.0], [33.0, 35.0, 37.0, 39.0, 41.0, 43.0, 45.0, 47.0], [49.0, 51.0, 53.0, 55.0, 57.0, 59.0, 61.0, 63.0], [65.0, 67.0, 69.0, 71.0, 73.0, 75.0, 77.0, 79.0], [81.0, 83.0, 85.0, 87.0, 89.0, 91.0, 93.0, 95.0], [97.0, 99.0, 101.0, 103.0, 105.0, 107.0, 109.0, 111.0], [113.0, 115.0, 117.0, 119.0, 121.0, 123.0, 125.0, 127.0]]]]> : tensor<2x1x8x8xf32>
  %c = graph.conv2d %x, %w {strides = array<i64: 8, 8>} : (tensor<2x1x16x16xf32>, tensor<2x1x8x8xf32>) -> tensor<2x2x2x2xf32>
  %r = graph.relu %c : tensor<2x2x2x2xf32>
  return %r : tensor<2x2x2x2xf32>
}

// -----

// Left alone: patches of 16 elements (4x4, Swin's and ConvNeXt's stems),
// padding, a stride unlike the kernel, weights that are no constant, an
// image that is not a whole number of patches.
// CHECK-LABEL: func.func @not_patches
// CHECK-COUNT-5: graph.conv2d
// CHECK-NOT:     graph.matmul
func.func @not_patches(%x: tensor<1x3x32x32xf32>, %v: tensor<4x3x8x8xf32>, %y: tensor<1x3x36x36xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x4x5x5xf32>, tensor<1x4x7x7xf32>, tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) {
  %w4 = graph.constant dense<0.5> : tensor<4x3x4x4xf32>
  %w8 = graph.constant dense<0.5> : tensor<4x3x8x8xf32>
  %0 = graph.conv2d %x, %w4 {strides = array<i64: 4, 4>} : (tensor<1x3x32x32xf32>, tensor<4x3x4x4xf32>) -> tensor<1x4x8x8xf32>
  %1 = graph.conv2d %x, %w8 {strides = array<i64: 8, 8>, pads = array<i64: 4, 4, 4, 4>} : (tensor<1x3x32x32xf32>, tensor<4x3x8x8xf32>) -> tensor<1x4x5x5xf32>
  %2 = graph.conv2d %x, %w8 {strides = array<i64: 4, 4>} : (tensor<1x3x32x32xf32>, tensor<4x3x8x8xf32>) -> tensor<1x4x7x7xf32>
  %3 = graph.conv2d %x, %v {strides = array<i64: 8, 8>} : (tensor<1x3x32x32xf32>, tensor<4x3x8x8xf32>) -> tensor<1x4x4x4xf32>
  %4 = graph.conv2d %y, %w8 {strides = array<i64: 8, 8>} : (tensor<1x3x36x36xf32>, tensor<4x3x8x8xf32>) -> tensor<1x4x4x4xf32>
  return %0, %1, %2, %3, %4 : tensor<1x4x8x8xf32>, tensor<1x4x5x5xf32>, tensor<1x4x7x7xf32>, tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>
}
