//===- Passes.td - sched dialect passes --------------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_DIALECT_SCHED_TRANSFORMS_PASSES_TD
#define SINAN_DIALECT_SCHED_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def SchedInsertCopies
    : Pass<"sinan-insert-copies", "mlir::func::FuncOp"> {
  let summary = "Makes the host<->device copies of a schedule explicit";
  let description = [{
    In a host function after kernel formation, every `npu.launch` reads
    device memory and every other op (and the function's return) reads host
    memory. Each operand living in the other memory is replaced by a copy:
    `sched.to_device` or `sched.to_host`, made once per value, just before
    its first user, and shared by the later ones. Kernel functions
    (`npu.target`) are left alone; running the pass twice changes nothing.
  }];
  let dependentDialects = ["sinan::sched::SchedDialect"];
}

def SchedPlanMemory : Pass<"sinan-plan-memory", "mlir::func::FuncOp"> {
  let summary = "Places every value of a schedule in its memory's arena";
  let description = [{
    Gives every result of the function's ops a byte offset in the arena of
    its memory (host or device), recorded as `sched.offsets` (one per
    result; -1 for values outside the arenas: constants, model outputs,
    which the caller owns) and the arenas' sizes as `sched.host_arena` and
    `sched.device_arena` on the function. Device copies of constants come
    first and are never freed (a session copies them once). Every other
    value lives from the op that makes it to its last reader, is placed at
    the lowest offset aligned to the module's data alignment that overlaps
    no live value, and an op's results are placed before the values it
    reads for the last time are freed, so no kernel writes over its input.
    The exception is a `graph.reshape` of a host intermediate into a value
    that is not a model output: its result takes its input's bytes (the
    step then copies nothing), and the shared slot lives until the last
    read of either. Values are visited in program order, the order the module runs its
    steps. Needs `sinan-insert-copies` first.
  }];
}

#endif // SINAN_DIALECT_SCHED_TRANSFORMS_PASSES_TD
