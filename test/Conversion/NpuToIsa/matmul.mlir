// RUN: sinan-opt %s --sinan-npu-allocate-local --sinan-convert-npu-to-isa | FileCheck %s
// RUN: sinan-opt %s --sinan-npu-allocate-local --sinan-npu-insert-sync --sinan-convert-npu-to-isa --sinan-isa-allocate-registers | sinan-translate --isa-to-snpu-kernel -o %t.snk
// RUN: sinan-objdump %t.snk | FileCheck %s --check-prefix=BINARY

// Loops stay loops: a counter, the body as blocks, a backward branch. The
// launch registers r1-r3 are copied into virtual registers; views become
// address arithmetic; local buffers are constants (here all at offset 0 of
// their memories, so r0); each DMA configures its engine once per block.
// CHECK-LABEL: isa.kernel @matmul attributes {fingerprint = {{-?[0-9]+}} : i64, target = "snpu-server"}
// CHECK:         isa.program core 0 {
// CHECK-NEXT:      isa.alu ra = v0, rb = r1, rc = r0, op = add, immediate = false, imm = 0
// CHECK-NEXT:      isa.alu ra = v1, rb = r2, rc = r0, op = add, immediate = false, imm = 0
// CHECK-NEXT:      isa.alu ra = v2, rb = r3, rc = r0, op = add, immediate = false, imm = 0
// CHECK:         ^bb3:
// CHECK:           isa.alu ra = [[ROW:v[0-9]+]], rb = [[I:v[0-9]+]], rc = r0, op = mul, immediate = true, imm = 256
// CHECK-NEXT:      isa.alu ra = {{v[0-9]+}}, rb = v0, rc = [[ROW]], op = add
// CHECK:           isa.dcfg ra = {{v[0-9]+}}, rb = {{v[0-9]+}}, rc = {{v[0-9]+}}, engine = din, sel = shape
// CHECK:           isa.dload ra = r0, rb = {{v[0-9]+}}, srcType = bf16, dstType = bf16, space = ibuf
// CHECK:           isa.dload ra = r0, rb = {{v[0-9]+}}, srcType = bf16, dstType = bf16, space = wbuf
// CHECK-NEXT:      isa.mcfg m = 64, k = 64, n = 64
// CHECK-NEXT:      isa.mma ra = r0, rb = r0, rc = r0, type = bf16, accumulate = true
// CHECK-NEXT:      isa.alu ra = [[K:v[0-9]+]], rb = [[K]], rc = r0, op = add, immediate = true, imm = 64
// CHECK-NEXT:      isa.br ra = [[K]], rb = {{v[0-9]+}}, cond = lt to ^bb3 next ^bb4
// CHECK:           isa.dstore ra = {{v[0-9]+}}, rb = r0, srcType = f32, dstType = f32, space = acc, relu = false
// CHECK:           isa.br ra = {{v[0-9]+}}, rb = {{v[0-9]+}}, cond = lt to ^bb2 next ^bb5
// CHECK:           isa.br ra = {{v[0-9]+}}, rb = {{v[0-9]+}}, cond = lt to ^bb1 next ^bb6
// CHECK:         ^bb6:
// CHECK-NEXT:      isa.end

// BINARY: core 0:
// BINARY: mma.bf16.acc acc[r{{[0-9]+}}], ibuf[r{{[0-9]+}}], wbuf[r{{[0-9]+}}]
// BINARY: blt r{{[0-9]+}}, r{{[0-9]+}}, -{{[0-9]+}}
// BINARY: end

!dram_a = memref<128x128xbf16, #npu.space<dram>>
!dram_c = memref<128x128xf32, #npu.space<dram>>
!a_view = memref<64x64xbf16, strided<[128, 1], offset: ?>, #npu.space<dram>>
!c_view = memref<64x64xf32, strided<[128, 1], offset: ?>, #npu.space<dram>>
func.func @matmul(%a: !dram_a, %b: !dram_a, %c: !dram_c)
    attributes {npu.target = #npu.target<"snpu-server">} {
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  %c128 = arith.constant 128 : index
  %lhs = memref.alloc() : memref<64x64xbf16, #npu.space<ibuf>>
  %rhs = memref.alloc() : memref<64x64xbf16, #npu.space<wbuf>>
  %acc = memref.alloc() : memref<64x64xf32, #npu.space<acc>>
  scf.for %i = %c0 to %c128 step %c64 {
    scf.for %j = %c0 to %c128 step %c64 {
      npu.fill %acc : memref<64x64xf32, #npu.space<acc>>
      scf.for %k = %c0 to %c128 step %c64 {
        %av = memref.subview %a[%i, %k] [64, 64] [1, 1] : !dram_a to !a_view
        %bv = memref.subview %b[%k, %j] [64, 64] [1, 1] : !dram_a to !a_view
        npu.dma_load %av, %lhs : !a_view to memref<64x64xbf16, #npu.space<ibuf>>
        npu.dma_load %bv, %rhs : !a_view to memref<64x64xbf16, #npu.space<wbuf>>
        npu.mma %lhs, %rhs, %acc {accumulate} : memref<64x64xbf16, #npu.space<ibuf>>, memref<64x64xbf16, #npu.space<wbuf>>, memref<64x64xf32, #npu.space<acc>>
      }
      %cv = memref.subview %c[%i, %j] [64, 64] [1, 1] : !dram_c to !c_view
      npu.dma_store %acc, %cv : memref<64x64xf32, #npu.space<acc>> to !c_view
    }
  }
  return
}
