// A malformed input gets MLIR's located diagnostic and a non-zero exit.
// RUN: not sinan-opt %s 2>&1 | FileCheck %s
// RUN: not sinan-opt %S/does-not-exist.mlir 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not sinan-opt %s --no-such-flag 2>&1 | FileCheck %s --check-prefix=FLAG

// CHECK: bad-input.mlir:[[@LINE+3]]:{{[0-9]+}}: error: 'graph.matmul' op contraction dimensions differ
// CHECK-NOT: error
func.func @f(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<2x5xf32> {
  %0 = graph.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// MISSING: does-not-exist.mlir
// FLAG: Unknown command line argument '--no-such-flag'
