//===- Passes.td - Graph dialect passes --------------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef SINAN_DIALECT_GRAPH_TRANSFORMS_PASSES_TD
#define SINAN_DIALECT_GRAPH_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def GraphFoldConvAffine : Pass<"graph-fold-conv-affine"> {
  let summary = "Folds per-channel scales and shifts into convolution weights";
  let description = [{
    Rewrites `conv2d(x, W, b) * s + t`, where `s` and `t` are constants that
    vary only along the output channel (an inference-mode BatchNormalization
    after import), into `conv2d(x, W * s, b * s + t)`. The weights and bias
    must be constants; the product is rounded once per weight in the
    weight's element type, so results can differ from the unfused graph by
    rounding (the usual BatchNorm-folding trade).
  }];
  let dependentDialects = ["sinan::graph::GraphDialect"];
}

def GraphPatchifyConv : Pass<"graph-patchify-conv"> {
  let summary = "Makes a convolution over non-overlapping patches a product";
  let description = [{
    A convolution whose kernel is its stride (P x Q at stride P, Q; no
    padding or dilation, one group, constant weights, the image a whole
    number of patches, P x Q >= 64: a vision transformer's patch
    embedding, 16 x 16 at stride 16) reads each input element once; it is
    the product of the image's patches, as rows of C x P x Q, with the
    weights as a [C x P x Q, F] constant:

    ```
    reshape [N, C, H/P, P, W/Q, Q] -> transpose (0, 2, 4, 1, 3, 5)
      -> reshape [N x H/P x W/Q, C x P x Q] -> matmul (+ bias)
      -> reshape [N, H/P, W/Q, F] -> transpose (0, 3, 1, 2)
    ```

    When the convolution's result is flattened and transposed to tokens
    (`reshape [N, F, H/P x W/Q]`, `transpose (0, 2, 1)`, torchvision's
    ViT) the product's rows are those tokens already: one reshape. The
    sums are the same products in another order (the SNPU's and the
    host's in their own). The compile pipeline runs it on SNPU targets,
    where the convolution gathered each core's patches' rows of P
    elements for every block of output channels.
  }];
  let dependentDialects = ["sinan::graph::GraphDialect"];
}

def GraphDecompose : Pass<"graph-decompose"> {
  let summary = "Expands composite graph ops into the elementwise and "
                "reduction ops they are defined by";
  let description = [{
    `graph.layer_norm` becomes `reduce_mean`, `sub`, `mul`, `add`, `sqrt`,
    `reciprocal`, `mul` (and `add` for a bias), `graph.rms_norm` and
    `graph.group_norm` likewise (group normalization over a reshape of the
    channels into groups), `graph.gelu` its `erf` (or `tanh`) formula and
    `graph.attention` its products, masks and softmax. The ops come out in the order, and with the
    constants, that the reference kernels use, so the expanded graph
    computes the same values bit for bit. The import keeps these ops whole
    so that a backend may run them in one kernel; the compile pipeline
    expands them before placement for the backends that want the pieces.
    `graph.avg_pool2d` (floor mode) becomes the depthwise `graph.conv2d`
    with every weight 1, which sums each window in the reference's order,
    then a `graph.div` by each window's count (a constant, or a map over
    the output's rows and columns), the reference's division; when every
    window counts the same power of two of positions the weights are
    `1 / count` instead (exact scaling) and there is no division. Only when
    `ops` names it (the SNPU runs these; the host has a pooling kernel).
    `graph.lrn` becomes the squares, their sums over each channel's window
    as a 1x1 `graph.conv2d` with a band of ones, then
    `x * exp(-beta * log(sums * alpha / size + bias))`: not the reference's
    roundings (its power and division), so only when `ops` names it too.
    `graph.resize` of an NCHW image becomes the product of its rows with
    the matrix of the reference's taps for the width (`ref::resizeTaps`),
    then each row repeated (a `graph.concat`) for an integer nearest
    upsampling of the height, or for any other height a batch of products
    of the [oh x h] matrix of its taps with each image's rows (the matrix
    replicated over the images, at most 4 MiB of it); also only when named. The
    products of both expansions carry `sinan.network_macs = 0`.
    `graph.conv_transpose2d` with constant f32 weights becomes the
    `graph.conv2d` of its zero-inserted input (a reshape, a `graph.pad`
    after each element, a reshape; then padded by `d (k - 1) - p`, cropped
    by a `graph.slice` where that is negative) with the weights turned to
    `[Cout, Cin / g]` and flipped: the same nonzero products, summed in
    the convolution's order (so within f32 rounding of the reference, not
    bit for bit): the host's convolution is native code.
    `ops` limits the expansion to the listed op names (default: all but
    `avg_pool2d`, `lrn` and `resize`);
    `placed` to the ops sinan-place put on that side (its
    `sinan.placement` attribute), whose pieces get the same placement: the
    compile pipeline keeps a normalization whole for the SNPU, which runs
    it in one kernel, and expands the ones placed on the host after
    placement.
  }];
  let options = [
    ListOption<"ops", "ops", "std::string",
               "Op names to expand (layer_norm, rms_norm, group_norm, gelu, "
               "attention, conv_transpose2d, avg_pool2d, lrn, resize); "
               "empty: all but avg_pool2d, lrn and resize">,
    Option<"placed", "placed", "std::string", /*default=*/"\"\"",
           "Expand only the ops placed on this side (cpu or snpu); their "
           "pieces take the same placement. Empty: every op">
  ];
  let dependentDialects = ["sinan::graph::GraphDialect"];
}

#endif // SINAN_DIALECT_GRAPH_TRANSFORMS_PASSES_TD
