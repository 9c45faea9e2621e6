//===- SchedOps.td - sched dialect operations --------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_DIALECT_SCHED_IR_SCHEDOPS_TD
#define SINAN_DIALECT_SCHED_IR_SCHEDOPS_TD

include "mlir/IR/OpBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Sched_Dialect : Dialect {
  let name = "sched";
  let cppNamespace = "::sinan::sched";
  let summary = "The host program of a module: steps, launches and copies";
  let description = [{
    After kernel formation a model's function is its schedule: each `graph`
    op left in it is a host step, each `npu.launch` runs an SNPU kernel, and
    every value lives in one memory, the host's or the device's. The
    `sched` ops are the copies between the two, which
    `sinan-insert-copies` makes explicit, so that `sinan-plan-memory` can
    place every value in its memory's arena (the `sched.offsets` of each op
    and the `sched.host_arena` / `sched.device_arena` of the function) and
    the module writer only translates what the IR says. A value is on the
    device when an `npu.launch` or a `sched.to_device` produces it, and on
    the host otherwise (arguments, constants and host steps).
  }];
}

class Sched_Op<string mnemonic, list<Trait> traits = []>
    : Op<Sched_Dialect, mnemonic, traits>;

class Sched_CopyOp<string mnemonic, string from, string to>
    : Sched_Op<mnemonic, [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "copies a tensor from the " # from # " to the " # to;
  let description = [{
    A host-link transfer: the result is the operand's data in the }] # to #
    [{'s memory. The operand must be in the }] # from # [{'s memory. A
    constant's copy to the device is made once per session and kept there.
  }];
  let arguments = (ins AnyRankedTensor:$input);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Sched_ToDeviceOp : Sched_CopyOp<"to_device", "host", "device">;
def Sched_ToHostOp : Sched_CopyOp<"to_host", "device", "host">;

#endif // SINAN_DIALECT_SCHED_IR_SCHEDOPS_TD
