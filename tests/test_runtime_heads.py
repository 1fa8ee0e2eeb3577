"""HeadRuntime on ONNX Runtime CPU, strict-mode provider checks, parity replay, and the GPU-only paths.

The test head is a hand-made ONNX graph (onnx.helper) with two dynamic dims; expected outputs are computed
with plain numpy from the same weights, independently of onnxruntime.
"""

from __future__ import annotations

import importlib.util
import json
import logging
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from vsgg_ros.heads.iospec import IoSpec, IoSpecError
from vsgg_ros.heads.parity import ParityCase, ParityError, read_parity, write_parity
from vsgg_ros.heads.providers import ProviderError
from vsgg_ros.heads.runtime import HeadRuntime

RNG = np.random.default_rng(7)
WEIGHT = RNG.normal(size=(8, 3)).astype(np.float32)
BIAS = RNG.normal(size=(3,)).astype(np.float32)
IO_SPEC = {
    "head": "toy",
    "version": "1",
    "inputs": [
        {"name": "feats", "dtype": "float32", "shape": ["num_objects", 4]},
        {"name": "pair_idx", "dtype": "int64", "shape": ["num_pairs", 2]},
    ],
    "outputs": [
        {"name": "scores", "dtype": "float32", "shape": ["num_pairs", 3]},
        {"name": "feat_sum", "dtype": "float32", "shape": ["num_objects"]},
    ],
    "dynamic_axes": {"num_objects": [1, 8, 64], "num_pairs": [1, 16, 512]},
}


def reference(feats: np.ndarray, pair_idx: np.ndarray) -> dict[str, np.ndarray]:
    pairs = np.concatenate([feats[pair_idx[:, 0]], feats[pair_idx[:, 1]]], axis=1)
    return {"scores": pairs @ WEIGHT + BIAS, "feat_sum": feats.sum(axis=1)}


def toy_model() -> onnx.ModelProto:
    nodes = [
        helper.make_node("Gather", ["pair_idx", "zero"], ["subj_idx"], axis=1),
        helper.make_node("Gather", ["pair_idx", "one"], ["obj_idx"], axis=1),
        helper.make_node("Gather", ["feats", "subj_idx"], ["subj"], axis=0),
        helper.make_node("Gather", ["feats", "obj_idx"], ["obj"], axis=0),
        helper.make_node("Concat", ["subj", "obj"], ["pair"], axis=1),
        helper.make_node("MatMul", ["pair", "weight"], ["proj"]),
        helper.make_node("Add", ["proj", "bias"], ["scores"]),
        helper.make_node("ReduceSum", ["feats", "axis1"], ["feat_sum"], keepdims=0),
    ]
    inits = [
        numpy_helper.from_array(np.array(0, np.int64), "zero"),
        numpy_helper.from_array(np.array(1, np.int64), "one"),
        numpy_helper.from_array(np.array([1], np.int64), "axis1"),
        numpy_helper.from_array(WEIGHT, "weight"),
        numpy_helper.from_array(BIAS, "bias"),
    ]
    graph = helper.make_graph(
        nodes,
        "toy",
        [
            helper.make_tensor_value_info("feats", TensorProto.FLOAT, ["num_objects", 4]),
            helper.make_tensor_value_info("pair_idx", TensorProto.INT64, ["num_pairs", 2]),
        ],
        [
            helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["num_pairs", 3]),
            helper.make_tensor_value_info("feat_sum", TensorProto.FLOAT, ["num_objects"]),
        ],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    onnx.checker.check_model(model)
    return model


def sample(n: int, p: int) -> dict[str, np.ndarray]:
    return {
        "feats": RNG.normal(size=(n, 4)).astype(np.float32),
        "pair_idx": RNG.integers(0, n, size=(p, 2)).astype(np.int64),
    }


@pytest.fixture
def head(tmp_path: Path) -> Path:
    folder = tmp_path / "toy"
    folder.mkdir()
    onnx.save(toy_model(), folder / "model.onnx")
    (folder / "io_spec.json").write_text(json.dumps(IO_SPEC))
    cases = []
    for name, (n, p) in {"min": (1, 1), "mid": (5, 12), "max": (64, 512)}.items():
        inputs = sample(n, p)
        cases.append(ParityCase(name, inputs, reference(**inputs)))
    write_parity(folder / "parity.npz", cases)
    return folder


