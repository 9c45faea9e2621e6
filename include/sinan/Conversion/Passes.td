//===- Passes.td - Sinan's conversion passes ---------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_CONVERSION_PASSES_TD
#define SINAN_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

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
