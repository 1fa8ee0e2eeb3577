"""Facts about the local GPU stack that engine caches are keyed by; every probe is optional and lazy.

Nothing here imports CUDA or TensorRT at module import time, so CPU-only machines can import the runtime.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

from vsgg_ros.heads.cache import GpuIdentity


def cudart() -> Any:
    """The CUDA runtime bindings (``cuda-bindings``, the ``gpu`` extra); ImportError when absent."""
    try:
        from cuda.bindings import runtime
    except ImportError:
        from cuda import cudart as runtime  # older cuda-python layout
    return runtime


def tensorrt_version() -> str | None:
    try:
        import tensorrt
    except ImportError:
        return None
    return str(tensorrt.__version__)


def gpu_identity(device_id: int = 0) -> GpuIdentity | None:
    """Name and compute capability of GPU ``device_id``: from cudart, else nvidia-smi, else None."""
    try:
        rt = cudart()
        err, props = rt.cudaGetDeviceProperties(device_id)
        if int(err) == 0:
            name = props.name.decode() if isinstance(props.name, bytes) else str(props.name)
            return GpuIdentity(name.rstrip("\x00").strip(), (int(props.major), int(props.minor)))
    except ImportError:
        pass
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return None
    try:
        out = subprocess.run(
            [smi, f"--id={device_id}", "--query-gpu=name,compute_cap", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        name, cap = (s.strip() for s in out.splitlines()[0].rsplit(",", 1))
        major, minor = cap.split(".")
        return GpuIdentity(name, (int(major), int(minor)))
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None
