// RUN: sinan-opt %s -split-input-file -verify-diagnostics

func.func @add_not_broadcastable(%a: tensor<2x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'graph.add' op shapes [2, 3] and [4] are not broadcast-compatible (3 vs 4 in trailing dimension 0)}}
  %0 = graph.add %a, %b : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @add_wrong_result_shape(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{'graph.add' op result type 'tensor<3x3xf32>' does not match the inferred shape [2, 3]}}
  %0 = graph.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<3x3xf32>
  return
}

// -----

func.func @mul_mixed_element_types(%a: tensor<4xf32>, %b: tensor<4xf16>) {
  // expected-error @+1 {{'graph.mul' op requires the same element type for all operands and results}}
  %0 = graph.mul %a, %b : (tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>
  return
}

// -----

func.func @add_bool(%a: tensor<4xi1>) {
  // expected-error @+1 {{'graph.add' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type or 8-bit signless integer or 32-bit signless integer or 64-bit signless integer or 64-bit float or 8-bit unsigned integer or 16-bit signless integer or 16-bit unsigned integer or 32-bit unsigned integer or 64-bit unsigned integer values, but got 'tensor<4xi1>'}}
  %0 = graph.add %a, %a : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  return
}

// -----

func.func @relu_unranked(%a: tensor<*xf32>) {
  // expected-error @+1 {{invalid kind of type specified: expected builtin.tensor, but found 'tensor<*xf32>'}}
  %0 = graph.relu %a : tensor<*xf32>
  return
}

// -----

func.func @relu_unsupported_element(%a: tensor<4xi4>) {
  // expected-error @+1 {{'graph.relu' op operand #0 must be ranked tensor of}}
  %0 = graph.relu %a : tensor<4xi4>
  return
}

// -----

func.func @constant_unsupported_element() {
  // expected-error @+1 {{'graph.constant' op result #0 must be ranked tensor of}}
  %0 = graph.constant dense<1> : tensor<2xi2>
  return
}

// -----

func.func @constant_type_mismatch() {
  // expected-error @+1 {{'graph.constant' op failed to verify that all of {value, output} have same type}}
  %0 = "graph.constant"() {value = dense<1.0> : tensor<2xf32>} : () -> tensor<3xf32>
  return
}

// -----

func.func @matmul_contraction_mismatch(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+1 {{'graph.matmul' op contraction dimensions differ: lhs [2, 3] has 3 columns but rhs [4, 5] has 4 rows}}
  %0 = graph.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @matmul_scalar(%a: tensor<f32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'graph.matmul' op operands must have rank >= 1, got [] and [4]}}
  %0 = graph.matmul %a, %b : (tensor<f32>, tensor<4xf32>) -> tensor<f32>
  return
}

// -----

func.func @matmul_batch_mismatch(%a: tensor<2x2x3xf32>, %b: tensor<3x3x4xf32>) {
  // expected-error @+1 {{'graph.matmul' op batch dimensions [2] and [3] are not broadcast-compatible}}
  %0 = graph.matmul %a, %b : (tensor<2x2x3xf32>, tensor<3x3x4xf32>) -> tensor<2x2x4xf32>
  return
}

// -----

func.func @conv_channel_mismatch(%x: tensor<1x6x8x8xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+1 {{'graph.conv2d' op input has 6 channels but weight [4, 2, 3, 3] with group 2 expects 4}}
  %0 = graph.conv2d %x, %w {group = 2} : (tensor<1x6x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_group_does_not_divide_outputs(%x: tensor<1x4x8x8xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error @+1 {{'graph.conv2d' op output channels 3 are not divisible by group 2}}
  %0 = graph.conv2d %x, %w {group = 2} : (tensor<1x4x8x8xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x6x6xf32>
  return
}

// -----

func.func @conv_bad_strides(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'graph.conv2d' op expects 2 strides, got 3}}
  %0 = graph.conv2d %x, %w {strides = array<i64: 1, 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_zero_stride(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'graph.conv2d' op strides must be >= 1, got [1, 0]}}
  %0 = graph.conv2d %x, %w {strides = array<i64: 1, 0>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_negative_pad(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'graph.conv2d' op pads must be >= 0, got [0, -1, 0, 0]}}
  %0 = graph.conv2d %x, %w {pads = array<i64: 0, -1, 0, 0>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x5xf32>
  return
}

// -----

func.func @conv_bad_group(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'graph.conv2d' op group must be >= 1, got 0}}
  %0 = graph.conv2d %x, %w {group = 0} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_kernel_too_large(%x: tensor<1x3x2x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'graph.conv2d' op dilated kernel height extent 3 exceeds padded input height 2}}
  %0 = graph.conv2d %x, %w : (tensor<1x3x2x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x1x6xf32>
  return
}

