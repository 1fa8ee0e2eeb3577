"""TraSeR dual resampler ONNX export: dynamic objects/tokens/windows, ONNX Runtime parity with torch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
import torch
from vsgg_training.onnx_tools import check_operators
from vsgg_training.traser.export import DYNAMIC, PARITY_TOL, export_model
from vsgg_training.traser.model import DualResampler, ResamplerConfig

from vsgg_ros.heads.iospec import IoSpec
from vsgg_ros.heads.parity import compare, read_parity
from vsgg_ros.heads.runtime import HeadRuntime

CFG = ResamplerConfig(d_in=12, d_model=16, d_out=10, heads=2, layers=2, latents=3, window_latents=2, ffn_mult=2)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    torch.manual_seed(0)
    out = tmp_path_factory.mktemp("traser")
    return out, export_model(DualResampler(CFG), out)


def test_export_writes_clean_graph_and_spec(exported: tuple[Path, dict[str, Any]]) -> None:
    out, report = exported
    assert report["banned_ops"] == []
    assert check_operators(onnx.load(str(out / "model.onnx"))) == []
    spec = IoSpec.load(out / "io_spec.json")
    assert spec.head == "traser"
    assert spec.dynamic_axes == DYNAMIC
    assert spec.output_names == ("object_latents", "window_latents", "window_present")


def test_ort_matches_torch_over_dynamic_shapes(exported: tuple[Path, dict[str, Any]]) -> None:
    _, report = exported
    assert set(report["parity_max_abs"]) == {"1x1x1", "4x24x5", "6x40x9"}
    assert max(report["parity_max_abs"].values()) <= PARITY_TOL


def test_head_runtime_reproduces_parity_cases(exported: tuple[Path, dict[str, Any]]) -> None:
    out, _ = exported
    runtime = HeadRuntime.load(out, "ort-cpu")
    cases = read_parity(out / "parity.npz")
    assert {c.name for c in cases} == {"min", "typ"}
    for case in cases:
        got = runtime.run(case.inputs)
        compare(case.outputs, got, atol=PARITY_TOL, rtol=0.0)
        assert np.all(got["window_latents"][got["window_present"] == 0] == 0)
