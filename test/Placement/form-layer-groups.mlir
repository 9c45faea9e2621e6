// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-server --sinan-snpu-bf16-activations=target=snpu-server --sinan-form-layer-groups=target=snpu-server --mlir-elide-elementsattrs-if-larger=4 | FileCheck %s
// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-edge --sinan-snpu-bf16-activations=target=snpu-edge --sinan-form-layer-groups=target=snpu-edge --mlir-elide-elementsattrs-if-larger=4 | FileCheck %s --check-prefix=EDGE

// A layer normalization whose result only a product reads (a pre-norm
// block) merges into the product's kernel: the normalization's input, the
// product's other arguments, then the normalization's scale and bias; the
// weights copied into the body name the argument they stand for.
// CHECK-LABEL: func.func @pre_norm
// CHECK:         %[[Y:.*]] = npu.launch @qkv_kernel_norm(%arg0, %[[W:.*]], %[[B:.*]], %[[G:.*]], %[[BE:.*]]) : (tensor<1x128x256xf32>, tensor<256x768xf32>, tensor<768xf32>, tensor<256xf32>, tensor<256xf32>) -> tensor<1x128x768xf32>
// CHECK-NEXT:    return %[[Y]]
// On snpu-edge's one core the estimate keeps two kernels (128 rows
// normalized in blocks, each waited for).
// EDGE-LABEL: func.func @pre_norm
// EDGE:         npu.launch @LayerNormalization_n_kernel
// EDGE:         npu.launch @qkv_kernel
func.func @pre_norm(%x: tensor<1x128x256xf32>) -> tensor<1x128x768xf32> {
  %g = graph.constant dense<1.0> : tensor<256xf32>
  %be = graph.constant dense<0.5> : tensor<256xf32>
  %w = graph.constant dense<0.25> : tensor<256x768xf32>
  %b = graph.constant dense<0.125> : tensor<768xf32>
  %n = graph.layer_norm %x, %g, %be {axis = -1 : i64, epsilon = 1.0e-5 : f32} : (tensor<1x128x256xf32>, tensor<256xf32>, tensor<256xf32>) -> tensor<1x128x256xf32> loc("LayerNormalization_n")
  %p = graph.matmul %n, %w : (tensor<1x128x256xf32>, tensor<256x768xf32>) -> tensor<1x128x768xf32> loc("qkv")
  %y = graph.add %p, %b : (tensor<1x128x768xf32>, tensor<768xf32>) -> tensor<1x128x768xf32> loc("qkv")
  return %y : tensor<1x128x768xf32>
}

// Not when the host also reads the normalization (its result leaves the
// kernel).
// CHECK-LABEL: func.func @kept
// CHECK:         %[[M:.*]] = npu.launch @LayerNormalization_m_kernel
// CHECK:         %[[P:.*]] = npu.launch @proj_kernel(%[[M]], {{.*}})
// CHECK:         return %[[M]], %[[P]]
func.func @kept(%x: tensor<1x128x256xf32>) -> (tensor<1x128x256xf32>, tensor<1x128x768xf32>) {
  %g = graph.constant dense<1.0> : tensor<256xf32>
  %w = graph.constant dense<0.25> : tensor<256x768xf32>
  %m = graph.layer_norm %x, %g {axis = -1 : i64, epsilon = 1.0e-5 : f32} : (tensor<1x128x256xf32>, tensor<256xf32>) -> tensor<1x128x256xf32> loc("LayerNormalization_m")
  %p = graph.matmul %m, %w : (tensor<1x128x256xf32>, tensor<256x768xf32>) -> tensor<1x128x768xf32> loc("proj")
  return %m, %p : tensor<1x128x256xf32>, tensor<1x128x768xf32>
}

// The merged kernel (after the others, which keep their order).
// CHECK-LABEL: func.func @qkv_kernel_norm(
// CHECK:         %[[N:.*]] = graph.layer_norm %arg0, %arg3, %arg4
// CHECK:         %[[C:.*]] = graph.constant {npu.argument = 1 : i64}
// CHECK:         %[[P:.*]] = graph.matmul %[[N]], %[[C]]
// CHECK:         graph.add %[[P]], %arg2
