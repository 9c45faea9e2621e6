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

def Sched_ConcatOp : Sched_Op<"concat", [Pure]> {
  let summary = "a concatenation whose inputs already lie end to end";
  let description = [{
    A view: the result's bytes are its operands' bytes, one after the
    other, so the step moves nothing. `sinan-concat-views` makes one of a
    `graph.concat` (an SNPU launch of it, or a host step) when every
    operand can be written in place: `sinan-plan-memory` then places each
    operand inside the result's slot, so its producer stores straight
    into its part of the concatenation (DenseNet's feature maps, an
    Inception module's branches). The operands and the result have one
    element type and one memory (the result lives where its operands
    do), and every dimension before `axis` is 1, so each operand is one
    contiguous run of the result.
    ```mlir
    %c = sched.concat %a, %b {axis = 1 : i64}
        : (tensor<1x64x56x56xf32>, tensor<1x32x56x56xf32>)
        -> tensor<1x96x56x56xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyStaticShapeTensor>:$inputs,
                       I64Attr:$axis);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = [{
    $inputs attr-dict `:` functional-type($inputs, $result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The byte offset of each operand in the result.
    llvm::SmallVector<int64_t> operandOffsets();
  }];
}

def Sched_SliceOp : Sched_Op<"slice", [Pure]> {
  let summary = "a contiguous run of a tensor's bytes";
  let description = [{
    A view: the result is the operand's elements `start` to `start` + the
    result's extent along `axis`, which are one contiguous run of the
    operand's bytes because every dimension before `axis` is 1 and every
    one after it is whole. The step moves nothing: `sinan-plan-memory`
    places the result inside the operand's slot, `byteOffset()` bytes in.
    `sinan-slice-views` makes one of a `graph.slice` of that shape
    (ShuffleNet's channel split). The result lives where the operand does.
    ```mlir
    %h = sched.slice %x {axis = 1 : i64, start = 24 : i64}
        : (tensor<1x48x28x28xf32>) -> tensor<1x24x28x28xf32>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$input, I64Attr:$axis,
                       I64Attr:$start);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type($input, $result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Where the result starts in the operand's bytes.
    int64_t byteOffset();
  }];
}

def Sched_HostKernelOp : Sched_Op<"host_kernel", [IsolatedFromAbove]> {
  let summary = "one host step: an op and the epilogue it absorbs";
  let description = [{
    A host step computing a chain of `graph` ops in one kernel, so that the
    CPU path applies the epilogue to each tile before storing it instead of
    passing over the result again. The body is one block whose arguments
    are `args` (the first op's operands, then each later op's operand from
    outside the chain: a residual) and whose ops form a chain, each using
    the result of the one before; `sched.yield` returns the last one's
    result. `sinan-form-host-kernels` forms them: a convolution or matrix
    product, then an add of a residual (a tensor of the result's shape, or
    for a matrix product a bias row), then a relu or clip; or a chain of
    elementwise ops of one result type. The module writer makes one step
    of it: the first op with the residual and the activation as the
    attributes the reference kernels also apply, or for an elementwise
    chain a `fused` step listing its ops (docs/runtime.md).

    ```mlir
    %y = sched.host_kernel(%x, %w, %b, %r) : (...) -> tensor<1x64x56x56xf32> {
    ^bb0(%x0: ..., %w0: ..., %b0: ..., %r0: ...):
      %c = graph.conv2d(%x0, %w0, %b0) ...
      %s = graph.add(%c, %r0) ...
      %t = graph.relu(%s) ...
      sched.yield %t : tensor<1x64x56x56xf32>
    }
    ```
  }];
  let arguments = (ins Variadic<AnyRankedTensor>:$args);
  let results = (outs AnyRankedTensor:$result);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    `(` $args `)` attr-dict `:` functional-type($args, $result) $body
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The body's ops without the terminator: the chain, first op first.
    llvm::SmallVector<mlir::Operation *, 3> chain();
  }];
}

def Sched_YieldOp : Sched_Op<"yield",
    [Pure, Terminator, HasParent<"HostKernelOp">]> {
  let summary = "returns a host kernel's result";
  let arguments = (ins AnyRankedTensor:$value);
  let assemblyFormat = "$value attr-dict `:` type($value)";
}

#endif // SINAN_DIALECT_SCHED_IR_SCHEDOPS_TD
