// RUN: sinan-opt %s --sinan-npu-multi-buffer -verify-diagnostics

// One copy of a buffer two engines use would make each iteration's load
// wait for the previous iteration's vector work: npu.shared is refused.
func.func @shared_two_engines(%a: memref<64xf32, #npu.space<dram>>)
    attributes {npu.target = #npu.target<"snpu-server">} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  // expected-error @+1 {{is npu.shared but two engines use it (din and vec)}}
  %l = memref.alloc() {npu.shared} : memref<64xf32, #npu.space<vbuf>>
  scf.for %i = %c0 to %c8 step %c1 {
    npu.dma_load %a, %l : memref<64xf32, #npu.space<dram>> to memref<64xf32, #npu.space<vbuf>>
    npu.vscal "max" %l, 0.0 : f32, %l : memref<64xf32, #npu.space<vbuf>>, memref<64xf32, #npu.space<vbuf>>
  }
  return
}