def test_ort_cpu_runs_dynamic_shapes_like_numpy(head: Path) -> None:
    rt = HeadRuntime.load(head)
    assert rt.backend == "ort-cpu"
    assert rt.active_providers == ["CPUExecutionProvider"]
    for n, p in [(2, 1), (7, 40), (64, 512)]:
        inputs = sample(n, p)
        out = rt.run(inputs)
        want = reference(**inputs)
        assert set(out) == {"scores", "feat_sum"}
        assert out["scores"].shape == (p, 3)
        np.testing.assert_allclose(out["scores"], want["scores"], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(out["feat_sum"], want["feat_sum"], rtol=1e-5, atol=1e-5)


def test_io_spec_is_exposed_as_parsed_dict(head: Path) -> None:
    rt = HeadRuntime.load(head)
    assert rt.io_spec["head"] == "toy"
    assert rt.io_spec["inputs"][1] == {"name": "pair_idx", "dtype": "int64", "shape": ["num_pairs", 2]}
    assert rt.io_spec["dynamic_axes"]["num_pairs"] == [1, 16, 512]
    assert rt.spec.profile_shapes()["feats"] == ((1, 4), (8, 4), (64, 4))


def test_parity_replay_passes_and_detects_a_corrupted_golden(head: Path) -> None:
    rt = HeadRuntime.load(head)
    report = rt.check_parity()
    assert set(report) == {"min", "mid", "max"}
    assert max(report["max"].values()) < 1e-4
    cases = read_parity(head / "parity.npz")
    bad = [ParityCase(c.name, c.inputs, {**c.outputs, "scores": c.outputs["scores"] + 0.5}) for c in cases]
    write_parity(head / "parity.npz", bad)
    with pytest.raises(ParityError, match="scores"):
        rt.check_parity()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda f: f.pop("pair_idx"), "missing \\['pair_idx'\\]"),
        (lambda f: f.update(extra=np.zeros(1)), "unexpected \\['extra'\\]"),
        (lambda f: f.update(feats=f["feats"].astype(np.float64)), "'feats': dtype float64, expected float32"),
        (lambda f: f.update(feats=f["feats"][:, :3]), "'feats' axis 1: size 3, expected 4"),
        (lambda f: f.update(feats=np.zeros((65, 4), np.float32)), "num_objects\\): size 65 outside \\[1, 64\\]"),
        (lambda f: f.update(pair_idx=f["pair_idx"][None]), "'pair_idx': rank 3"),
    ],
)
def test_bad_feeds_are_rejected_with_the_input_named(head: Path, mutate, message: str) -> None:
    rt = HeadRuntime.load(head)
    feeds = sample(4, 3)
    mutate(feeds)
    with pytest.raises(IoSpecError, match=message):
        rt.run(feeds)


def test_symbolic_dim_must_agree_across_inputs() -> None:
    spec = IoSpec.from_dict(
        {
            "head": "h",
            "version": "1",
            "inputs": [
                {"name": "a", "dtype": "float32", "shape": ["n", 2]},
                {"name": "b", "dtype": "float32", "shape": ["n"]},
            ],
            "outputs": [{"name": "y", "dtype": "float32", "shape": ["n"]}],
            "dynamic_axes": {"n": [1, 2, 9]},
        }
    )
    with pytest.raises(IoSpecError, match="n=4, another input has 3"):
        spec.check_inputs({"a": np.zeros((3, 2), np.float32), "b": np.zeros(4, np.float32)})


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"dynamic_axes": {"num_objects": [1, 8, 64]}}, "'num_pairs' has no range"),
        ({"dynamic_axes": {"num_objects": [4, 2, 64], "num_pairs": [1, 1, 1]}}, "1 <= min <= opt <= max"),
        ({"inputs": [{"name": "feats", "dtype": "float33", "shape": [1]}]}, "dtype 'float33'"),
        ({"outputs": []}, "at least one input and one output"),
    ],
)
def test_malformed_io_spec_is_rejected(patch: dict, message: str) -> None:
    with pytest.raises(IoSpecError, match=message):
        IoSpec.from_dict({**IO_SPEC, **patch})


