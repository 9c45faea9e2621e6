# SPDX-License-Identifier: Apache-2.0
"""The differential tester's generator and minimizer (tools/sinan-difftest):
graphs are valid, reproducible from their seed, run on onnxruntime with
finite results, and delta debugging finds a minimal failing subset."""
import pathlib
import sys

import numpy as np
import onnxruntime as ort

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] /
                       "tools" / "sinan-difftest"))

from difftest import generator, minimize, paths  # noqa: E402


def test_graphs_are_valid_and_finite():
    ort.set_default_logger_severity(3)
    ops = set()
    for seed in range(60):
        graph, outputs = generator.generate(seed, prefix=f"g{seed}_")
        model, feeds = generator.to_model([(graph, outputs)])  # Checks shapes.
        results = paths.run_ort(model.SerializeToString(), feeds)
        assert all(np.isfinite(v).all() for v in results.values()), seed
        ops.update(n.op_type for n in graph.nodes)
    # The mix covers the kinds of op the generator knows.
    for op in ("Conv", "MatMul", "Softmax", "Transpose", "Add",
               "ConvTranspose", "Resize", "Split"):
        assert op in ops


def test_same_seed_same_graph():
    a, _ = generator.generate(7)
    b, _ = generator.generate(7)
    assert [n.SerializeToString() for n in a.nodes] == \
        [n.SerializeToString() for n in b.nodes]
    assert all(np.array_equal(a.feeds[k], b.feeds[k]) for k in a.feeds)


def test_batched_graphs_keep_their_outputs():
    graphs = [generator.generate(s, prefix=f"g{s}_") for s in (1, 2, 3)]
    model, feeds = generator.to_model(graphs)
    names = {o.name for o in model.graph.output}
    assert names == {o for _, outs in graphs for o in outs}


def test_subgraph_feeds_dropped_producers():
    graph, _ = generator.generate(11)
    last = len(graph.nodes) - 1
    model, feeds = minimize.subgraph(graph, [last])
    # The kept node's inputs that no kept node produces are fed.
    assert set(feeds) == {i.name for i in model.graph.input}
    paths.run_ort(model.SerializeToString(), feeds)


def test_ddmin_finds_the_culprits():
    items = list(range(20))
    assert minimize.ddmin(items, lambda s: 3 in s and 17 in s) == [3, 17]


def test_compare_widens_on_ill_conditioned_outputs():
    want = {"y": np.array([1.0, 2.0], np.float32)}
    got = {"y": np.array([1.001, 2.0], np.float32)}
    assert paths.compare("cpu", got, want, paths.F32)
    # Perturbed inputs moved the output as much: the graph, not Sinan.
    moved = {"y": np.array([1.0005, 2.0], np.float32)}
    assert not paths.compare("cpu", got, want, paths.F32, moved)


def test_shrink_dimensions_keeps_the_graph_valid():
    from onnx import TensorProto, helper
    weights = helper.make_tensor("w", TensorProto.FLOAT, [4, 3, 3, 3],
                                 np.ones(108, np.float32))
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["r"]),
         helper.make_node("Conv", ["r", "w"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 9, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4, 7, 6])],
        [weights])
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", generator.OPSET)])
    model.ir_version = 8
    feeds = {"x": np.arange(2 * 3 * 9 * 8, dtype=np.float32).reshape(
        2, 3, 9, 8)}
    tried = []

    def fails(m, f):
        tried.append(tuple(f["x"].shape))
        try:  # As the runner's: a graph onnxruntime refuses does not fail.
            paths.run_ort(m.SerializeToString(), f)
        except Exception:  # noqa: BLE001
            return False
        # The failure needs at least 4 rows.
        return f["x"].shape[2] >= 4
    small, small_feeds = minimize.shrink_dimensions(model, feeds, fails)
    shape = [d.dim_value for d in small.graph.input[0].type.tensor_type.shape.dim]
    # Batch to 1; channels tied to the weights; rows halved while the
    # failure shows (9 -> 4), columns to the kernel (8 -> 4 -> 3 is not a
    # half: 4 stays, as 2 and 1 are smaller than the kernel).
    assert shape == [1, 3, 4, 4], shape
    assert small_feeds["x"].shape == (1, 3, 4, 4)
    assert np.array_equal(small_feeds["x"], feeds["x"][:1, :, :4, :4])
    out = [d.dim_value for d in small.graph.output[0].type.tensor_type.shape.dim]
    assert out == [1, 4, 2, 2]
    assert (2, 3, 9, 8) not in tried  # Only smaller candidates are tried.


def test_second_opinion_evaluates_the_cone_only():
    graphs = [generator.generate(s, prefix=f"g{s}_") for s in (4, 5)]
    model, feeds = generator.to_model(graphs)
    name = graphs[1][1][0]
    cone = paths.cone(model.SerializeToString(), [name])
    assert [o.name for o in cone.graph.output] == [name]
    assert all(n.name.startswith("g5_") for n in cone.graph.node)
    want = paths.run_ort(model.SerializeToString(), feeds)[name]
    got = paths.second_opinion(model.SerializeToString(), feeds, [name])
    np.testing.assert_allclose(got[name], want, rtol=1e-4, atol=1e-5)


def test_subgraph_refuses_invalid_remainders():
    # A Where whose boolean mask's producer (Greater) is dropped would read
    # a float input: no subgraph rather than an exception.
    for seed in range(200):
        graph, _ = generator.generate(seed)
        for i, node in enumerate(graph.nodes):
            if node.op_type == "Where":
                keep = [j for j in range(len(graph.nodes))
                        if graph.nodes[j].op_type != "Greater"]
                assert minimize.subgraph(graph, keep) is None
                return
    raise AssertionError("no Where in 200 graphs")
