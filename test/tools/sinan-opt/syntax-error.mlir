// RUN: not sinan-opt %s 2>&1 | FileCheck %s
// CHECK: syntax-error.mlir:[[@LINE+2]]:{{[0-9]+}}: error: expected ','
func.func @f(%a: tensor<2xf32>) -> tensor<2xf32> {
  %0 = graph.add %a %a : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
