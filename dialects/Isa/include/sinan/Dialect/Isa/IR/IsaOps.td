//===- IsaOps.td - isa dialect operations ------------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_DIALECT_ISA_IR_ISAOPS_TD
#define SINAN_DIALECT_ISA_IR_ISAOPS_TD

include "sinan/Dialect/Isa/IR/IsaBase.td"
include "mlir/IR/SymbolInterfaces.td"

//===----------------------------------------------------------------------===//
// Containers
//===----------------------------------------------------------------------===//

def Isa_KernelOp : Isa_Op<"kernel", [Symbol, IsolatedFromAbove, NoTerminator,
                                     SingleBlock]> {
  let summary = "an SNPU kernel: one program per core";
  let description = [{
    The unit `sinan-translate --isa-to-snpu-kernel` encodes into the kernel
    container (docs/isa.md section 9). `target` names the target description
    the kernel was compiled for and `fingerprint` is that description's hash
    (`isa::targetFingerprint`); `rodata` is the read-only data section the
    programs DMA-load and `scratch` the bytes of device memory they use for
    themselves (the launch passes each one's address after the arguments,
    read-only data first); bit i of `unread_args` says no program reads
    launch argument i. The body holds `isa.program` ops for cores 0..n-1.

    ```mlir
    isa.kernel @k attributes {target = "snpu-edge", fingerprint = 42 : i64} {
      isa.program core 0 {
        isa.end
      }
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, StrAttr:$target,
                       I64Attr:$fingerprint,
                       OptionalAttr<DenseI8ArrayAttr>:$rodata,
                       OptionalAttr<I64Attr>:$scratch,
                       OptionalAttr<I64Attr>:$unread_args);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$sym_name attr-dict-with-keyword $body";
  let hasVerifier = 1;
}

def Isa_ProgramOp : Isa_Op<"program", [HasParent<"KernelOp">]> {
  let summary = "the instructions one core runs, in order";
  let description = [{
    Blocks are laid out in region order; each ends in `isa.br`, `isa.end`
    or `isa.next`, and the fall-through successor of a branch or `isa.next`
    must be the next block. Blocks take no arguments: registers are state,
    not SSA values.
  }];
  let arguments = (ins I64Attr:$core);
  let regions = (region MinSizedRegion<1>:$body);
  let assemblyFormat = "`core` $core attr-dict-with-keyword $body";
  let hasRegionVerifier = 1;
}

def Isa_NextOp : Isa_Op<"next", [Terminator]> {
  let summary = "falls through into the next block (encodes to nothing)";
  let successors = (successor AnySuccessor:$dest);
  let assemblyFormat = "$dest attr-dict";
}

//===----------------------------------------------------------------------===//
// Instructions (generated from runtime/isa/Instructions.def)
//===----------------------------------------------------------------------===//

include "IsaInstructions.td"

#endif // SINAN_DIALECT_ISA_IR_ISAOPS_TD
