// RUN: sinan-opt %s --sinan-fold-constants | FileCheck %s
// RUN: sinan-opt %s --sinan-fold-constants=max-elements=2 | FileCheck %s --check-prefix=SMALL

// A chain of ops on constants becomes one constant, with the reference
// kernels' values; ops that read an argument stay.
// CHECK-LABEL: func.func @chain
// CHECK-NEXT:    %[[C:.*]] = graph.constant dense<[3.000000e+00, 5.000000e+00, 7.000000e+00]> : tensor<3xf32>
// CHECK-NOT:     graph.mul
// CHECK:         %[[R:.*]] = graph.add %arg0, %[[C]]
// CHECK:         return %[[R]]
// SMALL-LABEL: func.func @chain
// SMALL:         graph.mul
func.func @chain(%x: tensor<3xf32>) -> tensor<3xf32> {
  %a = graph.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %b = graph.constant dense<2.0> : tensor<f32>
  %c = graph.constant dense<1.0> : tensor<f32>
  %0 = graph.mul %a, %b : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  %1 = graph.add %0, %c : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  %2 = graph.add %x, %1 : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %2 : tensor<3xf32>
}

// Shape arithmetic as an exporter writes it: the gathered dimension folds.
// CHECK-LABEL: func.func @shape_arith
// CHECK-NEXT:    %[[D:.*]] = graph.constant dense<6> : tensor<1xi64>
// CHECK-NEXT:    return %[[D]]
func.func @shape_arith() -> tensor<1xi64> {
  %shape = graph.constant dense<[2, 6, 4]> : tensor<3xi64>
  %i = graph.constant dense<[1]> : tensor<1xi64>
  %0 = graph.gather %shape, %i {axis = 0} : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  return %0 : tensor<1xi64>
}

// A kernel that refuses its operands leaves the op for the run to report
// (index 7 is outside the data).
// CHECK-LABEL: func.func @refused
// CHECK:         graph.gather
func.func @refused() -> tensor<1xi64> {
  %shape = graph.constant dense<[2, 6, 4]> : tensor<3xi64>
  %i = graph.constant dense<[7]> : tensor<1xi64>
  %0 = graph.gather %shape, %i {axis = 0} : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  return %0 : tensor<1xi64>
}

// Composite ops fold through their own kernels.
// CHECK-LABEL: func.func @composite
// CHECK:         graph.constant dense<[-1.000000e+00, 1.000000e+00]> : tensor<2xf32>
// CHECK-NOT:     graph.layer_norm
func.func @composite() -> tensor<2xf32> {
  %x = graph.constant dense<[1.0, 3.0]> : tensor<2xf32>
  %s = graph.constant dense<1.0> : tensor<2xf32>
  %0 = graph.layer_norm %x, %s {epsilon = 0.0 : f32} : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
