// RUN: sinan-opt %s --graph-decompose=ops=resize | FileCheck %s
// RUN: sinan-opt %s --graph-decompose | FileCheck %s --check-prefix=ALL

// A nearest 2x upsampling: the width as the product of the rows with the
// [3 x 6] matrix of the reference's taps (column o takes input o / 2),
// which counts none of the network's MACs, then each row twice (a
// concatenation of the rows with themselves).
// CHECK-LABEL: func.func @nearest
// CHECK:         %[[ROWS:.*]] = graph.reshape %arg0 : (tensor<1x2x2x3xf32>) -> tensor<4x3xf32>
// CHECK:         %[[TAPS:.*]] = graph.constant dense<{{\[}}[1.000000e+00, 1.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 1.000000e+00, 1.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 1.000000e+00, 1.000000e+00]]> : tensor<3x6xf32>
// CHECK:         %[[WIDE:.*]] = graph.matmul %[[ROWS]], %[[TAPS]] {sinan.network_macs = 0 : i64} : (tensor<4x3xf32>, tensor<3x6xf32>) -> tensor<4x6xf32>
// CHECK:         %[[R:.*]] = graph.reshape %[[WIDE]] : (tensor<4x6xf32>) -> tensor<2x2x1x6xf32>
// CHECK:         %[[TWICE:.*]] = graph.concat %[[R]], %[[R]] {axis = 2 : i64} : (tensor<2x2x1x6xf32>, tensor<2x2x1x6xf32>) -> tensor<2x2x2x6xf32>
// CHECK:         %[[Y:.*]] = graph.reshape %[[TWICE]] : (tensor<2x2x2x6xf32>) -> tensor<1x2x4x6xf32>
// CHECK:         return %[[Y]]
// ALL-LABEL: func.func @nearest
// ALL:         graph.resize
func.func @nearest(%x: tensor<1x2x2x3xf32>) -> tensor<1x2x4x6xf32> {
  %0 = graph.resize %x {mode = "nearest", coordinate_mode = "asymmetric", nearest_mode = "floor", scales = [1.0, 1.0, 2.0, 2.0]} : (tensor<1x2x2x3xf32>) -> tensor<1x2x4x6xf32>
  return %0 : tensor<1x2x4x6xf32>
}

// A linear resize of the width alone (half_pixel, 2 -> 4): the product
// with the taps' weights (3/4 and 1/4 of the neighbours, clamped to the
// edge), and no row copies.
// CHECK-LABEL: func.func @width
// CHECK:         graph.constant dense<{{\[}}[1.000000e+00, 7.500000e-01, 2.500000e-01, 0.000000e+00], [0.000000e+00, 2.500000e-01, 7.500000e-01, 1.000000e+00]]> : tensor<2x4xf32>
// CHECK:         graph.matmul
// CHECK-NOT:     graph.concat
// CHECK:         graph.reshape %{{.*}} : (tensor<3x4xf32>) -> tensor<1x1x3x4xf32>
func.func @width(%x: tensor<1x1x3x2xf32>) -> tensor<1x1x3x4xf32> {
  %0 = graph.resize %x {mode = "linear", coordinate_mode = "half_pixel", nearest_mode = "floor", scales = [1.0, 1.0, 1.0, 2.0]} : (tensor<1x1x3x2xf32>) -> tensor<1x1x3x4xf32>
  return %0 : tensor<1x1x3x4xf32>
}

// A linear resize of the height: per image the [6 x 3] matrix of its taps
// times the image's rows (a batch of products, the rows staying rows: no
// transposes), counting none of the network's MACs.
// CHECK-LABEL: func.func @height
// CHECK:         %[[TAPS:.*]] = graph.constant dense<{{\[\[\[}}1.000000e+00, 0.000000e+00, 0.000000e+00], [7.500000e-01, 2.500000e-01, 0.000000e+00], [2.500000e-01, 7.500000e-01, 0.000000e+00], [0.000000e+00, 7.500000e-01, 2.500000e-01], [0.000000e+00, 2.500000e-01, 7.500000e-01], [0.000000e+00, 0.000000e+00, 1.000000e+00]]]> : tensor<1x6x3xf32>
// CHECK:         %[[ROWS:.*]] = graph.reshape %arg0 : (tensor<1x1x3x2xf32>) -> tensor<1x3x2xf32>
// CHECK:         %[[TALL:.*]] = graph.matmul %[[TAPS]], %[[ROWS]] {sinan.network_macs = 0 : i64} : (tensor<1x6x3xf32>, tensor<1x3x2xf32>) -> tensor<1x6x2xf32>
// CHECK:         graph.reshape %[[TALL]] : (tensor<1x6x2xf32>) -> tensor<1x1x6x2xf32>
// CHECK-NOT:     graph.resize
func.func @height(%x: tensor<1x1x3x2xf32>) -> tensor<1x1x6x2xf32> {
  %0 = graph.resize %x {mode = "linear", coordinate_mode = "half_pixel", nearest_mode = "floor", scales = [1.0, 1.0, 2.0, 1.0]} : (tensor<1x1x3x2xf32>) -> tensor<1x1x6x2xf32>
  return %0 : tensor<1x1x6x2xf32>
}

// A height whose matrix over the images would take more than 4 MiB (64
// images of [512 x 40]) stays whole.
// CHECK-LABEL: func.func @tall
// CHECK:         graph.resize
func.func @tall(%x: tensor<1x64x40x4xf32>) -> tensor<1x64x512x4xf32> {
  %0 = graph.resize %x {mode = "linear", coordinate_mode = "half_pixel", nearest_mode = "floor", scales = [1.0, 1.0, 12.8, 1.0]} : (tensor<1x64x40x4xf32>) -> tensor<1x64x512x4xf32>
  return %0 : tensor<1x64x512x4xf32>
}
