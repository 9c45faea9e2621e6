//===- Passes.td - npu dialect passes ----------------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_DIALECT_NPU_TRANSFORMS_PASSES_TD
#define SINAN_DIALECT_NPU_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def NpuMultiBuffer : Pass<"sinan-npu-multi-buffer", "mlir::func::FuncOp"> {
  let summary = "Double-buffers the local buffers a loop fills each iteration";
  let description = [{
    A local buffer allocated outside a loop, used only inside it and written
    in it, is the loop's working space: iteration i + 1 must wait for
    iteration i to finish with it. This pass unrolls such a loop by two
    (`scf` loop unrolling, with an epilogue for an odd trip count) and gives
    the second copy of the body its own clone of each such buffer, so the
    DMA can fill one buffer while the matrix or vector unit works on the
    other; `sinan-npu-insert-sync` then orders each copy separately. A
    loop marked `npu.buffers = N` gets N copies (unrolled by N, at most one
    per iteration): a matmul's K loop whose block loads take longer than a
    product to land keeps two in flight. Loops
    with a dynamic trip count or fewer than two iterations, loops whose
    body holds more than one loop (unrolling would copy them all), and loops
    marked `npu.buffered` (their producer alternates the buffers itself, as
    a convolution's taps do) are left alone. A buffer marked `npu.shared`
    keeps one copy (one engine's scratch: its queue runs the iterations in
    order anyway); the pass fails if two engines use it. In the unrolled
    body each DMA-in op then moves up, with the pure ops computing its
    operands, above the other engines' ops that do not touch its buffers
    (never past another DMA-in op): the scalar unit issues the program in
    order and stalls on a full engine queue, so a copy's load written after
    the previous copy's vector work would not even be issued until that
    work has nearly drained.
  }];
  let dependentDialects = ["mlir::scf::SCFDialect", "mlir::arith::ArithDialect"];
}

def NpuAllocateLocal
    : Pass<"sinan-npu-allocate-local", "mlir::func::FuncOp"> {
  let summary = "Places local buffers in their memories by liveness";
  let description = [{
    Gives every `memref.alloc` in a local memory space of an npu kernel a
    byte offset (`npu.offset`). When all of a memory's buffers fit side by
    side they do, in program order: a buffer that took a dead one's bytes
    would make its writer wait for the dead one's last reader (a dependence
    `sinan-npu-insert-sync` must honour, which serializes blocks the
    multi-buffering meant to overlap). Otherwise a buffer lives from its
    allocation to its last use; a use inside a loop that does not contain
    the allocation keeps it live to the end of that loop, since the next
    iteration may read it. Buffers are then placed largest size x lifetime
    first, each at the lowest offset aligned to the target's
    `alignment_bytes` that overlaps no buffer live at the same time. A
    buffer that does not fit the target's memory is an error naming it, the
    memory and the bytes needed.
  }];
}

def NpuInsertSync : Pass<"sinan-npu-insert-sync", "mlir::func::FuncOp"> {
  let summary = "Orders the engines' accesses to shared buffers";
  let description = [{
    The DMA, matrix and vector engines run their queues concurrently; two
    ops of different engines that touch the same local buffer must be
    ordered. Each buffer's accesses in program order form a chain; where the
    chain passes from engine A to engine B, A signals (A -> B, id) after its
    access and B waits before its own. A loop is one access seen from
    outside (its first and last engines); when its body ends on another
    engine than it starts, the back edge gets the same handoff, with one
    token primed before the loop and the last drained after it. Buffers
    that share bytes after `sinan-npu-allocate-local` are one resource, so
    reusing memory is ordered too. Two cores' parts (`npu.once` loops)
    hand nothing to each other: each core has its own local memories. A
    handoff between two engine ops of one block that a later handoff
    between the same engines implies (its signal after the first access,
    its wait before the second: an engine signals once all its earlier
    work has finished) is dropped. Each
    resource's handoffs between two engines use one semaphore id; resources whose handoffs do not overlap
    in program order share ids. Once ids are assigned, a primed token moves
    up past the engine work before it that does not use its semaphore: its
    signal runs on the engine that ends the loop's body, behind that
    engine's earlier work. Tokens are first hoisted out of enclosing
    loops (the pipeline stays full across them); when that needs more ids
    than the target has, they are drained at each loop's exit; when even
    that does not fit, the kernel is ordered with barriers and marked
    `npu.sync = "barrier"`.
    `barrier=true` instead puts a barrier after every engine op (everything
    ordered, nothing overlapped), a reference for debugging.
  }];
  let options = [
    Option<"barrier", "barrier", "bool", /*default=*/"false",
           "Order everything with barriers instead of signal/wait pairs">
  ];
}

def NpuVerifySync : Pass<"sinan-npu-verify-sync", "mlir::func::FuncOp"> {
  let summary = "Proves every cross-engine buffer dependence ordered";
  let description = [{
    A static check of what `sinan-npu-insert-sync` (or a hand-written
    kernel) did. Each core's program is executed without data or time:
    index arithmetic and loop bounds are evaluated (the core id is known per
    core), engine ops are queued per engine in dispatch order, and the
    queues run until they drain, a wait taking the oldest token of its
    (source, destination, id), a barrier joining every engine. Vector clocks
    record what each op is ordered after. Two accesses by different engines
    to overlapping memory (local buffers by their `npu.offset` bytes, DRAM
    by argument or global), one of them a write, that no signal/wait chain
    or barrier orders are an error at the later op, with a note at the
    earlier one; so is a wait no signal can satisfy. A loop whose bounds
    are not known on some core cannot be checked and is an error too.
  }];
}

#endif // SINAN_DIALECT_NPU_TRANSFORMS_PASSES_TD
