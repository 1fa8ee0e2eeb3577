"""Where TensorRT engines and timing caches live, and the keys that make a stale one impossible to load.

An engine is valid only for the exact ONNX bytes, TensorRT version, GPU model (compute capability),
precision and optimisation profile it was built with; all of them go into the key, so an upgrade or a
new model simply misses the cache instead of loading a wrong engine. Engines are build products on the
robot, never committed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ENV_CACHE_DIR = "VSGG_ENGINE_CACHE"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class GpuIdentity:
    """What an engine is specific to: the device model and its compute capability."""

    name: str
    compute_capability: tuple[int, int]

    @property
    def tag(self) -> str:
        return f"{_slug(self.name)}-sm{self.compute_capability[0]}{self.compute_capability[1]}"


def default_cache_root() -> Path:
    """``$VSGG_ENGINE_CACHE``, else ``$XDG_CACHE_HOME/vsgg_ros/engines`` (``~/.cache`` by default)."""
    env = os.environ.get(ENV_CACHE_DIR)
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "vsgg_ros" / "engines"


def onnx_digest(model: Path) -> str:
    """sha256 over the ONNX file and its external-data file (``<name>.data``) when present."""
    h = hashlib.sha256()
    for path in (model, model.with_name(model.name + ".data")):
        if not path.is_file():
            continue
        h.update(path.name.encode())
        with path.open("rb") as f:
            while chunk := f.read(_CHUNK):
                h.update(chunk)
    return h.hexdigest()


def profile_digest(profiles: Mapping[str, tuple[tuple[int, ...], ...]]) -> str:
    canonical = json.dumps({k: [list(s) for s in v] for k, v in sorted(profiles.items())}, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def engine_key(
    onnx_sha256: str,
    trt_version: str,
    gpu: GpuIdentity,
    precision: str,
    profiles: Mapping[str, tuple[tuple[int, ...], ...]],
) -> str:
    """A readable, collision-safe name: ``<onnx12>-trt<ver>-<gpu>-<precision>-p<profile12>``."""
    return "-".join(
        [onnx_sha256[:12], f"trt{_slug(trt_version)}", gpu.tag, _slug(precision), f"p{profile_digest(profiles)}"]
    )


def ort_trt_cache_dir(
    root: Path, head: str, onnx_sha256: str, ort_version: str, trt_version: str, gpu: GpuIdentity | None, precision: str
) -> Path:
    """Folder for onnxruntime's TensorRT EP engine and timing caches, versioned the same way.

    ORT reuses whatever engine it finds in the folder (its own key covers the model, not TensorRT or the
    GPU), so the folder name carries everything ORT's key leaves out.
    """
    gpu_tag = gpu.tag if gpu is not None else "gpu-unknown"
    name = "-".join(
        [onnx_sha256[:12], f"ort{_slug(ort_version)}", f"trt{_slug(trt_version)}", gpu_tag, _slug(precision)]
    )
    return root / "ort-trt" / _slug(head) / name


def trt_engine_path(root: Path, head: str, key: str) -> Path:
    return root / "trt" / _slug(head) / f"{key}.plan"


def timing_cache_path(root: Path, trt_version: str, gpu: GpuIdentity) -> Path:
    """One timing cache per TensorRT version and GPU, shared by every head (it stores kernel timings)."""
    return root / "trt" / f"timing-trt{_slug(trt_version)}-{gpu.tag}.cache"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "_", text.strip()).strip("_") or "none"