// -----

func.func @conv_bias_shape(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<5xf32>) {
  // expected-error @+1 {{'graph.conv2d' op bias must have shape [4], got [5]}}
  %0 = graph.conv2d %x, %w, %b : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<5xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_rank(%x: tensor<3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'graph.conv2d' op expects rank-4 input (NCHW) and weight (OIHW), got [3, 8, 8] and [4, 3, 3, 3]}}
  %0 = graph.conv2d %x, %w : (tensor<3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_integer(%x: tensor<1x3x8x8xi8>, %w: tensor<4x3x3x3xi8>) {
  // expected-error @+1 {{'graph.conv2d' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type or 64-bit float values, but got 'tensor<1x3x8x8xi8>'}}
  %0 = graph.conv2d %x, %w : (tensor<1x3x8x8xi8>, tensor<4x3x3x3xi8>) -> tensor<1x4x6x6xi8>
  return
}

// -----

func.func @matmul_wrong_result(%a: tensor<?x3xf32>, %b: tensor<3x5xf32>) {
  // expected-error @+1 {{'graph.matmul' op result type 'tensor<2x4xf32>' does not match the inferred shape [?, 5]}}
  %0 = graph.matmul %a, %b : (tensor<?x3xf32>, tensor<3x5xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @conv_wrong_result(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'graph.conv2d' op result type 'tensor<1x4x8x8xf32>' does not match the inferred shape [1, 4, 6, 6]}}
  %0 = graph.conv2d %x, %w : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @compare_mixed_types(%a: tensor<4xf32>, %b: tensor<4xi32>) {
  // expected-error @+1 {{'graph.less' op failed to verify that all of {lhs, rhs} have same element type}}
  %0 = graph.less %a, %b : (tensor<4xf32>, tensor<4xi32>) -> tensor<4xi1>
  return
}

// -----

func.func @compare_not_broadcastable(%a: tensor<4xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{'graph.equal' op shapes [4] and [3] are not broadcast-compatible}}
  %0 = graph.equal %a, %b : (tensor<4xf32>, tensor<3xf32>) -> tensor<4xi1>
  return
}

// -----

func.func @logical_on_floats(%a: tensor<4xf32>) {
  // expected-error @+1 {{'graph.and' op operand #0 must be ranked tensor of 1-bit signless integer values}}
  %0 = graph.and %a, %a : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @select_condition_not_bool(%c: tensor<4xf32>, %a: tensor<4xf32>) {
  // expected-error @+1 {{'graph.select' op operand #0 must be ranked tensor of 1-bit signless integer values}}
  %0 = graph.select %c, %a, %a : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @select_shapes(%c: tensor<2xi1>, %a: tensor<3xf32>) {
  // expected-error @+1 {{'graph.select' op shapes [2] and [3] are not broadcast-compatible}}
  %0 = graph.select %c, %a, %a : (tensor<2xi1>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @exp_of_integers(%a: tensor<4xi32>) {
  // expected-error @+1 {{'graph.exp' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type or 64-bit float values}}
  %0 = graph.exp %a : tensor<4xi32>
  return
}

// -----

func.func @transpose_not_permutation(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'graph.transpose' op permutation [0, 0] is not a permutation of 0..1}}
  %0 = graph.transpose %x {permutation = array<i64: 0, 0>} : (tensor<2x3xf32>) -> tensor<2x2xf32>
  return
}

// -----

func.func @concat_mismatch(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) {
  // expected-error @+1 {{'graph.concat' op inputs [2, 3] and [2, 4] differ in dimension 1, which is not the concatenation axis}}
  %0 = graph.concat %a, %b {axis = 0} : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @reshape_count(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'graph.reshape' op cannot reshape [2, 3] (6 elements) into [7] (7 elements)}}
  %0 = graph.reshape %x : (tensor<2x3xf32>) -> tensor<7xf32>
  return
}

// -----

func.func @reduce_bad_axis(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'graph.reduce_sum' op axes [2] are out of range or repeated for input [2, 3]}}
  %0 = graph.reduce_sum %x {axes = array<i64: 2>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @pool_window_too_big(%x: tensor<1x1x2x2xf32>) {
  // expected-error @+1 {{'graph.max_pool2d' op dilated kernel height extent 3 exceeds padded input height 2}}
  %0 = graph.max_pool2d %x {kernel = array<i64: 3, 3>} : (tensor<1x1x2x2xf32>) -> tensor<1x1x1x1xf32>
  return
}

// -----

func.func @softmax_axis(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'graph.softmax' op axis 2 is out of range for rank 2}}
  %0 = graph.softmax %x {axis = 2} : tensor<2x3xf32>
  return
}

