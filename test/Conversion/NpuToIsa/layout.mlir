// RUN: sinan-opt %s --sinan-npu-allocate-local --sinan-npu-insert-sync --sinan-convert-npu-to-isa | FileCheck %s
// RUN: sinan-opt %s --sinan-npu-allocate-local --sinan-npu-insert-sync --sinan-convert-npu-to-isa --sinan-isa-allocate-registers | sinan-translate --isa-to-snpu-kernel -o %t.snk
// RUN: sinan-objdump %t.snk | FileCheck %s --check-prefix=BINARY

// A transpose takes its len and rep from the source (32 rows of 64), its
// strides from both rows (destination rows 64 bytes apart, source rows
// 128); a local move is a dmove whose rows keep their pitches.
// CHECK-LABEL: isa.kernel @layout
// CHECK:         isa.li ra = [[LEN:v[0-9]+]], value = 64
// CHECK-NEXT:    isa.li ra = [[REP:v[0-9]+]], value = 32
// CHECK-NEXT:    isa.vcfg ra = [[LEN]], rb = [[REP]], rc = r0, sel = len
// CHECK-NEXT:    isa.li ra = [[SA:v[0-9]+]], value = 128
// CHECK-NEXT:    isa.vcfg ra = [[LEN]], rb = [[SA]], rc = r0, sel = stride
// CHECK-NEXT:    isa.vtrans ra = {{[rv][0-9]+}}, rc = {{[rv][0-9]+}}, type = bf16, aSpace = vbuf
// CHECK:         isa.dcfg ra = [[ROW:v[0-9]+]], rb = [[ROWS:v[0-9]+]], rc = {{v[0-9]+}}, engine = din, sel = shape
// CHECK:         isa.li ra = [[PITCH:v[0-9]+]], value = 2176
// CHECK-NEXT:    isa.dcfg ra = [[PITCH]], rb = r0, rc = r0, engine = din, sel = dst
// CHECK-NEXT:    isa.dmove ra = r0, rb = {{[rv][0-9]+}}, type = bf16, dstSpace = ibuf, srcSpace = vbuf

// BINARY: vcfg len
// BINARY: vtrans.bf16 vbuf[r{{[0-9]+}}], vbuf[r{{[0-9]+}}]
// BINARY: dmove.bf16 ibuf[r0], vbuf[r{{[0-9]+}}]
func.func @layout() attributes {npu.target = #npu.target<"snpu-edge">} {
  %in = memref.alloc() : memref<32x64xbf16, #npu.space<vbuf>>
  %t = memref.alloc() : memref<64x32xbf16, #npu.space<vbuf>>
  %grid = memref.alloc() : memref<2x1088xbf16, #npu.space<ibuf>>
  npu.fill %in : memref<32x64xbf16, #npu.space<vbuf>>
  npu.vtrans %in, %t : memref<32x64xbf16, #npu.space<vbuf>> to memref<64x32xbf16, #npu.space<vbuf>>
  %rows = memref.reinterpret_cast %t to offset: [0], sizes: [2, 1024], strides: [1024, 1] : memref<64x32xbf16, #npu.space<vbuf>> to memref<2x1024xbf16, strided<[1024, 1]>, #npu.space<vbuf>>
  %dst = memref.subview %grid[0, 0] [2, 1024] [1, 1] : memref<2x1088xbf16, #npu.space<ibuf>> to memref<2x1024xbf16, strided<[1088, 1]>, #npu.space<ibuf>>
  npu.dma_move %rows, %dst : memref<2x1024xbf16, strided<[1024, 1]>, #npu.space<vbuf>> to memref<2x1024xbf16, strided<[1088, 1]>, #npu.space<ibuf>>
  return
}

// A conversion takes its len and rep from its operands (16 rows of 100)
// and a stride each: bf16 rows 256 bytes apart, f32 rows 448.
// CHECK-LABEL: isa.kernel @convert
// CHECK:         isa.li ra = [[LEN:v[0-9]+]], value = 100
// CHECK-NEXT:    isa.li ra = [[REP:v[0-9]+]], value = 16
// CHECK-NEXT:    isa.vcfg ra = [[LEN]], rb = [[REP]], rc = r0, sel = len
// CHECK-NEXT:    isa.li ra = [[SD:v[0-9]+]], value = 256
// CHECK-NEXT:    isa.li ra = [[SA:v[0-9]+]], value = 448
// CHECK-NEXT:    isa.vcfg ra = [[SD]], rb = [[SA]], rc = r0, sel = stride
// CHECK:         isa.vcvt ra = {{v[0-9]+|r0}}, rc = {{v[0-9]+|r0}}, srcType = f32, dstType = bf16, aSpace = acc

func.func @convert() attributes {npu.target = #npu.target<"snpu-server">} {
  %scores = memref.alloc() : memref<16x112xf32, #npu.space<acc>>
  %probs = memref.alloc() : memref<16x128xbf16, #npu.space<vbuf>>
  %rows = memref.subview %scores[0, 0] [16, 100] [1, 1] : memref<16x112xf32, #npu.space<acc>> to memref<16x100xf32, strided<[112, 1]>, #npu.space<acc>>
  %out = memref.subview %probs[0, 0] [16, 100] [1, 1] : memref<16x128xbf16, #npu.space<vbuf>> to memref<16x100xbf16, strided<[128, 1]>, #npu.space<vbuf>>
  npu.fill %scores : memref<16x112xf32, #npu.space<acc>>
  npu.vcvt %rows, %out : memref<16x100xf32, strided<[112, 1]>, #npu.space<acc>> to memref<16x100xbf16, strided<[128, 1]>, #npu.space<vbuf>>
  return
}

// A scalar for bf16 elements is encoded as bf16 (0.25 = 0x3e80), the
// 16-bit pattern the vector unit reads for them; for f32, f32 bits.
// CHECK-LABEL: isa.kernel @scale
// CHECK:         isa.vscal {{.*}}type = bf16{{.*}}scalar = 0x3e80{{$}}
// CHECK:         isa.vscal {{.*}}type = f32{{.*}}scalar = 0x3e800000
func.func @scale() attributes {npu.target = #npu.target<"snpu-server">} {
  %keys = memref.alloc() : memref<16x64xbf16, #npu.space<vbuf>>
  %rows = memref.alloc() : memref<16x64xf32, #npu.space<vbuf>>
  npu.fill %keys : memref<16x64xbf16, #npu.space<vbuf>>
  npu.fill %rows : memref<16x64xf32, #npu.space<vbuf>>
  npu.vscal "mul" %keys, 2.500000e-01 : f32, %keys : memref<16x64xbf16, #npu.space<vbuf>>, memref<16x64xbf16, #npu.space<vbuf>>
  npu.vscal "mul" %rows, 2.500000e-01 : f32, %rows : memref<16x64xf32, #npu.space<vbuf>>, memref<16x64xf32, #npu.space<vbuf>>
  return
}
