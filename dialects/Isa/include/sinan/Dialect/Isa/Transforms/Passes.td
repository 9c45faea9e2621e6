//===- Passes.td - isa dialect passes ----------------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_DIALECT_ISA_TRANSFORMS_PASSES_TD
#define SINAN_DIALECT_ISA_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def IsaAllocateRegisters
    : Pass<"sinan-isa-allocate-registers", "sinan::isa::ir::KernelOp"> {
  let summary = "Assigns machine registers to virtual registers";
  let description = [{
    For each program of the kernel, computes which registers are live at
    each instruction (backward dataflow
    over the program's blocks: `li` and `alu` define `ra`, every other
    register field is a use, loops included), builds the interference graph
    with the machine registers already named in the program (the launch
    arguments) as fixed nodes, and colors each virtual register with the
    lowest machine register `r1`-`r31` free of its neighbors, in order of
    definition. `r0` reads as zero and is never assigned. A program that
    needs more than 31 registers at once is an error naming the instruction
    where it runs out (there is no spilling).
  }];
}

#endif // SINAN_DIALECT_ISA_TRANSFORMS_PASSES_TD