// -----

func.func @gather_axis(%x: tensor<2x3xf32>, %i: tensor<4xi64>) {
  // expected-error @+1 {{'graph.gather' op axis 5 is out of range for data [2, 3]}}
  %0 = graph.gather %x, %i {axis = 5} : (tensor<2x3xf32>, tensor<4xi64>) -> tensor<2x3xf32>
  return
}

// -----

func.func @conv_transpose_channels(%x: tensor<1x3x3x3xf32>, %w: tensor<2x4x3x3xf32>) {
  // expected-error @+1 {{'graph.conv_transpose2d' op input has 3 channels but weight [2, 4, 3, 3] expects 2}}
  %0 = graph.conv_transpose2d %x, %w : (tensor<1x3x3x3xf32>, tensor<2x4x3x3xf32>) -> tensor<1x4x5x5xf32>
  return
}

// -----

func.func @cast_bad_round_mode(%a: tensor<4xf32>) {
  // expected-error @+1 {{round_mode must be "up", "down" or "nearest", got "zero"}}
  %0 = graph.cast %a {round_mode = "zero"} : tensor<4xf32> to tensor<4xf8E8M0FNU>
  return
}

// -----

func.func @top_k_too_many(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{k = 4 must be in [0, 3]}}
  %v, %i = graph.top_k %a {k = 4, axis = 1} : (tensor<2x3xf32>) -> (tensor<2x4xf32>, tensor<2x4xi64>)
  return
}

// -----

func.func @top_k_bad_shape(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{result type 'tensor<2x3xf32>' does not match the inferred shape [2, 2]}}
  %v, %i = graph.top_k %a {k = 2, axis = -1} : (tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xi64>)
  return
}

// -----

func.func @gather_nd_too_deep(%a: tensor<2x3xf32>, %i: tensor<4x3xi64>) {
  // expected-error @+1 {{indices [4, 3] do not address data [2, 3] with batch_dims 0}}
  %0 = graph.gather_nd %a, %i : (tensor<2x3xf32>, tensor<4x3xi64>) -> tensor<4xf32>
  return
}

// -----

