// RUN: sinan-opt %s -graph-fold-conv-affine -split-input-file | FileCheck %s

// An imported BatchNormalization (x * a + b, per channel) folds into the
// convolution's weights and bias.
// CHECK-LABEL: func.func @conv_batchnorm
// CHECK-DAG: %[[W:.*]] = graph.constant dense<{{\[\[\[\[}}2.000000e+00]]], {{\[\[\[}}-3.000000e+00]]]]> : tensor<2x1x1x1xf32>
// CHECK-DAG: %[[B:.*]] = graph.constant dense<[2.500000e+00, -1.000000e+00]> : tensor<2xf32>
// CHECK: %[[Y:.*]] = graph.conv2d %arg0, %[[W]], %[[B]]
// CHECK-NOT: graph.mul
// CHECK-NOT: graph.add
// CHECK: return %[[Y]]
func.func @conv_batchnorm(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = graph.constant dense<[[[[1.0]]], [[[1.5]]]]> : tensor<2x1x1x1xf32>
  %b = graph.constant dense<[1.0, 0.0]> : tensor<2xf32>
  %a = graph.constant dense<[[[2.0]], [[-2.0]]]> : tensor<2x1x1xf32>
  %t = graph.constant dense<[[[0.5]], [[-1.0]]]> : tensor<2x1x1xf32>
  %0 = graph.conv2d %x, %w, %b : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %1 = graph.mul %0, %a : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %2 = graph.add %1, %t : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  return %2 : tensor<1x2x4x4xf32>
}

// -----

// Without a bias, the shift becomes the bias; a scalar scale applies to
// every channel.
// CHECK-LABEL: func.func @no_bias_scalar_scale
// CHECK-DAG: %[[W:.*]] = graph.constant dense<3.000000e+00> : tensor<2x1x1x1xf32>
// CHECK-DAG: %[[B:.*]] = graph.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK: graph.conv2d %arg0, %[[W]], %[[B]]
func.func @no_bias_scalar_scale(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = graph.constant dense<1.0> : tensor<2x1x1x1xf32>
  %s = graph.constant dense<3.0> : tensor<f32>
  %t = graph.constant dense<[[[[1.0]], [[2.0]]]]> : tensor<1x2x1x1xf32>
  %0 = graph.conv2d %x, %w : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = graph.mul %0, %s : (tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %2 = graph.add %t, %1 : (tensor<1x2x1x1xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %2 : tensor<1x2x4x4xf32>
}

// -----

// Left alone: a scale that varies along the width, a conv with a second
// user, and weights that are not constants.
// CHECK-LABEL: func.func @not_folded
// CHECK-COUNT-3: graph.mul
func.func @not_folded(%x: tensor<1x1x4x4xf32>, %wv: tensor<2x1x1x1xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %w = graph.constant dense<1.0> : tensor<2x1x1x1xf32>
  %s = graph.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %c = graph.constant dense<[[[2.0]], [[3.0]]]> : tensor<2x1x1xf32>
  %0 = graph.conv2d %x, %w : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = graph.mul %0, %s : (tensor<1x2x4x4xf32>, tensor<4xf32>) -> tensor<1x2x4x4xf32>
  %2 = graph.conv2d %x, %w : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %3 = graph.mul %2, %c : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %4 = graph.relu %2 : tensor<1x2x4x4xf32>
  %5 = graph.conv2d %x, %wv : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %6 = graph.mul %5, %c : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  return %1, %3, %4, %6 : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}
