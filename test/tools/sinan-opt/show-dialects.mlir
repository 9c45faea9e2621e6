// RUN: sinan-opt --show-dialects | FileCheck %s
// CHECK: Available Dialects:
// CHECK-SAME: arith
// CHECK-SAME: bufferization
// CHECK-SAME: func
// CHECK-SAME: graph
// CHECK-SAME: linalg
// CHECK-SAME: llvm
// CHECK-SAME: tensor
