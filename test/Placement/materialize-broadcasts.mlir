// RUN: sinan-opt --sinan-materialize-broadcasts=target=snpu-server %s | FileCheck %s
// RUN: sinan-opt --sinan-materialize-broadcasts="target=snpu-server max-bytes=32" %s | FileCheck %s --check-prefix=SMALL

// A mask per window added over the heads (Swin's [1, W, 1, T, T]): the
// vector unit broadcasts no middle axis, so the constant is repeated to the
// result's shape, each window's block once per head, and the add keeps its
// operand order.
// CHECK-LABEL: func.func @mask
// CHECK:         %[[FULL:.*]] = graph.constant dense<{{\[}}{{\[}}{{\[}}[1.000000e+00, 2.000000e+00], [1.000000e+00, 2.000000e+00], [1.000000e+00, 2.000000e+00]], {{\[}}[3.000000e+00, 4.000000e+00], [3.000000e+00, 4.000000e+00], [3.000000e+00, 4.000000e+00]]]]> : tensor<1x2x3x2xf32>
// CHECK:         %[[Y:.*]] = graph.add %arg0, %[[FULL]] : (tensor<1x2x3x2xf32>, tensor<1x2x3x2xf32>) -> tensor<1x2x3x2xf32>
// CHECK:         return %[[Y]]
// SMALL-LABEL: func.func @mask
// SMALL:         graph.add %arg0, %{{.*}} : (tensor<1x2x3x2xf32>, tensor<1x2x1x2xf32>)
func.func @mask(%x: tensor<1x2x3x2xf32>) -> tensor<1x2x3x2xf32> {
  %m = graph.constant dense<[[[[1.0, 2.0]], [[3.0, 4.0]]]]> : tensor<1x2x1x2xf32>
  %y = graph.add %x, %m : (tensor<1x2x3x2xf32>, tensor<1x2x1x2xf32>) -> tensor<1x2x3x2xf32>
  return %y : tensor<1x2x3x2xf32>
}

// The constant on the left of a subtraction.
// CHECK-LABEL: func.func @left
// CHECK:         %[[FULL:.*]] = graph.constant dense<{{.*}}> : tensor<2x3x2xf32>
// CHECK:         graph.sub %[[FULL]], %arg0 : (tensor<2x3x2xf32>, tensor<2x3x2xf32>)
func.func @left(%x: tensor<2x3x2xf32>) -> tensor<2x3x2xf32> {
  %m = graph.constant dense<[[[1.0, 2.0]], [[3.0, 4.0]]]> : tensor<2x1x2xf32>
  %y = graph.sub %m, %x : (tensor<2x1x2xf32>, tensor<2x3x2xf32>) -> tensor<2x3x2xf32>
  return %y : tensor<2x3x2xf32>
}

// A row the vector unit repeats itself, and an operand that is no constant,
// stay as they are.
// CHECK-LABEL: func.func @kept
// CHECK:         graph.add %arg0, %{{.*}} : (tensor<4x8xf32>, tensor<8xf32>)
// CHECK:         graph.mul %{{.*}}, %arg1 : (tensor<1x2x3x2xf32>, tensor<1x2x1x2xf32>)
func.func @kept(%x: tensor<4x8xf32>, %m: tensor<1x2x1x2xf32>, %z: tensor<1x2x3x2xf32>) -> (tensor<4x8xf32>, tensor<1x2x3x2xf32>) {
  %r = graph.constant dense<[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]> : tensor<8xf32>
  %y = graph.add %x, %r : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %w = graph.mul %z, %m : (tensor<1x2x3x2xf32>, tensor<1x2x1x2xf32>) -> tensor<1x2x3x2xf32>
  return %y, %w : tensor<4x8xf32>, tensor<1x2x3x2xf32>
}
