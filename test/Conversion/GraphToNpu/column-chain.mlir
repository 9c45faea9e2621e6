// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-server --sinan-convert-graph-to-npu | FileCheck %s --check-prefix=SERVER
// RUN: sinan-opt %s --sinan-form-snpu-kernels=target=snpu-edge --sinan-convert-graph-to-npu | FileCheck %s --check-prefix=EDGE

// A squeeze-excite scale over 32 channels of 112 x 112 (EfficientNet's
// first): on snpu-server a chain of one step, each core's column loaded
// once (a granule per channel) and each chunk's channels read from it. On
// snpu-edge (128 KiB of vbuf) the chain's chunks of whole 50 KiB rows do
// not fit twice over, so the row kernel runs it: chunks of part of a row,
// each with its rows' column elements loaded beside it.
// SERVER-LABEL: func.func @scale_kernel
// SERVER:         npu.vscal "mul" %{{.*}}, 1.000000e+00 : f32, %{{.*}} : memref<8x1xf32, strided<[1, 1]>, #npu.space<vbuf>>, memref<8x1xf32, strided<[16, 1]>, #npu.space<vbuf>>
// SERVER:         scf.for
// SERVER:           npu.vbin "mul" %{{.*}}, %{{.*}}, %{{.*}} : memref<{{[0-9]+}}x12544xf32, #npu.space<vbuf>>, memref<{{[0-9]+}}x12544xf32, strided<[16, 0], offset: ?>, #npu.space<vbuf>>
// EDGE-LABEL: func.func @scale_kernel
// EDGE-NOT:       npu.vscal
// EDGE:           npu.vbin "mul" %{{.*}}, %{{.*}}, %{{.*}} : memref<{{[0-9]+}}x{{[0-9]+}}xf32, #npu.space<vbuf>>, memref<{{[0-9]+}}x{{[0-9]+}}xf32, strided<[1, 0]>, #npu.space<vbuf>>
func.func @main(%x: tensor<1x32x112x112xf32>, %s: tensor<1x32x1x1xf32>) -> tensor<1x32x112x112xf32> {
  %y = graph.mul %x, %s : (tensor<1x32x112x112xf32>, tensor<1x32x1x1xf32>) -> tensor<1x32x112x112xf32> loc("scale")
  return %y : tensor<1x32x112x112xf32>
}
