"""onnxruntime execution-provider lists for each backend, and the check that they really took effect.

onnxruntime falls back to the CPU *silently* when the TensorRT or CUDA provider cannot load (missing
libraries, no GPU, a CPU-only wheel): the session is created and runs, only slower. On a GPU robot that
is a deployment bug, so strict mode turns it into an error that names the provider that is missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from vsgg_ros.heads.iospec import IoSpec

TRT_EP = "TensorrtExecutionProvider"
CUDA_EP = "CUDAExecutionProvider"
CPU_EP = "CPUExecutionProvider"
BACKENDS = ("ort-cpu", "ort-trt", "trt")
PRECISIONS = ("fp32", "fp16")
ProviderList = list[str | tuple[str, dict[str, Any]]]


class ProviderError(RuntimeError):
    """The requested accelerator is not what actually runs the model."""


def shape_string(shapes: Mapping[str, tuple[int, ...]]) -> str:
    """onnxruntime's profile format: ``name:1x3x240x320,other:5x4``."""
    return ",".join(f"{name}:{'x'.join(str(d) for d in shape)}" for name, shape in shapes.items())


def trt_profile_options(spec: IoSpec) -> dict[str, str]:
    """``trt_profile_{min,opt,max}_shapes`` for the dynamic inputs; empty when every input is static."""
    profiles = {name: triple for name, triple in spec.profile_shapes().items() if spec.is_dynamic(name)}
    if not profiles:
        return {}
    return {
        f"trt_profile_{kind}_shapes": shape_string({name: triple[k] for name, triple in profiles.items()})
        for k, kind in enumerate(("min", "opt", "max"))
    }


def trt_ep_options(
    spec: IoSpec, cache_dir: Path, precision: str = "fp32", device_id: int = 0, workspace_bytes: int = 1 << 30
) -> dict[str, Any]:
    """TensorRT EP options: engine + timing caches in ``cache_dir`` and the io_spec's profile."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    options: dict[str, Any] = {
        "device_id": device_id,
        "trt_max_workspace_size": workspace_bytes,
        "trt_fp16_enable": precision == "fp16",
        "trt_engine_cache_enable": True,
        "trt_engine_cache_path": str(cache_dir),
        "trt_timing_cache_enable": True,
        "trt_timing_cache_path": str(cache_dir),
    }
    options.update(trt_profile_options(spec))
    return options


def ort_providers(
    backend: str, spec: IoSpec, cache_dir: Path | None = None, precision: str = "fp32", device_id: int = 0
) -> ProviderList:
    """Provider list in priority order: TensorRT, then CUDA for what TensorRT rejects, then CPU."""
    if backend == "ort-cpu":
        return [CPU_EP]
    if backend == "ort-trt":
        if cache_dir is None:
            raise ValueError("ort-trt needs a cache_dir for its engine and timing caches")
        return [
            (TRT_EP, trt_ep_options(spec, cache_dir, precision, device_id)),
            (CUDA_EP, {"device_id": device_id}),
            CPU_EP,
        ]
    raise ValueError(f"no onnxruntime provider list for backend {backend!r}; onnxruntime backends: ort-cpu, ort-trt")


def check_active(
    requested: str, active: Sequence[str], available: Sequence[str], *, package: str = "onnxruntime"
) -> None:
    """Raise :class:`ProviderError` unless ``requested`` is the first active provider.

    The message says whether the provider is not even built into the installed onnxruntime (wrong wheel)
    or was built in but failed to load (libraries, driver or GPU), the two ways a robot ends up here.
    """
    if active and active[0] == requested:
        return
    if requested not in available:
        cause = (
            f"{requested} is not available in the installed {package} (available: {list(available)}); "
            "install onnxruntime-gpu (the `gpu` extra) instead of the CPU onnxruntime wheel"
        )
    else:
        cause = (
            f"{requested} is built into {package} but did not load (active: {list(active)}); "
            "check the CUDA/cuDNN/TensorRT libraries, the driver and that a GPU is visible"
        )
    raise ProviderError(
        f"strict mode: the session would run on {list(active) or ['nothing']}, not {requested}: {cause}"
    )