def test_io_spec_that_disagrees_with_the_graph_is_rejected(head: Path) -> None:
    spec = json.loads((head / "io_spec.json").read_text())
    spec["inputs"][1]["name"] = "pairs"
    spec["dynamic_axes"] = IO_SPEC["dynamic_axes"]
    (head / "io_spec.json").write_text(json.dumps(spec))
    with pytest.raises(ValueError, match="do not match io_spec"):
        HeadRuntime.load(head)


def test_missing_files_and_bad_options_are_named(head: Path, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"no model\.onnx"):
        HeadRuntime.load(tmp_path)
    with pytest.raises(ValueError, match="backend must be one of"):
        HeadRuntime.load(head, "cuda")
    with pytest.raises(ValueError, match="precision must be one of"):
        HeadRuntime.load(head, precision="int8")
    with pytest.raises(FileNotFoundError, match=r"model_fp16\.onnx"):
        HeadRuntime.load(head, precision="fp16")


@pytest.mark.filterwarnings("ignore:Specified provider:UserWarning")
@pytest.mark.skipif(
    "TensorrtExecutionProvider" in ort.get_available_providers(), reason="needs the CPU-only onnxruntime wheel"
)
def test_strict_ort_trt_on_cpu_onnxruntime_names_the_missing_provider(head: Path, tmp_path: Path) -> None:
    with pytest.raises(ProviderError, match="TensorrtExecutionProvider is not available in the installed onnxruntime"):
        HeadRuntime.load(head, "ort-trt", cache_dir=tmp_path / "cache")


@pytest.mark.filterwarnings("ignore:Specified provider:UserWarning")
@pytest.mark.skipif(
    "TensorrtExecutionProvider" in ort.get_available_providers(), reason="needs the CPU-only onnxruntime wheel"
)
def test_non_strict_ort_trt_falls_back_loudly_and_still_verifies_parity(
    head: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="vsgg_ros.heads.runtime"):
        rt = HeadRuntime.load(head, "ort-trt", strict=False, cache_dir=tmp_path / "cache")
    assert rt.active_providers == ["CPUExecutionProvider"]
    assert any("TensorrtExecutionProvider" in r.getMessage() for r in caplog.records)
    assert list((tmp_path / "cache" / "ort-trt" / "toy").iterdir())  # the versioned cache folder exists


@pytest.mark.skipif(importlib.util.find_spec("tensorrt") is not None, reason="TensorRT is installed here")
def test_trt_backend_without_tensorrt_is_a_clear_error(head: Path, tmp_path: Path) -> None:
    with pytest.raises(ProviderError, match="backend 'trt' needs TensorRT 10"):
        HeadRuntime.load(head, "trt", cache_dir=tmp_path)


def _has_gpu_tensorrt() -> bool:
    return importlib.util.find_spec("tensorrt") is not None and importlib.util.find_spec("cuda") is not None


GPU_REASON = "needs a CUDA GPU with TensorRT 10 + cuda-bindings (the `gpu` extra); this machine has neither"


@pytest.mark.gpu
@pytest.mark.skipif(not _has_gpu_tensorrt(), reason=GPU_REASON)
@pytest.mark.parametrize("backend", ["trt", "ort-trt"])
def test_tensorrt_backends_reproduce_numpy_and_cache_engines(head: Path, tmp_path: Path, backend: str) -> None:
    if backend == "ort-trt" and "TensorrtExecutionProvider" not in ort.get_available_providers():
        pytest.skip("onnxruntime-gpu with the TensorRT provider is not installed")
    rt = HeadRuntime.load(head, backend, cache_dir=tmp_path)  # strict: TensorRT active + parity replayed
    inputs = sample(9, 30)
    want = reference(**inputs)
    out = rt.run(inputs)
    np.testing.assert_allclose(out["scores"], want["scores"], rtol=1e-3, atol=1e-3)
    assert any(p.suffix in (".plan", ".engine") or "trt" in p.name for p in tmp_path.rglob("*") if p.is_file())
    rt.close()
    again = HeadRuntime.load(head, backend, cache_dir=tmp_path)  # second load hits the cache
    np.testing.assert_allclose(again.run(inputs)["scores"], want["scores"], rtol=1e-3, atol=1e-3)
