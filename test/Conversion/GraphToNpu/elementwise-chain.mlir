// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-edge | FileCheck %s --check-prefix=FORM
// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-edge --sinan-convert-graph-to-npu | FileCheck %s

// Elementwise ops that each take the result of the one before fuse into one
// kernel (sinan-form-snpu-kernels, by elementwiseChain): a bias row, then a
// GELU as PyTorch exports it (its input read twice; five ops that become
// one `vun gelu`). The kernel takes each outside value once; the later
// ops' one-element constants are copied in, not passed (the vector unit's
// scalars).
// FORM-LABEL: func.func @bias_gelu
// FORM:         %[[Y:.*]] = npu.launch @bias_kernel(%arg0, %arg1) :
// FORM-NEXT:    return %[[Y]]
// (The kernels follow the functions.)
// FORM-LABEL: func.func @silu
// FORM:         %[[S:.*]] = npu.launch @silu_kernel(%arg0)
// FORM:         %[[T:.*]] = npu.launch @tanh_kernel(%[[S]])
// FORM:         npu.launch @add_kernel(%[[S]], %[[T]])
// FORM-LABEL: func.func @bias_kernel
// FORM-SAME:    (%{{.*}}: tensor<33x40xf32>, %{{.*}}: tensor<40xf32>)
// FORM-COUNT-3: graph.constant
// FORM:         graph.add
// FORM:         graph.mul
// FORM:         graph.erf
// FORM:         graph.add
// FORM:         graph.mul
// FORM:         graph.mul
// FORM-NEXT:    return

// Per chunk: the load, the row added into the running buffer, GELU in
// place, the store.
// CHECK-LABEL: func.func @bias_kernel
// CHECK:         npu.dma_load %{{.*}}, %[[ROW:.*]] : memref<40xf32, #npu.space<dram>> to memref<40xf32, #npu.space<vbuf>>
// CHECK:         npu.dma_load %{{.*}}, %[[IN:[a-z0-9_]+]] :
// CHECK:         npu.vbin "add" %{{.*}}, %{{.*}}, %{{.*}} : memref<33x40xf32, #npu.space<vbuf>>, memref<33x40xf32, strided<[0, 1]>, #npu.space<vbuf>>, memref<33x40xf32, #npu.space<vbuf>>
// CHECK:         npu.vun "gelu" %[[ACC:[a-z0-9_]+]], %[[ACC]]
// CHECK:         npu.dma_store %[[ACC]]
func.func @bias_gelu(%x: tensor<33x40xf32>, %b: tensor<40xf32>) -> tensor<33x40xf32> {
  %c = graph.constant dense<0.707106769> : tensor<f32>
  %one = graph.constant dense<1.0> : tensor<f32>
  %half = graph.constant dense<0.5> : tensor<f32>
  %s = graph.add %x, %b : (tensor<33x40xf32>, tensor<40xf32>) -> tensor<33x40xf32> loc("bias")
  %d = graph.mul %s, %c : (tensor<33x40xf32>, tensor<f32>) -> tensor<33x40xf32>
  %e = graph.erf %d : tensor<33x40xf32>
  %a = graph.add %one, %e : (tensor<f32>, tensor<33x40xf32>) -> tensor<33x40xf32>
  %h = graph.mul %a, %half : (tensor<33x40xf32>, tensor<f32>) -> tensor<33x40xf32>
  %y = graph.mul %h, %s : (tensor<33x40xf32>, tensor<33x40xf32>) -> tensor<33x40xf32>
  return %y : tensor<33x40xf32>
}

