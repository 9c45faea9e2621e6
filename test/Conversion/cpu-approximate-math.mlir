// RUN: sinan-opt %s --sinan-cpu-approximate-math | FileCheck %s

// exp, log, tanh and erf of f32, scalars and vectors, become arithmetic that
// LLVM can vectorize; other functions and other types keep their math op
// (and so their libm call).

// CHECK-LABEL: func.func @approximated
// CHECK-NOT: math.exp
// CHECK-NOT: math.log
// CHECK-NOT: math.tanh
// CHECK-NOT: math.erf
// CHECK: arith.
// CHECK: return
func.func @approximated(%x: f32, %v: vector<16xf32>) -> (f32, f32, f32, vector<16xf32>) {
  %e = math.exp %x : f32
  %l = math.log %x : f32
  %t = math.tanh %x : f32
  %r = math.erf %v : vector<16xf32>
  return %e, %l, %t, %r : f32, f32, f32, vector<16xf32>
}

// CHECK-LABEL: func.func @kept
// CHECK: math.sin
// CHECK: math.exp %{{.*}} : f64
// CHECK: math.sqrt
func.func @kept(%x: f32, %d: f64) -> (f32, f64, f32) {
  %s = math.sin %x : f32
  %e = math.exp %d : f64
  %q = math.sqrt %x : f32
  return %s, %e, %q : f32, f64, f32
}
