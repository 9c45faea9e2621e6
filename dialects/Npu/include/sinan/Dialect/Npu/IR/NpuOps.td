//===- NpuOps.td - npu dialect operations ------------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_DIALECT_NPU_IR_NPUOPS_TD
#define SINAN_DIALECT_NPU_IR_NPUOPS_TD

include "sinan/Dialect/Npu/IR/NpuBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/SymbolInterfaces.td"

//===----------------------------------------------------------------------===//
// DMA
//===----------------------------------------------------------------------===//

def Npu_DmaLoadOp : Npu_Op<"dma_load"> {
  let summary = "DMA-in: copies a DRAM view into a local buffer";
  let description = [{
    Copies `src` (in `dram`) into `dst` (in a local memory), converting the
    element type (f32 -> bf16, ...) by the ISA's rounding rules. Both are
    views of rank at most 4 with static strides; `dst` is contiguous in its
    innermost dimension, `src` may step over elements there (the `gather`
    stride of the ISA's DMA-in). `padding = [before, after]` (the innermost
    dimension) or `[rows before, rows after, before, after]` (the two
    innermost) writes zeros around the data: `src` is `dst`'s shape less
    the padding. A convolution tap is one such load: its stride is the
    innermost stride of `src`, the parts of the tap outside the image are
    padding. Runs on the DMA-in engine.

    ```mlir
    npu.dma_load %tap, %tile {padding = array<i64: 1, 0, 1, 1>}
        : memref<16x3x5xf32, strided<[400, 40, 2], offset: ?>, #npu.space<dram>>
          to memref<16x4x7xbf16, strided<[64, 16, 1]>, #npu.space<wbuf>>
    ```
  }];
  let arguments = (ins Arg<AnyMemRef, "", [MemRead]>:$src,
                       Arg<AnyMemRef, "", [MemWrite]>:$dst,
                       OptionalAttr<DenseI64ArrayAttr>:$padding);
  let extraClassDeclaration = [{
    /// [rows before, rows after, before, after]; zeros when unpadded.
    std::array<int64_t, 4> getPaddingOrZero();
  }];
  let assemblyFormat = "$src `,` $dst attr-dict `:` type($src) `to` type($dst)";
  let hasVerifier = 1;
}

def Npu_DmaGatherOp : Npu_Op<"dma_gather"> {
  let summary = "DMA-in: copies the DRAM table rows an index array names";
  let description = [{
    Row `r` of `dst` (in a local memory) is row `indices[r]` of `table` (in
    `dram`), converted as `dma_load` converts; a negative index counts from
    the table's end, one outside `[-rows, rows)` faults on the device. The
    indices (`i32` or `i64`, an ONNX Gather's own tensor) stay in DRAM: the
    ISA's DMA-in fetches them (`dcfg index`) before the rows, so an
    embedding lookup needs neither the host nor a scalar load. Runs on the
    DMA-in engine.

    ```mlir
    npu.dma_gather %table[%ids], %rows
        : memref<1000x256xf32, #npu.space<dram>>[memref<32xi64, strided<[1], offset: ?>, #npu.space<dram>>]
          to memref<32x256xf32, #npu.space<vbuf>>
    ```
  }];
  let arguments = (ins Arg<AnyMemRef, "", [MemRead]>:$table,
                       Arg<AnyMemRef, "", [MemRead]>:$indices,
                       Arg<AnyMemRef, "", [MemWrite]>:$dst);
  let assemblyFormat = [{
    $table `[` $indices `]` `,` $dst attr-dict `:` type($table) `[`
    type($indices) `]` `to` type($dst)
  }];
  let hasVerifier = 1;
}

def Npu_DmaStoreOp : Npu_Op<"dma_store"> {
  let summary = "DMA-out: copies a local buffer into a DRAM view";
  let description = [{
    Copies `src` (local) into `dst` (in `dram`), applying relu first when
    `relu` is set, then converting the element type. Runs on the DMA-out
    engine.
  }];
  let arguments = (ins Arg<AnyMemRef, "", [MemRead]>:$src,
                       Arg<AnyMemRef, "", [MemWrite]>:$dst,
                       UnitAttr:$relu);
  let assemblyFormat = "$src `,` $dst attr-dict `:` type($src) `to` type($dst)";
  let hasVerifier = 1;
}

def Npu_DmaMoveOp : Npu_Op<"dma_move"> {
  let summary = "DMA-in: copies a local buffer into another local buffer";
  let description = [{
    Copies `src` into `dst`, both in local memories, of one shape and
    element type (no conversion): the ISA's `dmove`. Both are views of
    rank at most 4 with static strides, contiguous in their innermost
    dimension, each row starting on the target's alignment (checked when
    lowering to `isa`). `padding` writes zeros around the data as
    `dma_load`'s does (`src` is `dst`'s shape less the padding). A
    convolution moves its transposed input into `ibuf` this way, each row
    with the zeros that follow it in the grid. Runs on the DMA-in engine,
    with no DRAM latency.

    ```mlir
    npu.dma_move %staged, %grid {padding = array<i64: 0, 64>}
        : memref<7x448xbf16, strided<[448, 1]>, #npu.space<vbuf>>
          to memref<7x512xbf16, strided<[512, 1]>, #npu.space<ibuf>>
    ```
  }];
  let arguments = (ins Arg<AnyMemRef, "", [MemRead]>:$src,
                       Arg<AnyMemRef, "", [MemWrite]>:$dst,
                       OptionalAttr<DenseI64ArrayAttr>:$padding);
  let extraClassDeclaration = [{
    /// [rows before, rows after, before, after]; zeros when unpadded.
    std::array<int64_t, 4> getPaddingOrZero();
  }];
  let assemblyFormat = "$src `,` $dst attr-dict `:` type($src) `to` type($dst)";
  let hasVerifier = 1;
}

