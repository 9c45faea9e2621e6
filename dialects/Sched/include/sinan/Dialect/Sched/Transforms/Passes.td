//===- Passes.td - sched dialect passes --------------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_DIALECT_SCHED_TRANSFORMS_PASSES_TD
#define SINAN_DIALECT_SCHED_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def SchedConcatViews : Pass<"sinan-concat-views", "mlir::ModuleOp"> {
  let summary = "Writes a concatenation's operands in place";
  let description = [{
    In each schedule (a host function after kernel formation), replaces a
    concatenation by a `sched.concat` view when its operands can be
    written straight into their parts of the result, so no step copies
    them: a host `graph.concat` or the launch of an SNPU kernel that only
    concatenates its arguments, along an axis with only ones before it
    (each operand is then one contiguous run of the result), whose
    operands are distinct intermediates of its memory that one step writes
    (launch results on the device; host op results on the host: not
    arguments, constants or model outputs), or reshapes of such (whose
    inputs are then placed in the result's bytes too), of the result's
    element type, each starting at a multiple of the module's data
    alignment, and whose result is no model output (on the host: a
    device value the function returns is copied to the caller from its
    device bytes, which a view may hold). An operand may be
    part of several concatenations only where they agree on its place: the
    latest are placed first, and an earlier one fits when its operands
    already lie end to end in a later one's slot (DenseNet's prefixes) or
    are placed nowhere yet. `sinan-plan-memory` then places every operand
    inside its concatenation's slot. Kernel functions no launch calls any
    more are erased. Runs before `sinan-insert-copies`.
  }];
  let dependentDialects = ["sinan::sched::SchedDialect"];
}

def SchedSliceViews : Pass<"sinan-slice-views", "mlir::ModuleOp"> {
  let summary = "Makes a slice that is a run of its operand's bytes a view";
  let description = [{
    In each schedule, replaces a slice (a host `graph.slice` or the launch
    of an SNPU kernel that only slices its argument) by a `sched.slice`
    view when it is one contiguous run of its operand: unit steps, only
    ones before the first axis it narrows and every later axis whole. The
    operand must be an intermediate of the slice's memory (on the device,
    any value with a device slot; on the host, a host op's result, not an
    argument, a constant, a reshape or a model output), the run must start
    at a multiple of the module's data alignment, and the result must be
    no model output on the host and no operand of a concatenation view
    (which is
    written into the concatenation's bytes). `sinan-plan-memory` then
    places the result inside its operand's slot. Kernel functions no
    launch calls any more are erased. Runs after `sinan-concat-views`
    (ShuffleNet's split: the half that is concatenated again stays a copy
    into the concatenation, the half a branch reads becomes a view).
  }];
  let dependentDialects = ["sinan::sched::SchedDialect"];
}

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
