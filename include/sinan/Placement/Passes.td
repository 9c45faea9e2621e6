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
    Option<"hostGflops", "host-gflops", "double", /*default=*/"10.0",
           "Assumed host speed for matrix products and convolutions">,
    Option<"hostGbps", "host-gbps", "double", /*default=*/"10.0",
           "Assumed host memory speed for other ops, GB/s">
  ];
}

#endif // SINAN_PLACEMENT_PASSES_TD
