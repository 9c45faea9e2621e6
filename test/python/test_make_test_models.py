# SPDX-License-Identifier: Apache-2.0
"""The test-model generator builds valid, deterministic models whose
onnxruntime results match an independent NumPy evaluation."""

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

import make_test_models as mtm


def numpy_conv2d(x, w, b, pad):
    """Direct NCHW convolution, stride 1, symmetric padding."""
    n, c, h, wd = x.shape
    m, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = h + 2 * pad - kh + 1, wd + 2 * pad - kw + 1
    out = np.zeros((n, m, oh, ow), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i:i + oh, j:j + ow]
            out += np.einsum("nchw,mc->nmhw", patch, w[:, :, i, j])
    return out + b.reshape(1, m, 1, 1)


@pytest.mark.parametrize("name", sorted(mtm.MODELS))
def test_models_pass_full_checker(name):
    model = mtm.build(name)
    onnx.checker.check_model(model, full_check=True)
    assert all(node.name for node in model.graph.node), "nodes must be named"


@pytest.mark.parametrize("name", sorted(mtm.MODELS))
def test_models_are_deterministic(name):
    assert (mtm.build(name).SerializeToString()
            == mtm.build(name).SerializeToString())


def test_tiny_cnn_matches_numpy_reference():
    model = mtm.build("tiny_cnn")
    weights = {t.name: numpy_helper.to_array(t)
               for t in model.graph.initializer}
    inputs = mtm.sample_inputs(model)
    got = mtm.expected_outputs(model, inputs)["y"]

    x = inputs["x"].astype(np.float64)
    conv = numpy_conv2d(x, weights["w"].astype(np.float64),
                        weights["b"].astype(np.float64), pad=1)
    flat = np.maximum(conv, 0).reshape(1, -1)
    want = flat @ weights["fc"].astype(np.float64) + weights["fc_b"]
    assert got.shape == (1, 10)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_cli_writes_model_and_expected(tmp_path):
    assert mtm.main([str(tmp_path), "--with-expected", "--only", "tiny_cnn"]) == 0
    model = onnx.load(tmp_path / "tiny_cnn.onnx")
    assert model.graph.name == "tiny_cnn"
    data = np.load(tmp_path / "tiny_cnn.npz")
    assert set(data.files) == {"x", "y"}
    assert data["y"].shape == (1, 10)
