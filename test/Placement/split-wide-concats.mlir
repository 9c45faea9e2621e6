// RUN: sinan-opt --sinan-split-wide-concats=max-inputs=3 %s | FileCheck %s
// RUN: not sinan-opt --sinan-split-wide-concats=max-inputs=1 %s 2>&1 | FileCheck %s --check-prefix=BAD

// CHECK-LABEL: func.func @four
// CHECK: %[[AB:.*]] = graph.concat %arg0, %arg1 {axis = 1 : i64} : (tensor<1x2x4xf32>, tensor<1x3x4xf32>) -> tensor<1x5x4xf32>
// CHECK: %[[Y:.*]] = graph.concat %[[AB]], %arg2, %arg3 {axis = 1 : i64} : (tensor<1x5x4xf32>, tensor<1x1x4xf32>, tensor<1x1x4xf32>) -> tensor<1x7x4xf32>
// CHECK: return %[[Y]]
func.func @four(%a: tensor<1x2x4xf32>, %b: tensor<1x3x4xf32>, %c: tensor<1x1x4xf32>, %d: tensor<1x1x4xf32>) -> tensor<1x7x4xf32> {
  %y = graph.concat %a, %b, %c, %d {axis = 1 : i64} : (tensor<1x2x4xf32>, tensor<1x3x4xf32>, tensor<1x1x4xf32>, tensor<1x1x4xf32>) -> tensor<1x7x4xf32>
  return %y : tensor<1x7x4xf32>
}

// Six inputs: the first four are still too many, and split again.
// CHECK-LABEL: func.func @six
// CHECK: %[[AB:.*]] = graph.concat %arg0, %arg1 {axis = 0 : i64} : (tensor<1xf32>, tensor<1xf32>) -> tensor<2xf32>
// CHECK: %[[ABCD:.*]] = graph.concat %[[AB]], %arg2, %arg3 {axis = 0 : i64} : (tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4xf32>
// CHECK: %[[Y:.*]] = graph.concat %[[ABCD]], %arg4, %arg5 {axis = 0 : i64} : (tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<6xf32>
// CHECK: return %[[Y]]
func.func @six(%a: tensor<1xf32>, %b: tensor<1xf32>, %c: tensor<1xf32>, %d: tensor<1xf32>, %e: tensor<1xf32>, %f: tensor<1xf32>) -> tensor<6xf32> {
  %y = graph.concat %a, %b, %c, %d, %e, %f {axis = 0 : i64} : (tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<6xf32>
  return %y : tensor<6xf32>
}

// At most max-inputs: unchanged.
// CHECK-LABEL: func.func @three
// CHECK-NEXT: graph.concat %arg0, %arg1, %arg2 {axis = 0 : i64}
// CHECK-NEXT: return
func.func @three(%a: tensor<1xf32>, %b: tensor<1xf32>, %c: tensor<1xf32>) -> tensor<3xf32> {
  %y = graph.concat %a, %b, %c {axis = 0 : i64} : (tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// BAD: error: sinan-split-wide-concats: max-inputs must be at least 2, got 1