func.func @scatter_nd_bad_updates(%a: tensor<2x3xf32>, %i: tensor<4x1xi64>, %u: tensor<4x2xf32>) {
  // expected-error @+1 {{updates must have shape [4, 3], got [4, 2]}}
  %0 = graph.scatter_nd %a, %i, %u : (tensor<2x3xf32>, tensor<4x1xi64>, tensor<4x2xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @scatter_elements_bad_reduction(%a: tensor<2x3xf32>, %i: tensor<2x3xi64>, %u: tensor<2x3xf32>) {
  // expected-error @+1 {{reduction must be none, add, mul, max or min, got avg}}
  %0 = graph.scatter_elements %a, %i, %u {axis = 0, reduction = "avg"} : (tensor<2x3xf32>, tensor<2x3xi64>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

// Found by the importer fuzzer: group x weight channels overflowed int64.
func.func @conv2d_group_overflow(%x: tensor<1x2x4x4xf32>, %w: tensor<2x4611686018427387904x1x1xf32>) {
  // expected-error @+1 {{overflows the channel count}}
  %0 = graph.conv2d %x, %w {group = 4} : (tensor<1x2x4x4xf32>, tensor<2x4611686018427387904x1x1xf32>) -> tensor<1x2x4x4xf32>
  return
}

// -----

func.func @layer_norm_axis(%x: tensor<2x4xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{'graph.layer_norm' op axis 2 is out of range for rank 2}}
  %0 = graph.layer_norm %x, %s {axis = 2} : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @layer_norm_scale(%x: tensor<2x4xf32>, %s: tensor<3xf32>) {
  // expected-error @+1 {{'graph.layer_norm' op scale [3] does not broadcast to the input [2, 4]}}
  %0 = graph.layer_norm %x, %s : (tensor<2x4xf32>, tensor<3xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @layer_norm_result(%x: tensor<2x4xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{'graph.layer_norm' op result type 'tensor<4x2xf32>' does not match the inferred shape [2, 4]}}
  %0 = graph.layer_norm %x, %s : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<4x2xf32>
  return
}

// -----

func.func @gelu_approximate(%x: tensor<4xf32>) {
  // expected-error @+1 {{'graph.gelu' op approximate must be "none" or "tanh", got "fast"}}
  %0 = graph.gelu %x {approximate = "fast"} : tensor<4xf32>
  return
}

// -----

func.func @group_norm_groups(%x: tensor<1x6x2x2xf32>, %s: tensor<6xf32>) {
  // expected-error @+1 {{'graph.group_norm' op num_groups 4 does not divide the 6 channels}}
  %0 = graph.group_norm %x, %s, %s {num_groups = 4 : i64} : (tensor<1x6x2x2xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<1x6x2x2xf32>
  return
}

// -----

func.func @group_norm_scale(%x: tensor<1x6x2x2xf32>, %s: tensor<3xf32>, %b: tensor<6xf32>) {
  // expected-error @+1 {{'graph.group_norm' op scale must have one value per channel ([6]), got [3]}}
  %0 = graph.group_norm %x, %s, %b {num_groups = 3 : i64} : (tensor<1x6x2x2xf32>, tensor<3xf32>, tensor<6xf32>) -> tensor<1x6x2x2xf32>
  return
}

// -----

func.func @rms_norm_axis(%x: tensor<2x4xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{'graph.rms_norm' op axis -3 is out of range for rank 2}}
  %0 = graph.rms_norm %x, %s {axis = -3 : i64} : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @attention_heads(%q: tensor<1x3x2x4xf32>, %k: tensor<1x2x2x4xf32>) {
  // expected-error @+1 {{'graph.attention' op the 3 query heads are not a multiple of the 2 key/value heads}}
  %0 = graph.attention %q, %k, %k {scale = 1.0 : f32} : (tensor<1x3x2x4xf32>, tensor<1x2x2x4xf32>, tensor<1x2x2x4xf32>) -> tensor<1x3x2x4xf32>
  return
}

// -----

func.func @attention_mask(%q: tensor<1x2x2x4xf32>, %m: tensor<3x3xi1>) {
  // expected-error @+1 {{'graph.attention' op mask [3, 3] does not broadcast to the scores [1, 2, 2, 2]}}
  %0 = graph.attention %q, %q, %q, %m {scale = 1.0 : f32} : (tensor<1x2x2x4xf32>, tensor<1x2x2x4xf32>, tensor<1x2x2x4xf32>, tensor<3x3xi1>) -> tensor<1x2x2x4xf32>
  return
}