// SiLU, x * sigmoid(x): x is loaded once, the sigmoid goes to the running
// buffer, the product reads both. A value used outside the chain ends it:
// %t's other user keeps the tanh out of the kernel.
// CHECK-LABEL: func.func @silu_kernel
// CHECK:         npu.dma_load %{{.*}}, %[[X:[a-z0-9_]+]] :
// CHECK-NEXT:    npu.vun "sigmoid" %[[X]], %[[R:[a-z0-9_]+]]
// CHECK-NEXT:    npu.vbin "mul" %[[X]], %[[R]], %[[R]]
// CHECK:         npu.dma_store %[[R]]
func.func @silu(%x: tensor<8x256xf32>) -> (tensor<8x256xf32>, tensor<8x256xf32>) {
  %s = graph.sigmoid %x : tensor<8x256xf32> loc("silu")
  %y = graph.mul %x, %s : (tensor<8x256xf32>, tensor<8x256xf32>) -> tensor<8x256xf32>
  %t = graph.tanh %y : tensor<8x256xf32> loc("tanh")
  %u = graph.add %y, %t : (tensor<8x256xf32>, tensor<8x256xf32>) -> tensor<8x256xf32>
  return %t, %u : tensor<8x256xf32>, tensor<8x256xf32>
}

// A matrix product absorbs its bias row and a GELU of the sum (a
// transformer's MLP): the vector unit adds the row to each block and
// applies `vun gelu` before the store.
// FORM-LABEL: func.func @mlp_kernel
// FORM-SAME:    (%{{.*}}: tensor<64x32xf32>, %{{.*}}: tensor<32x128xf32>, %{{.*}}: tensor<128xf32>)
// FORM:         graph.matmul
// FORM:         graph.erf
// CHECK-LABEL: func.func @mlp_kernel
// CHECK:         npu.mma
// CHECK:         npu.vbin "add" %{{.*}}, %{{.*}}, %[[OUT:[a-z0-9_]+]]
// CHECK-NEXT:    npu.vun "gelu" %[[OUT]], %[[OUT]]
// CHECK:         npu.dma_store %[[OUT]]
func.func @mlp(%x: tensor<64x32xf32>, %w: tensor<32x128xf32>, %b: tensor<128xf32>) -> tensor<64x128xf32> {
  %c = graph.constant dense<1.41421354> : tensor<f32>
  %one = graph.constant dense<1.0> : tensor<f32>
  %half = graph.constant dense<0.5> : tensor<f32>
  %m = graph.matmul %x, %w : (tensor<64x32xf32>, tensor<32x128xf32>) -> tensor<64x128xf32> loc("mlp")
  %s = graph.add %m, %b : (tensor<64x128xf32>, tensor<128xf32>) -> tensor<64x128xf32>
  %d = graph.div %s, %c : (tensor<64x128xf32>, tensor<f32>) -> tensor<64x128xf32>
  %e = graph.erf %d : tensor<64x128xf32>
  %a = graph.add %e, %one : (tensor<64x128xf32>, tensor<f32>) -> tensor<64x128xf32>
  %p = graph.mul %s, %a : (tensor<64x128xf32>, tensor<64x128xf32>) -> tensor<64x128xf32>
  %y = graph.mul %p, %half : (tensor<64x128xf32>, tensor<f32>) -> tensor<64x128xf32>
  return %y : tensor<64x128xf32>
}

