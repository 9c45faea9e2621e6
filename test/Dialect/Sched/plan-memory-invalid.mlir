// RUN: sinan-opt %s -split-input-file --sinan-plan-memory -verify-diagnostics

// An operand two views place at different bytes is refused by name.
func.func @concat_conflict(%x: tensor<16xf32>) -> tensor<16xf32> {
  %a = graph.relu %x : tensor<16xf32>
  %b = graph.relu %x : tensor<16xf32>
  // expected-error @+1 {{an operand cannot lie in this concatenation's bytes}}
  %c = sched.concat %a, %b {axis = 0 : i64} : (tensor<16xf32>, tensor<16xf32>) -> tensor<32xf32>
  %d = sched.concat %b, %a {axis = 0 : i64} : (tensor<16xf32>, tensor<16xf32>) -> tensor<32xf32>
  %e = graph.add %c, %d : (tensor<32xf32>, tensor<32xf32>) -> tensor<32xf32>
  %f = graph.reduce_sum %e {axes = array<i64: 0>, keepdims = false} : (tensor<32xf32>) -> tensor<f32>
  %g = graph.add %x, %f : (tensor<16xf32>, tensor<f32>) -> tensor<16xf32>
  return %g : tensor<16xf32>
}

// -----

// Two values their own steps write may not share bytes: %x would lie where
// %a does.
func.func @concat_overlap(%in: tensor<16xf32>) -> tensor<16xf32> {
  %a = graph.relu %in : tensor<16xf32>
  %b = graph.relu %in : tensor<16xf32>
  %x = graph.relu %in : tensor<16xf32>
  // expected-error @+1 {{an operand cannot lie in this concatenation's bytes}}
  %c = sched.concat %x, %b {axis = 0 : i64} : (tensor<16xf32>, tensor<16xf32>) -> tensor<32xf32>
  %d = sched.concat %a, %b {axis = 0 : i64} : (tensor<16xf32>, tensor<16xf32>) -> tensor<32xf32>
  %e = graph.add %c, %d : (tensor<32xf32>, tensor<32xf32>) -> tensor<32xf32>
  %f = graph.reduce_sum %e {axes = array<i64: 0>, keepdims = false} : (tensor<32xf32>) -> tensor<f32>
  %g = graph.add %in, %f : (tensor<16xf32>, tensor<f32>) -> tensor<16xf32>
  return %g : tensor<16xf32>
}
