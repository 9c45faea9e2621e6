#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Builds Sinan's small ONNX test models with the onnx package's helpers.

No model is downloaded: each one is constructed here from fixed seeds, so the
same command always writes byte-identical files. Usage:

    scripts/make_test_models.py OUT_DIR [--with-expected]

writes OUT_DIR/<name>.onnx and, with --with-expected, OUT_DIR/<name>.npz
holding inputs and the outputs onnxruntime computes for them.
"""

import argparse
import pathlib
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# Opset the generated models declare; within what the pinned onnx supports.
OPSET = 17


def _init(name, array):
    return numpy_helper.from_array(np.ascontiguousarray(array), name)


def tiny_cnn():
    """Conv(3x3, pad 1) -> Relu -> Flatten -> MatMul + Add: 1x3x8x8 -> 1x10."""
    rng = np.random.default_rng(1)
    w = rng.standard_normal((4, 3, 3, 3), dtype=np.float32) * 0.3
    b = rng.standard_normal((4,), dtype=np.float32) * 0.1
    fc = rng.standard_normal((4 * 8 * 8, 10), dtype=np.float32) * 0.05
    fc_b = rng.standard_normal((10,), dtype=np.float32) * 0.1
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["conv"], name="conv0",
                         pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        helper.make_node("Relu", ["conv"], ["relu"], name="relu0"),
        helper.make_node("Flatten", ["relu"], ["flat"], name="flatten0", axis=1),
        helper.make_node("MatMul", ["flat", "fc"], ["mm"], name="fc0"),
        helper.make_node("Add", ["mm", "fc_b"], ["y"], name="fc0_bias"),
    ]
    graph = helper.make_graph(
        nodes, "tiny_cnn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])],
        initializer=[_init("w", w), _init("b", b), _init("fc", fc),
                     _init("fc_b", fc_b)])
    return graph


MODELS = {"tiny_cnn": tiny_cnn}


def build(name):
    """Returns the checked ModelProto for `name`."""
    graph = MODELS[name]()
    model = helper.make_model(
        graph, producer_name="sinan-make-test-models",
        opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


def sample_inputs(model, seed=0):
    """Deterministic inputs for every graph input of `model`."""
    rng = np.random.default_rng(seed)
    inputs = {}
    for value in model.graph.input:
        dims = [d.dim_value for d in value.type.tensor_type.shape.dim]
        inputs[value.name] = rng.standard_normal(dims).astype(np.float32)
    return inputs


def expected_outputs(model, inputs):
    import onnxruntime as ort

    session = ort.InferenceSession(model.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, inputs)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=pathlib.Path)
    parser.add_argument("--with-expected", action="store_true",
                        help="also write inputs and onnxruntime outputs (.npz)")
    parser.add_argument("--only", choices=sorted(MODELS), action="append",
                        help="build only this model (repeatable)")
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for name in args.only or sorted(MODELS):
        model = build(name)
        path = args.out_dir / f"{name}.onnx"
        path.write_bytes(model.SerializeToString())
        print(f"wrote {path}")
        if args.with_expected:
            inputs = sample_inputs(model)
            outputs = expected_outputs(model, inputs)
            np.savez(args.out_dir / f"{name}.npz", **inputs, **outputs)
            print(f"wrote {args.out_dir / (name + '.npz')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
