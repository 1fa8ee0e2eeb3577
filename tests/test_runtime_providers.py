"""Provider options, strict-mode messages and engine cache keys: the GPU plumbing that is testable on a CPU."""

from __future__ import annotations

from pathlib import Path

import pytest

from vsgg_ros.heads.cache import (
    GpuIdentity,
    engine_key,
    onnx_digest,
    ort_trt_cache_dir,
    timing_cache_path,
    trt_engine_path,
)
from vsgg_ros.heads.iospec import IoSpec
from vsgg_ros.heads.providers import (
    CPU_EP,
    CUDA_EP,
    TRT_EP,
    ProviderError,
    check_active,
    ort_providers,
    shape_string,
    trt_profile_options,
)

SPEC = IoSpec.from_dict(
    {
        "head": "pals",
        "version": "1",
        "inputs": [
            {"name": "image", "dtype": "float32", "shape": [1, 3, 240, 320]},
            {"name": "boxes", "dtype": "float32", "shape": ["num_objects", 4]},
            {"name": "pair_idx", "dtype": "int64", "shape": ["num_pairs", 2]},
        ],
        "outputs": [{"name": "rel_logits", "dtype": "float32", "shape": ["num_pairs", 26]}],
        "dynamic_axes": {"num_objects": [2, 12, 64], "num_pairs": [1, 132, 4032]},
    }
)
H100 = GpuIdentity("NVIDIA H100 80GB HBM3", (9, 0))


def test_profile_strings_cover_only_dynamic_inputs_in_ort_format() -> None:
    assert shape_string({"a": (1, 3), "b": (7,)}) == "a:1x3,b:7"
    assert trt_profile_options(SPEC) == {
        "trt_profile_min_shapes": "boxes:2x4,pair_idx:1x2",
        "trt_profile_opt_shapes": "boxes:12x4,pair_idx:132x2",
        "trt_profile_max_shapes": "boxes:64x4,pair_idx:4032x2",
    }


def test_static_heads_get_no_profile() -> None:
    static = IoSpec.from_dict(
        {
            "head": "s",
            "version": "1",
            "inputs": [{"name": "x", "dtype": "float32", "shape": [1, 3]}],
            "outputs": [{"name": "y", "dtype": "float32", "shape": [1]}],
        }
    )
    assert trt_profile_options(static) == {}


def test_ort_trt_provider_list_order_and_options(tmp_path: Path) -> None:
    providers = ort_providers("ort-trt", SPEC, tmp_path, precision="fp16", device_id=1)
    assert [p if isinstance(p, str) else p[0] for p in providers] == [TRT_EP, CUDA_EP, CPU_EP]
    trt_options = providers[0][1]
    assert trt_options["device_id"] == 1
    assert trt_options["trt_fp16_enable"] is True
    assert trt_options["trt_engine_cache_enable"] is True
    assert trt_options["trt_engine_cache_path"] == str(tmp_path)
    assert trt_options["trt_timing_cache_enable"] is True
    assert trt_options["trt_profile_max_shapes"] == "boxes:64x4,pair_idx:4032x2"
    assert providers[1] == (CUDA_EP, {"device_id": 1})
    assert ort_providers("ort-cpu", SPEC) == [CPU_EP]


def test_provider_list_errors() -> None:
    with pytest.raises(ValueError, match="needs a cache_dir"):
        ort_providers("ort-trt", SPEC)
    with pytest.raises(ValueError, match="no onnxruntime provider list for backend 'trt'"):
        ort_providers("trt", SPEC)
    with pytest.raises(ValueError, match="precision"):
        ort_providers("ort-trt", SPEC, Path("/tmp"), precision="int8")


def test_strict_check_passes_only_when_tensorrt_runs_first() -> None:
    check_active(TRT_EP, [TRT_EP, CUDA_EP, CPU_EP], [TRT_EP, CUDA_EP, CPU_EP])
    with pytest.raises(ProviderError, match=r"is not available in the installed onnxruntime.*onnxruntime-gpu"):
        check_active(TRT_EP, [CPU_EP], ["AzureExecutionProvider", CPU_EP])
    with pytest.raises(ProviderError, match=r"built into onnxruntime but did not load.*'CUDAExecutionProvider'"):
        check_active(TRT_EP, [CUDA_EP, CPU_EP], [TRT_EP, CUDA_EP, CPU_EP])


def test_engine_key_changes_with_every_ingredient_and_only_then() -> None:
    profiles = SPEC.profile_shapes()
    base = engine_key("ab" * 32, "10.3.0", H100, "fp32", profiles)
    assert base == engine_key("ab" * 32, "10.3.0", H100, "fp32", dict(reversed(list(profiles.items()))))
    assert base.startswith("abababababab-trt10.3.0-NVIDIA_H100_80GB_HBM3-sm90-fp32-p")
    variants = [
        engine_key("cd" * 32, "10.3.0", H100, "fp32", profiles),
        engine_key("ab" * 32, "10.4.0", H100, "fp32", profiles),
        engine_key("ab" * 32, "10.3.0", GpuIdentity("Orin", (8, 7)), "fp32", profiles),
        engine_key("ab" * 32, "10.3.0", H100, "fp16", profiles),
        engine_key("ab" * 32, "10.3.0", H100, "fp32", {**profiles, "boxes": ((2, 4), (12, 4), (128, 4))}),
    ]
    assert len({base, *variants}) == 6


def test_onnx_digest_covers_external_data(tmp_path: Path) -> None:
    model = tmp_path / "model.onnx"
    model.write_bytes(b"graph")
    alone = onnx_digest(model)
    (tmp_path / "model.onnx.data").write_bytes(b"weights")
    with_data = onnx_digest(model)
    (tmp_path / "model.onnx.data").write_bytes(b"weights2")
    assert len({alone, with_data, onnx_digest(model)}) == 3


def test_cache_paths_are_versioned(tmp_path: Path) -> None:
    ort_dir = ort_trt_cache_dir(tmp_path, "pals", "ef" * 32, "1.23.2", "10.3.0", H100, "fp16")
    assert ort_dir == tmp_path / "ort-trt" / "pals" / "efefefefefef-ort1.23.2-trt10.3.0-NVIDIA_H100_80GB_HBM3-sm90-fp16"
    assert "gpu-unknown" in ort_trt_cache_dir(tmp_path, "pals", "ef" * 32, "1.23.2", "unknown", None, "fp32").name
    assert trt_engine_path(tmp_path, "pals", "k") == tmp_path / "trt" / "pals" / "k.plan"
    assert timing_cache_path(tmp_path, "10.3.0", H100).name == "timing-trt10.3.0-NVIDIA_H100_80GB_HBM3-sm90.cache"


def test_default_cache_root_honours_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from vsgg_ros.heads.cache import default_cache_root

    monkeypatch.setenv("VSGG_ENGINE_CACHE", str(tmp_path / "c"))
    assert default_cache_root() == tmp_path / "c"
    monkeypatch.delenv("VSGG_ENGINE_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert default_cache_root() == tmp_path / "x" / "vsgg_ros" / "engines"
