// RUN: sinan-opt %s --sinan-npu-allocate-local --sinan-convert-npu-to-isa | FileCheck %s

// An embedding lookup is one dload whose rows come from the index array:
// `dcfg index` names the indices (the i64 kernel argument, 8 bytes each)
// and the table's 1000 rows just before it, and turns the mode off right
// after, so the store and every later load read rows in order. The rows
// are not merged into one (each comes from its own table row).
// CHECK-LABEL: isa.kernel @embedding
// CHECK:         isa.alu ra = [[IDS:v[0-9]+]], rb = r2,
// CHECK:         isa.li ra = [[ROWS:v[0-9]+]], value = 32
// CHECK:         isa.dcfg ra = {{v[0-9]+}}, rb = [[ROWS]], rc = {{v[0-9]+}}, engine = din, sel = shape
// CHECK:         isa.li ra = [[COUNT:v[0-9]+]], value = 1000
// CHECK:         isa.li ra = [[WIDTH:v[0-9]+]], value = 8
// CHECK:         isa.dcfg ra = [[IDS]], rb = [[COUNT]], rc = [[WIDTH]], engine = din, sel = index
// CHECK-NEXT:    isa.dload ra = {{.*}}, srcType = f32, dstType = f32, space = vbuf
// CHECK-NEXT:    isa.dcfg ra = r0, rb = r0, rc = r0, engine = din, sel = index
// CHECK:         isa.dstore
func.func @embedding(%table: memref<1000x256xf32, #npu.space<dram>>, %ids: memref<32xi64, #npu.space<dram>>, %out: memref<32x256xf32, #npu.space<dram>>)
    attributes {npu.target = #npu.target<"snpu-edge">} {
  %rows = memref.alloc() : memref<32x256xf32, #npu.space<vbuf>>
  npu.dma_gather %table[%ids], %rows : memref<1000x256xf32, #npu.space<dram>>[memref<32xi64, #npu.space<dram>>] to memref<32x256xf32, #npu.space<vbuf>>
  npu.dma_store %rows, %out : memref<32x256xf32, #npu.space<vbuf>> to memref<32x256xf32, #npu.space<dram>>
  return
}
