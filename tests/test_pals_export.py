"""The committed PALS export: ONNX Runtime matches torch at min/typical/max sizes, parity.npz replays,
the operator check catches what TensorRT handles badly, io_spec is complete."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch parity needs the training extra")
ort = pytest.importorskip("onnxruntime", reason="needs the cpu extra (onnxruntime)")
onnx = pytest.importorskip("onnx", reason="needs the training extra (onnx)")

from vsgg_training.onnx_tools import check_operators  # noqa: E402
from vsgg_training.pals.export import OUTPUTS, example_inputs, load_model, torch_outputs  # noqa: E402
from vsgg_training.pals.model import PalsStreamingGraph  # noqa: E402

FOLDER = Path(__file__).resolve().parents[1] / "models" / "pals-synth"


@pytest.fixture(scope="module")
def runtime() -> tuple[PalsStreamingGraph, ort.InferenceSession]:
    graph = PalsStreamingGraph(load_model(FOLDER / "model.pt")).eval()
    session = ort.InferenceSession(str(FOLDER / "model.onnx"), providers=["CPUExecutionProvider"])
    return graph, session


@pytest.mark.parametrize(("objects", "pairs", "window"), [(1, 1, 1), (2, 1, 3), (20, 36, 3), (64, 256, 15)])
def test_onnx_matches_torch(
    runtime: tuple[PalsStreamingGraph, ort.InferenceSession], objects: int, pairs: int, window: int
) -> None:
    graph, session = runtime
    inputs = example_inputs(graph.model.cfg, objects, pairs, window, seed=objects + 7)
    got = dict(zip(OUTPUTS, session.run(list(OUTPUTS), inputs), strict=True))
    ref = torch_outputs(graph, inputs)
    for name in OUTPUTS:
        assert got[name].shape == ref[name].shape
        assert np.abs(got[name] - ref[name]).max() <= 1e-4, name


def test_parity_file_replays_on_both_precisions() -> None:
    from vsgg_ros.heads.parity import read_parity
    from vsgg_ros.heads.runtime import HeadRuntime

    (case,) = read_parity(FOLDER / "parity.npz")
    for path, tol in (("model.onnx", 1e-4), ("model_fp16.onnx", 2e-2)):
        session = ort.InferenceSession(str(FOLDER / path), providers=["CPUExecutionProvider"])
        for name, value in zip(OUTPUTS, session.run(list(OUTPUTS), case.inputs), strict=True):
            assert np.abs(value - case.outputs[name]).max() <= tol, (path, name)
    for precision in ("fp32", "fp16"):
        HeadRuntime.load(FOLDER, "ort-cpu", precision=precision).check_parity()  # raises on mismatch


def test_export_has_no_trt_unfriendly_ops_and_the_check_finds_them() -> None:
    assert check_operators(onnx.load(str(FOLDER / "model.onnx"))) == []
    x = onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [3])
    y = onnx.helper.make_tensor_value_info("y", onnx.TensorProto.INT64, [1, None])
    s = onnx.helper.make_tensor_value_info("s", onnx.TensorProto.FLOAT, [None])
    nodes = [onnx.helper.make_node("NonZero", ["x"], ["y"]), onnx.helper.make_node("SequenceEmpty", [], ["q"]),
             onnx.helper.make_node("Relu", ["x"], ["s"])]  # fmt: skip
    bad = onnx.helper.make_model(onnx.helper.make_graph(nodes, "g", [x], [y, s]))
    assert check_operators(bad) == ["NonZero", "SequenceEmpty"]


def test_io_spec_names_every_graph_input_and_output() -> None:
    spec = json.loads((FOLDER / "io_spec.json").read_text())
    model = onnx.load(str(FOLDER / "model.onnx"))
    assert [i["name"] for i in spec["inputs"]] == [i.name for i in model.graph.input]
    assert [o["name"] for o in spec["outputs"]] == [o.name for o in model.graph.output]
    assert spec["head"] == "pals" and spec["vocabulary"] == "ag" and spec["image_size"] == [320, 240]
    assert set(spec["dynamic_axes"]) == {"num_objects", "num_pairs", "window"}
    for name, (lo, opt, hi) in spec["dynamic_axes"].items():
        assert 1 <= lo <= opt <= hi, name
