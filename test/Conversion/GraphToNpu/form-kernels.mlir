// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-server | FileCheck %s
// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-server --sinan-convert-graph-to-npu | FileCheck %s --check-prefix=NPU

// A 2-D static matmul moves into a kernel function launched from the host
// function; ops the SNPU does not run stay.
// CHECK-LABEL: func.func @main
// CHECK:         %[[R:.*]] = npu.launch @mm_kernel(%arg0, %arg1) : (tensor<100x72xf32>, tensor<72x40xf32>) -> tensor<100x40xf32>
// CHECK-NEXT:    graph.floor %[[R]]
// CHECK-LABEL: func.func @mm_kernel
// CHECK-SAME:    attributes {npu.target = #npu.target<"snpu-server">}
// CHECK-NEXT:    graph.matmul

// The kernel becomes tiled npu code on DRAM memrefs, inputs then outputs.
// Edge blocks round up to the tile and are zero-filled before a partial
// load; the first product starts the accumulator (no fill of it).
// NPU-LABEL: func.func @mm_kernel(%arg0: memref<100x72xf32, #npu.space<dram>>, %arg1: memref<72x40xf32, #npu.space<dram>>, %arg2: memref<100x40xf32, #npu.space<dram>>)
// NPU-SAME:    npu.blocks = array<i64: 32, 80, 48>, npu.cores = 4 : i64
// NPU:         npu.core_id
// NPU-NOT:     npu.fill %{{.*}} #npu.space<acc>>
// NPU:         npu.fill %{{.*}} : memref<32x80xbf16, strided<[96, 1]>, #npu.space<ibuf>>
// NPU:         npu.dma_load %{{.*}}, %{{.*}} : memref<32x72xf32, strided<[72, 1], offset: ?>, #npu.space<dram>> to memref<32x72xbf16, strided<[96, 1]>, #npu.space<ibuf>>
// NPU:         npu.mma %{{.*}} : memref<32x80xbf16, strided<[96, 1]>, #npu.space<ibuf>>, memref<80x48xbf16, strided<[64, 1]>, #npu.space<wbuf>>, memref<32x48xf32, strided<[48, 1]>, #npu.space<acc>>
// NPU:         npu.dma_store %{{.*}}, %{{.*}} : memref<32x40xf32, strided<[48, 1]>, #npu.space<acc>> to memref<32x40xf32, strided<[40, 1], offset: ?>, #npu.space<dram>>
func.func @main(%a: tensor<100x72xf32>, %b: tensor<72x40xf32>) -> tensor<100x40xf32> {
  %0 = graph.matmul %a, %b : (tensor<100x72xf32>, tensor<72x40xf32>) -> tensor<100x40xf32> loc("mm")
  %1 = graph.floor %0 : tensor<100x40xf32>
  return %1 : tensor<100x40xf32>
}
