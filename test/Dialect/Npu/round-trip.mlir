// RUN: sinan-opt %s | sinan-opt | FileCheck %s
// RUN: sinan-opt --mlir-print-op-generic %s | sinan-opt | FileCheck %s

// CHECK-LABEL: func.func @ops
// CHECK-SAME:    attributes {npu.target = #npu.target<"snpu-edge">}
// CHECK:         npu.dma_load %{{.*}}, %{{.*}} : memref<16x32xbf16, strided<[64, 1], offset: ?>, #npu.space<dram>> to memref<16x32xbf16, #npu.space<ibuf>>
// CHECK:         npu.fill %{{.*}} {pattern = 1065353216 : i64} : memref<16x16xf32, #npu.space<acc>>
// CHECK:         npu.mma %{{.*}}, %{{.*}}, %{{.*}} {accumulate} : memref<16x32xbf16, #npu.space<ibuf>>, memref<32x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>, memref<16x16xf32, #npu.space<acc>>
// CHECK:         npu.dma_store %{{.*}}, %{{.*}} {relu} : memref<16x16xf32, #npu.space<acc>> to memref<16x16xbf16, #npu.space<dram>>
// CHECK:         npu.signal <din> -> <mxu>, 0
// CHECK:         npu.wait <din> -> <mxu>, 0
// CHECK:         npu.barrier
func.func @ops(%a: memref<64x64xbf16, #npu.space<dram>>,
               %c: memref<16x16xbf16, #npu.space<dram>>, %i: index)
    attributes {npu.target = #npu.target<"snpu-edge">} {
  %lhs = memref.alloc() : memref<16x32xbf16, #npu.space<ibuf>>
  %rhs = memref.alloc() : memref<32x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>
  %acc = memref.alloc() : memref<16x16xf32, #npu.space<acc>>
  %view = memref.subview %a[%i, 0] [16, 32] [1, 1] : memref<64x64xbf16, #npu.space<dram>> to memref<16x32xbf16, strided<[64, 1], offset: ?>, #npu.space<dram>>
  npu.dma_load %view, %lhs : memref<16x32xbf16, strided<[64, 1], offset: ?>, #npu.space<dram>> to memref<16x32xbf16, #npu.space<ibuf>>
  npu.fill %acc {pattern = 1065353216} : memref<16x16xf32, #npu.space<acc>>
  npu.mma %lhs, %rhs, %acc {accumulate} : memref<16x32xbf16, #npu.space<ibuf>>, memref<32x16xbf16, strided<[32, 1]>, #npu.space<wbuf>>, memref<16x16xf32, #npu.space<acc>>
  npu.dma_store %acc, %c {relu} : memref<16x16xf32, #npu.space<acc>> to memref<16x16xbf16, #npu.space<dram>>
  npu.signal <din> -> <mxu>, 0
  npu.wait <din> -> <mxu>, 0
  npu.barrier
  return
}
