//===- Passes.td - npu dialect passes ----------------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_DIALECT_NPU_TRANSFORMS_PASSES_TD
#define SINAN_DIALECT_NPU_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def NpuAllocateLocal
    : Pass<"sinan-npu-allocate-local", "mlir::func::FuncOp"> {
  let summary = "Places local buffers in their memories by liveness";
  let description = [{
    Gives every `memref.alloc` in a local memory space of an npu kernel a
    byte offset (`npu.offset`). A buffer lives from its allocation to its
    last use; a use inside a loop that does not contain the allocation keeps
    it live to the end of that loop, since the next iteration may read it.
    Buffers are placed largest size x lifetime first, each at the lowest
    offset aligned to the target's `alignment_bytes` that overlaps no
    buffer live at the same time. A buffer that does not fit the target's
    memory is an error naming it, the memory and the bytes needed.
  }];
}

def NpuInsertSync : Pass<"sinan-npu-insert-sync", "mlir::func::FuncOp"> {
  let summary = "Orders the engines' accesses to shared buffers";
  let description = [{
    The DMA, matrix and vector engines run their queues concurrently; two
    ops of different engines that touch the same buffer (one of them
    writing) must be ordered. This first version inserts `npu.barrier`
    after every DMA, matrix and vector op, which orders everything and
    overlaps nothing: correct, and the reference the hazard-analysis
    version (signal/wait pairs between engine queues) will be checked
    against.
  }];
}

#endif // SINAN_DIALECT_NPU_TRANSFORMS_PASSES_TD
