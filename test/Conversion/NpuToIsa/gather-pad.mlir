// RUN: sinan-opt %s --sinan-npu-allocate-local --sinan-convert-npu-to-isa | FileCheck %s

// A stride-2 convolution tap with padding is one dload: the source's
// innermost stride becomes DMA-in's gather stride, the padding its padw and
// padh; the block is the destination's shape. A fill keeps them; the next
// load that differs sets them again (here back to contiguous, unpadded).
// CHECK-LABEL: isa.kernel @tap
// CHECK:         isa.dcfg ra = {{v[0-9]+}}, rb = {{v[0-9]+}}, rc = {{v[0-9]+}}, engine = din, sel = shape
// CHECK:         isa.dcfg ra = [[TWO:v[0-9]+]], rb = r0, rc = r0, engine = din, sel = gather
// CHECK:         isa.dcfg ra = [[ONE:v[0-9]+]], rb = [[ONE]], rc = r0, engine = din, sel = padw
// CHECK:         isa.dcfg ra = [[ONE]], rb = r0, rc = r0, engine = din, sel = padh
// CHECK-NEXT:    isa.dload ra = r0, rb = {{v[0-9]+}}, srcType = f32, dstType = bf16, space = wbuf
// CHECK:         isa.dfill
// CHECK-NOT:     sel = gather
// CHECK:         isa.dcfg ra = [[ONE2:v[0-9]+]], rb = r0, rc = r0, engine = din, sel = gather
// CHECK:         isa.dcfg ra = r0, rb = r0, rc = r0, engine = din, sel = padw
// CHECK:         isa.dcfg ra = r0, rb = r0, rc = r0, engine = din, sel = padh
// CHECK-NEXT:    isa.dload ra = {{.*}}, space = ibuf

!image = memref<16x9x10xf32, #npu.space<dram>>
!tap = memref<16x3x5xf32, strided<[90, 20, 2]>, #npu.space<dram>>
!tile = memref<16x4x7xbf16, strided<[128, 32, 1]>, #npu.space<wbuf>>
func.func @tap(%x: !image, %w: memref<16x16xf32, #npu.space<dram>>)
    attributes {npu.target = #npu.target<"snpu-server">} {
  %buf = memref.alloc() : memref<16x128xbf16, #npu.space<wbuf>>
  %lhs = memref.alloc() : memref<16x16xbf16, #npu.space<ibuf>>
  %acc = memref.alloc() : memref<16x16xf32, #npu.space<acc>>
  %tile = memref.expand_shape %buf [[0], [1, 2]] output_shape [16, 4, 32]
      : memref<16x128xbf16, #npu.space<wbuf>> into memref<16x4x32xbf16, #npu.space<wbuf>>
  %dst = memref.subview %tile[0, 0, 0] [16, 4, 7] [1, 1, 1]
      : memref<16x4x32xbf16, #npu.space<wbuf>> to !tile
  %src = memref.subview %x[0, 0, 0] [16, 3, 5] [1, 2, 2] : !image to !tap
  npu.dma_load %src, %dst {padding = array<i64: 1, 0, 1, 1>} : !tap to !tile
  npu.fill %acc : memref<16x16xf32, #npu.space<acc>>
  npu.dma_load %w, %lhs : memref<16x16xf32, #npu.space<dram>> to memref<16x16xbf16, #npu.space<ibuf>>
  return
}
