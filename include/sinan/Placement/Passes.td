//===- Passes.td - Sinan's placement pass ------------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_PLACEMENT_PASSES_TD
#define SINAN_PLACEMENT_PASSES_TD

include "mlir/Pass/PassBase.td"

def PlaceOps : Pass<"sinan-place", "mlir::ModuleOp"> {
  let summary = "Places each graph op on the SNPU or the host CPU";
  let description = [{
    Records on every graph op of the host functions where it runs, as
    `sinan.placement = "snpu"` or `"cpu"`; kernel formation and the module
    emitter follow it. The SNPU candidates are the ops it can run
    (`sinan::placement::snpuSupport`: the matrix products and convolutions
    the tilers take, the elementwise kernels); every other op goes to the
    CPU with the reason it cannot.

    `mode=snpu` puts every candidate on the SNPU; `mode=cpu` puts every op
    on the CPU; `mode=auto` weighs, per candidate, its estimated SNPU
    cycles (the tiler's own block-choice estimate) plus the host-link
    copies that placement would add, against its estimated host cycles (at
    the assumed `host-gflops` and `host-gbps`, at the target's clock) plus
    the copies the other choice would add, revisiting the ops until no
    choice changes. A convolution's relu follows the convolution into its
    kernel.

    `overrides` names a JSON file of forced placements: an object whose
    keys are ONNX node names (or `op:<name>` for every op of a kind, e.g.
    `op:add`) and whose values are `"snpu"` or `"cpu"`. A key that names
    nothing, a value other than those two, or an op forced onto an SNPU
    that cannot run it is an error naming the node.

    `report` writes, for every op, its node, where it went and why, with
    the estimates (`-` for standard output; a `.json` file name writes
    JSON).
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"snpu-edge\"",
           "Target preset or description file">,
    Option<"mode", "mode", "std::string", /*default=*/"\"snpu\"",
           "snpu, cpu or auto">,
    Option<"precision", "precision", "std::string", /*default=*/"\"bf16\"",
           "Numerics the SNPU may use: bf16 or f32">,
    Option<"overrides", "overrides", "std::string", /*default=*/"\"\"",
           "JSON file of forced placements">,
    Option<"report", "report", "std::string", /*default=*/"\"\"",
           "Where to write the placement report (- for stdout)">,
    Option<"hostGflops", "host-gflops", "double",
           /*default=*/"::sinan::placement::kHostGflops",
           "Assumed host speed for matrix products and convolutions "
           "(default: the native kernels' measured speed)">,
    Option<"hostGbps", "host-gbps", "double",
           /*default=*/"::sinan::placement::kHostGbytesPerSecond",
           "Assumed host memory speed for other ops, GB/s">
  ];
}

def SplitWideConcats : Pass<"sinan-split-wide-concats", "mlir::ModuleOp"> {
  let summary = "Splits a concat of more inputs than an SNPU kernel can take";
  let description = [{
    An SNPU kernel receives its arguments in registers (argument i in
    r(i + 1)) and the ISA has no scalar load to fetch more from memory, so
    a concat kernel's inputs, its output and the temporaries of its DMA
    descriptors must fit the 31 registers: 20 inputs lower, 24 do not.
    DenseNet's blocks concatenate up to 32. Each `graph.concat` of more than
    `max-inputs` inputs becomes a concat of its first inputs (split again
    if still too wide) followed by the rest, so that only the first group's
    elements are copied twice; both keep the original's location, so the
    placement report and overrides name the ONNX node.

    ```mlir
    // max-inputs=3
    %y = graph.concat %a, %b, %c, %d {axis = 1 : i64} : ...
    // becomes
    %ab = graph.concat %a, %b {axis = 1 : i64} : ...
    %y = graph.concat %ab, %c, %d {axis = 1 : i64} : ...
    ```
  }];
  let options = [
    Option<"maxInputs", "max-inputs", "int64_t", /*default=*/"16",
           "Most inputs of one concat">
  ];
}

def MaterializeBroadcasts
    : Pass<"sinan-materialize-broadcasts", "mlir::ModuleOp"> {
  let summary = "Repeats a constant operand to the result's shape where the "
                "SNPU cannot broadcast it";
  let description = [{
    The vector unit broadcasts a binary op's operand as a scalar, a row
    repeated over the rows, a block of trailing dimensions repeated over the
    leading ones or an element per row (`sinan::snpuElementwiseRefusal`),
    and the row must fit its buffer. Swin's masks add a block per window
    over the heads ([1, 64, 1, 49, 49] to [1, 64, 3, 49, 49]) and a
    relative position bias of [1, 12, 49, 49] (a "row" of 28,812 elements)
    over the windows; on the host they cost their operands' round trips over
    the host link. Where the SNPU refuses a binary elementwise op whose other
    operand has the result's shape, a `graph.constant` operand that
    broadcasts to it becomes the constant of the result's shape (the same
    values, repeated), when that takes at most `max-bytes` and the SNPU then
    runs the op; else the op is left as it was. The module stores the
    repeated constant, and the kernel reads it from DRAM.
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"snpu-edge\"",
           "Target preset or description file">,
    Option<"maxBytes", "max-bytes", "int64_t", /*default=*/"8 << 20",
           "Largest repeated constant, in bytes">
  ];
}

def FuseAttention : Pass<"sinan-fuse-attention", "mlir::ModuleOp"> {
  let summary = "Rewrites attention as exporters write it into graph.attention";
  let description = [{
    Finds `matmul(Q, K^T)`, an optional scaling by a scalar constant
    (`* c` or `/ c`, which becomes `* (1 / c)`: exact when c is a power of
    two, else within one rounding of the scores), an optional float mask
    added, a softmax over the last axis and `matmul(., V)`, on [B, H, S, D]
    or [H, S, D] operands with equal batch dimensions, each op the only
    user of the one before, and replaces the chain with one
    `graph.attention` (K from K^T by a transpose that folds into the one
    that made K^T; 3-D operands reshaped to 4-D and back). A query scaled
    by a power of two before the first product joins the scale. The
    rewrite happens only where the target's SNPU runs the result as one
    kernel (`sinan::snpuAttentionRefusal`) at `precision` bf16, and none of
    the chain's ops is named in the `overrides` file sinan-place reads (by
    node, or `op:<name>` by kind): otherwise the pieces stay, for placement
    to put each where it goes.
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"snpu-edge\"",
           "Target preset or description file">,
    Option<"precision", "precision", "std::string", /*default=*/"\"bf16\"",
           "Numerics the SNPU may use: bf16 or f32 (which fuses nothing)">,
    Option<"overrides", "overrides", "std::string", /*default=*/"\"\"",
           "sinan-place's JSON file of forced placements">
  ];
}

def FormSnpuKernels : Pass<"sinan-form-snpu-kernels", "mlir::ModuleOp"> {
  let summary = "Outlines the ops the SNPU runs into kernel functions";
  let description = [{
    Moves every graph op of the host functions that the target's SNPU can
    run (`sinan::placement::snpuSupport`: matrix products and convolutions
    with constant weights when the matrix unit has a bf16 mode and
    `precision` is bf16, f32 elementwise ops the vector unit runs) into its
    own kernel function (`func.func` with `npu.target`, taking and returning
    the op's tensors) and replaces it with an `npu.launch` of that kernel.
    A convolution or elementwise op takes the relu that is its only user
    with it (`sinan::placement::fusedEpilogue`). An op `sinan-place` marked
    `sinan.placement = "cpu"` stays. Constant operands are copied into the
    kernel so the tiler can pack them. Kernels are named after the op's ONNX
    node.
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"snpu-edge\"",
           "Target preset or description file">,
    Option<"precision", "precision", "std::string", /*default=*/"\"bf16\"",
           "bf16: matrix products and convolutions go to the matrix unit; "
           "f32: only what the SNPU computes exactly as the host">
  ];
  let dependentDialects = ["sinan::npu::NpuDialect",
                           "mlir::func::FuncDialect"];
}

def SnpuBf16Activations
    : Pass<"sinan-snpu-bf16-activations", "mlir::ModuleOp"> {
  let summary = "Keeps activations that pass between SNPU matrix-unit "
                "kernels in DRAM as bf16";
  let description = [{
    After sinan-form-snpu-kernels (with precision bf16): a launch's result
    whose every user is a launch that reads it only as a matrix-unit operand
    (a convolution's input, a matrix product's left operand: rounded to
    bf16 on the way in anyway) or, with `residuals`, as the residual its
    epilogue adds, is stored by its kernel as bf16 and read as bf16 by the
    others. The kernels show it in their types: the argument or result is
    bf16 and a `graph.cast` marked `npu.storage` converts it for the f32
    ops of the body (the DMA does it on the device; a launch's host
    fallback widens and narrows the same values). The DRAM bytes of those
    activations halve; a residual added from bf16 is the one value that
    changes (rounded to bf16, as a bf16 network keeps its residual stream).
    Only convolution, matrix-product and max-pooling kernels store bf16
    results. A max pooling also takes its input as bf16 when its result is
    kept so (the maximum of values rounded to bf16 is the rounded maximum,
    which its readers take anyway); the pass walks the launches latest
    first so a pooling's result is settled before its producer asks.

    A network input that only such kernels read is converted by a kernel
    of its own (an identity `graph.reshape` whose result is kept as bf16,
    a DMA move) when the readers' estimates save twice what it costs: an
    RGB stem's stride-2 taps re-read the input rows many times over. The
    host link still carries f32.
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"snpu-edge\"",
           "Target preset or description file">,
    Option<"residuals", "residuals", "bool", /*default=*/"true",
           "Also keep as bf16 the residuals an epilogue adds">
  ];
  let dependentDialects = ["sinan::graph::GraphDialect"];
}

def FormLayerGroups : Pass<"sinan-form-layer-groups", "mlir::ModuleOp"> {
  let summary = "Runs pairs of SNPU kernels (convolutions, feed-forward "
                "products, a normalization and its product) as one kernel";
  let description = [{
    After sinan-form-snpu-kernels and sinan-snpu-bf16-activations: a launch
    of a convolution kernel the grid tiler runs (its epilogue at most a
    relu) whose result only the next launch reads, as the input of a 1x1
    convolution kernel (stride 1, with a residual add and a relu or not),
    merges with it into one kernel when the grid tiler has a plan for the
    pair (cores split output rows, one block holds every output channel of
    the first, the second's weights and blocks fit beside it) and the
    pair's estimate is below the two kernels' (docs/layer-groups.md). The
    new kernel takes the first kernel's arguments, then the second's past
    its input; its body is the two bodies in turn, so the intermediate's
    storage casts stay inside it (the pair rounds it to bf16 on chip, as
    the second convolution would on its way in). The second convolution's
    weights and bias, copied into the body for the tiler, are marked with
    the argument they stand for (`npu.argument`), which the host fallback
    (the kernel's ops in turn) reads instead. A merge is kept only when a
    copy of the merged kernel lowers to npu and its local buffers allocate
    (a group that cannot run must stay two kernels, not fail the compile).

    Then a layer normalization kernel (over the last axis) whose result
    only a matrix product kernel reads, as its left operand (a pre-norm
    transformer's LayerNorm before its QKV or feed-forward product), merges
    with it when the estimate says so: the product's tiler loads each row
    block as f32, normalizes it on the vector unit, rounds it to bf16 and
    moves it into ibuf (K in one step). That kernel takes the
    normalization's input, the product's other arguments, then the
    normalization's scale and bias; its fallback is the two ops in turn.
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"snpu-edge\"",
           "Target preset or description file">
  ];
  // (And what the trial lowering creates.)
  let dependentDialects = ["sinan::graph::GraphDialect",
                           "sinan::npu::NpuDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::arith::ArithDialect"];
}

def FormHostKernels : Pass<"sinan-form-host-kernels", "mlir::func::FuncOp"> {
  let summary = "Groups a host convolution or matrix product with its "
                "epilogue, and chains of elementwise ops, into host kernels";
  let description = [{
    In a host function (not an SNPU kernel), a `graph.conv2d` or
    `graph.matmul` takes with it, when each is the only user of the value
    before: an add of a residual (the other operand has the result's type;
    for a matrix product also a bias row, a tensor of the result's last
    dimension), then a relu or a clip. The chain becomes one
    `sched.host_kernel`, so the CPU path adds the residual and applies the
    activation to each tile before storing it (one pass over the result
    instead of three) and the reference kernels apply the same epilogue
    after the op.

    Then chains of f32 elementwise ops with a native body (the CPU path's
    `isCpuElementwise`): from each op not yet taken, the only user of the
    last op's result joins while it is such an op with a result of the same
    type (SiLU's sigmoid and mul, GELU's div, erf, add, mul, mul). A result
    used twice, or a user with a smaller or larger result (a per-channel
    gate, a broadcast), ends a chain. The chain's other operands become the
    kernel's arguments, each once. The CPU path computes the chain as one
    loop nest (reading its inputs once, writing its result once); the
    module keeps it as one `fused` step whose attributes let the reference
    kernels run it op by op. Ops alone stay as they are.
  }];
  let dependentDialects = ["sinan::sched::SchedDialect"];
}

#endif // SINAN_PLACEMENT_PASSES_TD