// GELU in its tanh form (GPT-2's): x * x times x (or x ^ 3), * 0.044715,
// + x, * sqrt(2 / pi), tanh, + 1, then x and 0.5 in any order. A matrix
// product absorbs it after its bias row as one `vun gelu_tanh`; so does a
// chain, here graph-decompose's order ((0.5 x) times 1 + tanh) from x ^ 3.
// FORM-LABEL: func.func @mlp_tanh_kernel
// FORM:         graph.matmul
// FORM:         graph.tanh
// CHECK-LABEL: func.func @mlp_tanh_kernel
// CHECK:         npu.mma
// CHECK:         npu.vbin "add" %{{.*}}, %{{.*}}, %[[OUT:[a-z0-9_]+]]
// CHECK-NEXT:    npu.vun "gelu_tanh" %[[OUT]], %[[OUT]]
// CHECK:         npu.dma_store %[[OUT]]
func.func @mlp_tanh(%x: tensor<64x32xf32>, %w: tensor<32x128xf32>, %b: tensor<128xf32>) -> tensor<64x128xf32> {
  %k = graph.constant dense<0.044715> : tensor<f32>
  %c = graph.constant dense<0.797884583> : tensor<f32>
  %one = graph.constant dense<1.0> : tensor<f32>
  %half = graph.constant dense<0.5> : tensor<f32>
  %m = graph.matmul %x, %w : (tensor<64x32xf32>, tensor<32x128xf32>) -> tensor<64x128xf32> loc("mlp_tanh")
  %s = graph.add %m, %b : (tensor<64x128xf32>, tensor<128xf32>) -> tensor<64x128xf32>
  %sq = graph.mul %s, %s : (tensor<64x128xf32>, tensor<64x128xf32>) -> tensor<64x128xf32>
  %cu = graph.mul %s, %sq : (tensor<64x128xf32>, tensor<64x128xf32>) -> tensor<64x128xf32>
  %kc = graph.mul %cu, %k : (tensor<64x128xf32>, tensor<f32>) -> tensor<64x128xf32>
  %in = graph.add %s, %kc : (tensor<64x128xf32>, tensor<64x128xf32>) -> tensor<64x128xf32>
  %sc = graph.mul %in, %c : (tensor<64x128xf32>, tensor<f32>) -> tensor<64x128xf32>
  %t = graph.tanh %sc : tensor<64x128xf32>
  %a = graph.add %t, %one : (tensor<64x128xf32>, tensor<f32>) -> tensor<64x128xf32>
  %p = graph.mul %s, %a : (tensor<64x128xf32>, tensor<64x128xf32>) -> tensor<64x128xf32>
  %y = graph.mul %p, %half : (tensor<64x128xf32>, tensor<f32>) -> tensor<64x128xf32>
  return %y : tensor<64x128xf32>
}

// FORM-LABEL: func.func @chain_tanh_kernel
// CHECK-LABEL: func.func @chain_tanh_kernel
// CHECK:         npu.vbin "add"
// CHECK:         npu.vun "gelu_tanh"
// CHECK-NOT:     npu.vun "tanh"
func.func @chain_tanh(%x: tensor<33x40xf32>, %b: tensor<40xf32>) -> tensor<33x40xf32> {
  %three = graph.constant dense<3.0> : tensor<f32>
  %k = graph.constant dense<0.044715> : tensor<f32>
  %c = graph.constant dense<0.797884583> : tensor<f32>
  %one = graph.constant dense<1.0> : tensor<f32>
  %half = graph.constant dense<0.5> : tensor<f32>
  %s = graph.add %x, %b : (tensor<33x40xf32>, tensor<40xf32>) -> tensor<33x40xf32> loc("chain_tanh")
  %cu = graph.pow %s, %three : (tensor<33x40xf32>, tensor<f32>) -> tensor<33x40xf32>
  %kc = graph.mul %k, %cu : (tensor<f32>, tensor<33x40xf32>) -> tensor<33x40xf32>
  %in = graph.add %s, %kc : (tensor<33x40xf32>, tensor<33x40xf32>) -> tensor<33x40xf32>
  %sc = graph.mul %c, %in : (tensor<f32>, tensor<33x40xf32>) -> tensor<33x40xf32>
  %t = graph.tanh %sc : tensor<33x40xf32>
  %a = graph.add %one, %t : (tensor<f32>, tensor<33x40xf32>) -> tensor<33x40xf32>
  %h = graph.mul %half, %s : (tensor<f32>, tensor<33x40xf32>) -> tensor<33x40xf32>
  %y = graph.mul %h, %a : (tensor<33x40xf32>, tensor<33x40xf32>) -> tensor<33x40xf32>
  return %y : tensor<33x40xf32>
}