def Npu_FillOp : Npu_Op<"fill"> {
  let summary = "DMA-in: fills a local buffer with a 32-bit pattern";
  let description = [{
    Writes `pattern` (the element's bits, low bytes for narrow types) to
    every element of `dst`. `pattern = 0` zeroes an accumulator before a
    reduction. Runs on the DMA-in engine.
  }];
  let arguments = (ins Arg<AnyMemRef, "", [MemWrite]>:$dst,
                       DefaultValuedAttr<I64Attr, "0">:$pattern);
  let assemblyFormat = "$dst attr-dict `:` type($dst)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Matrix unit
//===----------------------------------------------------------------------===//

def Npu_MmaOp : Npu_Op<"mma"> {
  let summary = "matrix multiply-accumulate on local tiles";
  let description = [{
    `acc (+)= lhs x rhs` with `lhs` an `m x k` tile in `ibuf`, `rhs` a
    `k x n` tile in `wbuf` and `acc` an `m x n` tile in `acc`: bf16 x bf16
    into f32, or i8 x i8 into i32. Without `accumulate` the sum starts from
    zero. m, k and n must be multiples of the target's matrix tile, and each
    tile's rows start on the target's alignment (checked when lowering to
    `isa`). Runs on the matrix engine.
  }];
  let arguments = (ins Arg<AnyMemRef, "", [MemRead]>:$lhs,
                       Arg<AnyMemRef, "", [MemRead]>:$rhs,
                       Arg<AnyMemRef, "", [MemRead, MemWrite]>:$acc,
                       UnitAttr:$accumulate);
  let assemblyFormat = [{
    $lhs `,` $rhs `,` $acc attr-dict `:` type($lhs) `,` type($rhs) `,`
    type($acc)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Vector unit
//===----------------------------------------------------------------------===//

class Npu_VectorOp<string mnemonic> : Npu_Op<mnemonic> {
  code vectorDescription = [{
    Operands are views of rank 1 (one row) or 2 (repeats x row) of one
    shape and element type, contiguous within a row; a repeat stride of 0
    reads one row for every repeat (a bias). Sources are in `vbuf` or
    `acc`, the destination in `vbuf`; it may be a source. `op` is the
    ISA's name of the operation (docs/isa.md section 5). Runs on the vector
    engine.
  }];
}

def Npu_VBinOp : Npu_VectorOp<"vbin"> {
  let summary = "vector unit: dst = lhs op rhs, elementwise";
  let description = !strconcat([{
    `op` is one of add, sub, mul, div, max, min. `rhs` may be a per-repeat
    scalar (rank 2, innermost stride 0: `vbin.bcast`), as for `npu.vfma`.
  }], vectorDescription);
  let arguments = (ins StrAttr:$op,
                       Arg<AnyMemRef, "", [MemRead]>:$lhs,
                       Arg<AnyMemRef, "", [MemRead]>:$rhs,
                       Arg<AnyMemRef, "", [MemWrite]>:$dst);
  let assemblyFormat = [{
    $op $lhs `,` $rhs `,` $dst attr-dict `:` type($lhs) `,` type($rhs) `,`
    type($dst)
  }];
  let hasVerifier = 1;
}

def Npu_VUnOp : Npu_VectorOp<"vun"> {
  let summary = "vector unit: dst = op(src), elementwise";
  let description = !strconcat([{
    `op` is one of relu, neg, abs, exp, log, sqrt, rsqrt, recip, tanh,
    sigmoid, erf, gelu (the erf form), hardswish, gelu_tanh (the tanh
    form).
  }], vectorDescription);
  let arguments = (ins StrAttr:$op,
                       Arg<AnyMemRef, "", [MemRead]>:$src,
                       Arg<AnyMemRef, "", [MemWrite]>:$dst);
  let assemblyFormat = "$op $src `,` $dst attr-dict `:` type($src) `,` type($dst)";
  let hasVerifier = 1;
}

def Npu_VScalOp : Npu_VectorOp<"vscal"> {
  let summary = "vector unit: dst = src op scalar, elementwise";
  let description = !strconcat([{
    `op` is one of add, sub, mul, div, max, min; `scalar` is a float for
    float elements, an integer otherwise.
  }], vectorDescription);
  let arguments = (ins StrAttr:$op,
                       Arg<AnyMemRef, "", [MemRead]>:$src,
                       Arg<AnyMemRef, "", [MemWrite]>:$dst,
                       AnyAttr:$scalar);
  let assemblyFormat = [{
    $op $src `,` $scalar `,` $dst attr-dict `:` type($src) `,` type($dst)
  }];
  let hasVerifier = 1;
}

def Npu_VFmaOp : Npu_VectorOp<"vfma"> {
  let summary = "vector unit: acc = lhs x rhs + acc, rounded once";
  let description = !strconcat([{
    Multiplies and adds into `acc` (read and written) with one rounding
    (the ISA's `vfma`). `rhs` may be a per-repeat scalar: a rank-2 view
    whose innermost stride is 0 holds one element per repeat, broadcast
    across the row (`vfma.bcast`: a depthwise convolution's weight per
    channel, with one repeat per channel).

    ```mlir
    npu.vfma %tap, %weights, %acc
        : memref<8x448xf32, strided<[1152, 1]>, #npu.space<vbuf>>,
          memref<8x448xf32, strided<[1, 0]>, #npu.space<vbuf>>,
          memref<8x448xf32, #npu.space<vbuf>>
    ```
  }], vectorDescription);
  let arguments = (ins Arg<AnyMemRef, "", [MemRead]>:$lhs,
                       Arg<AnyMemRef, "", [MemRead]>:$rhs,
                       Arg<AnyMemRef, "", [MemRead, MemWrite]>:$acc);
  let assemblyFormat = [{
    $lhs `,` $rhs `,` $acc attr-dict `:` type($lhs) `,` type($rhs) `,`
    type($acc)
  }];
  let hasVerifier = 1;
}

def Npu_VCvtOp : Npu_VectorOp<"vcvt"> {
  let summary = "vector unit: dst = src converted to dst's element type";
  let description = !strconcat([{
    Converts each element of `src` to the element type of `dst` by the
    ISA's rounding rules (docs/isa.md section 3, as a DMA transfer that
    converts): the ISA's `vcvt`. The operands differ only in element type.
    Fused attention rounds its f32 probabilities to bf16 this way, on the
    way from the accumulator to the matrix unit's left operand, without a
    trip through DRAM.

    ```mlir
    npu.vcvt %probs, %left
        : memref<16x128xf32, #npu.space<vbuf>> to memref<16x128xbf16, #npu.space<vbuf>>
    ```
  }], vectorDescription);
  let arguments = (ins Arg<AnyMemRef, "", [MemRead]>:$src,
                       Arg<AnyMemRef, "", [MemWrite]>:$dst);
  let assemblyFormat = "$src `,` $dst attr-dict `:` type($src) `to` type($dst)";
  let hasVerifier = 1;
}

def Npu_VRedOp : Npu_Op<"vred"> {
  let summary = "vector unit: dst[r] = reduction of row r of src";
  let description = [{
    `src` is a `rows x len` view (rank 2, contiguous rows, in `vbuf` or
    `acc`) and `dst` a view of `rows` elements (rank 1, contiguous, in
    `vbuf`) of the same element type: element r is row r reduced by `op`
    (sum, max or min; a float sum is pairwise, docs/isa.md section 3, so
    it matches the host reference's ReduceSum and ReduceMean bit for bit).
    One repeat per row (the ISA's `vred`). Runs on the vector engine.

    ```mlir
    npu.vred "sum" %rows, %sums
        : memref<8x768xf32, #npu.space<vbuf>>, memref<8xf32, #npu.space<vbuf>>
    ```
  }];
  let arguments = (ins StrAttr:$op,
                       Arg<AnyMemRef, "", [MemRead]>:$src,
                       Arg<AnyMemRef, "", [MemWrite]>:$dst);
  let assemblyFormat = "$op $src `,` $dst attr-dict `:` type($src) `,` type($dst)";
  let hasVerifier = 1;
}

def Npu_VTransOp : Npu_Op<"vtrans"> {
  let summary = "vector unit: dst = transpose(src)";
  let description = [{
    `src` is a `rows x len` view (rank 2, contiguous rows, in `vbuf` or
    `acc`), `dst` a `len x rows` view in `vbuf` of the same element type;
    each row of `dst` takes one element of every row of `src`. Base
    addresses are aligned, row strides are free (docs/isa.md, `vtrans`).
    Runs on the vector engine. A convolution turns its input's channel
    rows into pixel rows of channels (the matrix unit's left operand) and
    its accumulator's pixel rows back into channel rows this way.

    With `group = g` (g elements of at most 4 bytes together), the `g`
    adjacent elements of a row move as one: `dst` is `len/g x rows*g`,
    row `j` of `dst` takes elements `j*g .. j*g+g-1` of every row of
    `src`. (The instruction transposes g-element units as one integer
    type.) A stride-2 convolution splits bf16 pixel pairs into their
    column phases this way.

    ```mlir
    npu.vtrans %rows, %pairs {group = 2 : i64}
        : memref<64x784xbf16, #npu.space<vbuf>> to memref<392x128xbf16, #npu.space<vbuf>>
    ```
  }];
  let arguments = (ins Arg<AnyMemRef, "", [MemRead]>:$src,
                       Arg<AnyMemRef, "", [MemWrite]>:$dst,
                       DefaultValuedAttr<I64Attr, "1">:$group);
  let assemblyFormat = "$src `,` $dst attr-dict `:` type($src) `to` type($dst)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Host side
//===----------------------------------------------------------------------===//

def Npu_LaunchOp : Npu_Op<"launch",
    [DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "runs an SNPU kernel from the host program";
  let description = [{
    Runs the kernel function `kernel` (a `func.func` with `npu.target`) on
    the device: `args` are its inputs and `results` its outputs. Before
    `sinan-convert-graph-to-npu` the kernel takes and returns the same
    tensors; after it, the kernel takes DRAM memrefs, inputs then outputs,
    of the same shapes and element types (the launch binds them in that
    order, `r1`, `r2`, ...).
  }];
  let arguments = (ins FlatSymbolRefAttr:$kernel, Variadic<AnyType>:$args);
  let results = (outs Variadic<AnyType>:$results);
  let assemblyFormat = [{
    $kernel `(` $args `)` attr-dict `:` functional-type($args, $results)
  }];
}

//===----------------------------------------------------------------------===//
// Cores
//===----------------------------------------------------------------------===//

def Npu_CoreIdOp : Npu_Op<"core_id", [Pure]> {
  let summary = "the index of the core running this program";
  let description = [{
    A kernel that reads its core's index runs on every core of the target
    (or on the `npu.cores` the kernel function names), one program per core
    with the index a constant; a kernel that does not runs on core 0 alone.
    Work is split over cores by ranges computed from it.
  }];
  let results = (outs Index:$result);
  let assemblyFormat = "attr-dict";
}

//===----------------------------------------------------------------------===//
// Synchronization (inserted by sinan-npu-insert-sync)
//===----------------------------------------------------------------------===//

def Npu_SignalOp : Npu_Op<"signal"> {
  let summary = "once src's earlier work is done, releases a token to dst";
  let arguments = (ins Npu_EngineAttr:$src, Npu_EngineAttr:$dst,
                       I64Attr:$id);
  let assemblyFormat = "$src `->` $dst `,` $id attr-dict";
  let hasVerifier = 1;
}

def Npu_WaitOp : Npu_Op<"wait"> {
  let summary = "blocks dst until src has released a token";
  let arguments = (ins Npu_EngineAttr:$src, Npu_EngineAttr:$dst,
                       I64Attr:$id);
  let assemblyFormat = "$src `->` $dst `,` $id attr-dict";
  let hasVerifier = 1;
}

def Npu_BarrierOp : Npu_Op<"barrier"> {
  let summary = "waits until every engine of the core is idle";
  let assemblyFormat = "attr-dict";
}

#endif // SINAN_DIALECT_NPU_IR_NPUOPS_TD
