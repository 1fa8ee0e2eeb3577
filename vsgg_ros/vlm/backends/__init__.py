"""VLM backends: one interface, raw text out; the shared TOON decoder reads it (``vsgg_ros.vlm.assembly``).

``vllm-server`` (robot default; stdlib HTTP), ``vllm-offline`` (in-process AsyncLLM) and ``transformers``
(CPU tests with tiny random VLMs). Only ``make_backend`` knows the names; heavy imports stay inside the
backend modules that need them.
"""

from __future__ import annotations

from vsgg_ros.vlm.backends.base import BackendError, BackendReply, RequestCancelled, VlmBackend

BACKENDS = ("vllm-server", "vllm-offline", "transformers")

__all__ = ["BACKENDS", "BackendError", "BackendReply", "RequestCancelled", "VlmBackend", "make_backend"]


def make_backend(name: str, **options: object) -> VlmBackend:
    """The backend called ``name`` built from keyword options (see each backend's constructor)."""
    if name == "vllm-server":
        from vsgg_ros.vlm.backends.server import VllmServerBackend

        return VllmServerBackend(**options)  # type: ignore[arg-type]
    if name == "vllm-offline":
        from vsgg_ros.vlm.backends.offline import VllmOfflineBackend

        return VllmOfflineBackend(**options)  # type: ignore[arg-type]
    if name == "transformers":
        from vsgg_ros.vlm.backends.hf import TransformersBackend

        return TransformersBackend.from_options(**options)  # type: ignore[arg-type]
    raise ValueError(f"VLM backend must be one of {BACKENDS}, got {name!r}")
