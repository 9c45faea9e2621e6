//===- Passes.td - Sinan's conversion passes ---------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_CONVERSION_PASSES_TD
#define SINAN_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def CpuApproximateMath
    : Pass<"sinan-cpu-approximate-math", "mlir::ModuleOp"> {
  let summary = "Replaces libm calls of the CPU kernels by vectorizable "
                "polynomials";
  let description = [{
    Rewrites f32 `math.exp`, `math.log`, `math.tanh` and `math.erf` in the
    CPU path's kernels into MLIR's polynomial approximations (range
    reduction and a polynomial in arith ops), the first step of the CPU
    lowering. A call into libm stops LLVM's loop vectorizer; arithmetic does
    not, so elementwise kernels such as sigmoid and softmax run in vectors.
    The approximations are not libm's results bit for bit: they stay within
    a few ulp (measured in docs/runtime.md), and the conformance run
    compares kernels that use them within a tolerance. Other math functions
    keep their libm calls.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::math::MathDialect",
                           "mlir::vector::VectorDialect"];
}

def ConvertGraphToNpu : Pass<"sinan-convert-graph-to-npu", "mlir::ModuleOp"> {
  let summary = "Tiles kernel functions' graph ops into npu code";
  let description = [{
    Rewrites each kernel function (`npu.target`) on tensors into an npu
    kernel on DRAM memrefs (inputs, then outputs), and updates its launches.
    A matrix product is tiled into blocks `m0 x k0 x n0`, multiples of the
    target's matrix tile, chosen by a cycle estimate from the target
    description (matrix-unit blocks against DMA bytes at the per-core and
    shared DRAM bandwidth) among the blocks whose double-buffered operands
    fit the local memories; block rows are split over the cores. Edge
    blocks keep static shapes: their local tiles are rounded up to the
    matrix tile and zero-filled, so padding adds zero products. Operands are
    converted to bf16 by the DMA on the way in; the f32 accumulator goes
    out unchanged.
  
    A convolution is an implicit GEMM: per tap, the weights [F x C] (packed
    at compile time into zero-padded bf16 tiles in a constant
    `memref.global`, the kernel's read-only data) times the tap's view of
    the input [C x output pixels], one `npu.dma_load` that gathers at the
    convolution's stride and pads the rows and columns outside the image.
    Pixels are blocks of whole output rows, each at OW rounded up to the
    alignment; the blocks (output channels, input channels, rows) come from
    the same kind of cycle estimate, output channel blocks are split over
    the cores; the accumulator starts from the bias and a fused relu is
    applied by the store.

    An elementwise op streams chunks of whole alignment granules through
    vbuf: per chunk a load of each operand, one `npu.vbin`, `npu.vun` or
    `npu.vscal` in place, a store; a row repeated over the rows is loaded
    once and read at repeat stride 0, a one-element constant becomes the
    scalar; each core's chunk loop has constant bounds so
    `sinan-npu-multi-buffer` doubles its buffers.
  }];
  let dependentDialects = ["sinan::npu::NpuDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::arith::ArithDialect"];
}

def ConvertNpuToIsa : Pass<"sinan-convert-npu-to-isa", "mlir::ModuleOp"> {
  let summary = "Selects SNPU instructions for npu kernels";
  let description = [{
    Replaces each npu kernel (a `func.func` with `npu.target`) by an
    `isa.kernel` of the same name for one core. Index arithmetic becomes
    `li`/`alu` on virtual registers, `scf.for` becomes blocks with a counter
    and a backward `blt` (loops stay loops), memref arguments are read from
    the launch registers `r1`, `r2`, ... (docs/isa.md section 11), local
    buffers must carry the `npu.offset` that `sinan-npu-allocate-local`
    assigns, and views become byte addresses. DMA ops configure their engine
    (`dcfg`, skipped when the engine already holds the shape and strides in
    that block) and issue `dload`/`dstore`/`dfill`; `npu.mma` becomes
    `mcfg` + `mma`. Tile sizes, alignment and the matrix tile come from the
    kernel's target; an op that violates them is an error naming it.
    Registers stay virtual: run `sinan-isa-allocate-registers` next.
  }];
  let dependentDialects = ["sinan::isa::ir::IsaDialect"];
}

#endif // SINAN_CONVERSION_PASSES_TD
