// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-server --sinan-convert-graph-to-npu | FileCheck %s
// RUN: sinan-opt %s --sinan-snpu-pipeline="target=snpu-server phase=isa" | FileCheck %s --check-prefix=ISA
// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-server --sinan-convert-graph-to-npu | FileCheck %s --check-prefix=RES

// Elementwise ops stream chunks of whole granules through vbuf, split over
// the cores: a load per operand, one vector instruction in place, a store.
// CHECK-LABEL: func.func @main
// CHECK:         npu.launch @relu_kernel
// CHECK:         npu.launch @mul_kernel
// CHECK:         npu.launch @bias_kernel
// CHECK:         npu.launch @clip_kernel
// CHECK:         graph.floor

// CHECK-LABEL: func.func @relu_kernel
// CHECK-SAME:    npu.blocks = array<i64: 640>, npu.cores = 4
// CHECK:         npu.core_id
// CHECK:         scf.for
// CHECK:           npu.dma_load %{{.*}}, %[[A:.*]] : memref<640xf32, strided<[1], offset: ?>, #npu.space<dram>> to memref<640xf32, #npu.space<vbuf>>
// CHECK-NEXT:      npu.vun "relu" %[[A]], %[[A]]
// CHECK:           npu.dma_store %[[A]]

// CHECK-LABEL: func.func @mul_kernel
// CHECK:           npu.vbin "mul" %[[X:.*]], %{{.*}}, %[[X]]

// A bias row is loaded once and read at repeat stride 0 by rows of the
// chunk; the chunk itself moves as one run.
// CHECK-LABEL: func.func @bias_kernel
// CHECK:         npu.dma_load %arg1, %[[ROW:.*]] : memref<40xf32, #npu.space<dram>> to memref<40xf32, #npu.space<vbuf>>
// CHECK:         scf.for
// CHECK:           %[[ROWS:.*]] = memref.expand_shape %{{.*}} {{\[\[}}0, 1]] output_shape [16, 40]
// CHECK:           %[[REP:.*]] = memref.reinterpret_cast %[[ROW]] to offset: [0], sizes: [16, 40], strides: [0, 1]
// CHECK:           npu.vbin "add" %[[ROWS]], %[[REP]], %[[ROWS]]

// A one-element constant becomes the vector unit's scalar.
// CHECK-LABEL: func.func @clip_kernel
// CHECK:           npu.vscal "min" %[[C:.*]], 6.000000e+00 : f32, %[[C]]

// ISA-LABEL: isa.kernel @relu_kernel
// ISA:         isa.vcfg {{.*}}sel = len
// ISA:         isa.vun {{.*}}type = f32, op = relu, aSpace = vbuf
// ISA-LABEL: isa.kernel @bias_kernel
// ISA:         isa.vcfg ra = r{{[0-9]+}}, rb = r{{[0-9]+}}, rc = r0, sel = stride
// ISA:         isa.vbin {{.*}}op = add
// The constant operand is never read: an unread argument.
// ISA-LABEL: isa.kernel @clip_kernel
// ISA-SAME:    unread_args = 2
// ISA:         isa.vscal {{.*}}op = min, aSpace = vbuf, aOffset = 0, scalar = 0x40c00000
func.func @main(%x: tensor<64x40xf32>, %y: tensor<64x40xf32>, %b: tensor<40xf32>) -> (tensor<64x40xf32>, tensor<64x40xf32>, tensor<64x40xf32>, tensor<64x40xf32>) {
  %six = graph.constant dense<6.0> : tensor<f32>
  %0 = graph.relu %x : tensor<64x40xf32> loc("relu")
  %1 = graph.mul %0, %y : (tensor<64x40xf32>, tensor<64x40xf32>) -> tensor<64x40xf32> loc("mul")
  %2 = graph.add %1, %b : (tensor<64x40xf32>, tensor<40xf32>) -> tensor<64x40xf32> loc("bias")
  %3 = graph.min %2, %six : (tensor<64x40xf32>, tensor<f32>) -> tensor<64x40xf32> loc("clip")
  %4 = graph.floor %3 : tensor<64x40xf32>
  return %0, %1, %2, %4 : tensor<64x40xf32>, tensor<64x40xf32>, tensor<64x40xf32>, tensor<64x40xf32>
}

// A relu after an elementwise op joins its kernel: the store applies it.
// RES-LABEL: func.func @residual
// RES:         %[[R:.*]] = npu.launch @residual_add_kernel
// RES-NEXT:    return %[[R]]
// RES-LABEL: func.func @residual_add_kernel
// RES:           npu.vbin "add"
// RES:           npu.dma_store %{{.*}}, %{{.*}} {relu}
func.func @residual(%x: tensor<64x40xf32>, %y: tensor<64x40xf32>) -> tensor<64x40xf32> {
  %0 = graph.add %x, %y : (tensor<64x40xf32>, tensor<64x40xf32>) -> tensor<64x40xf32> loc("residual_add")
  %1 = graph.relu %0 : tensor<64x40xf32>
  return %1 : tensor<64x40xf32>
}
