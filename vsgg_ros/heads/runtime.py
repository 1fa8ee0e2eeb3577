"""HeadRuntime: one loader for every exported head, on ONNX Runtime (CPU or TensorRT EP) or native TensorRT.

A head ships as a folder ``models/<head>/`` holding ``model.onnx`` (optionally ``model_fp16.onnx``),
``io_spec.json`` and ``parity.npz``. Heads code against :meth:`HeadRuntime.run` with numpy arrays and
never see which backend runs them. On a GPU backend the runtime is *strict* by default: if TensorRT is
not what actually executes the model, or the golden parity outputs are not reproduced, it refuses to
start rather than running silently slow or wrong.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from vsgg_ros.heads.cache import default_cache_root, onnx_digest, ort_trt_cache_dir
from vsgg_ros.heads.device import gpu_identity, tensorrt_version
from vsgg_ros.heads.iospec import IoSpec
from vsgg_ros.heads.parity import ParityError, compare, read_parity
from vsgg_ros.heads.providers import BACKENDS, PRECISIONS, TRT_EP, ProviderError, check_active, ort_providers

log = logging.getLogger(__name__)

#: (atol, rtol) for parity replay; TensorRT fp32 may use TF32 kernels, hence not 1e-5.
DEFAULT_TOLERANCE = {"fp32": (1e-3, 1e-3), "fp16": (2e-2, 2e-2)}


class HeadRuntime:
    """A loaded head: validated feeds in, named numpy outputs out."""

    def __init__(
        self, folder: Path, spec: IoSpec, backend: str, precision: str, executor: Any, active: list[str]
    ) -> None:
        self.folder = folder
        self.spec = spec
        self.backend = backend
        self.precision = precision
        self.active_providers = active
        self._executor = executor

    @classmethod
    def load(
        cls,
        folder: Path,
        backend: str = "ort-cpu",
        *,
        strict: bool | None = None,
        precision: str = "fp32",
        cache_dir: Path | None = None,
        threads: int | None = None,
        device_id: int = 0,
    ) -> HeadRuntime:
        """Open ``folder`` on ``backend``; ``strict`` defaults to True on the GPU backends.

        Strict mode fails when TensorRT is not the active provider and when ``parity.npz`` is missing or
        not reproduced. ``cache_dir`` holds engines and timing caches (default: ``$VSGG_ENGINE_CACHE`` or
        ``~/.cache/vsgg_ros/engines``); ``threads`` caps onnxruntime's intra-op threads.
        """
        folder = Path(folder)
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
        strict = backend != "ort-cpu" if strict is None else strict
        for required in ("model.onnx", "io_spec.json"):
            if not (folder / required).is_file():
                raise FileNotFoundError(f"head folder {folder} has no {required}")
        spec = IoSpec.load(folder / "io_spec.json")
        cache_root = Path(cache_dir) if cache_dir is not None else default_cache_root()
        if backend == "trt":
            executor, active = _load_trt(folder, spec, precision, cache_root, device_id)
        else:
            executor, active = _load_ort(folder, spec, backend, precision, cache_root, strict, threads, device_id)
        runtime = cls(folder, spec, backend, precision, executor, active)
        if backend != "ort-cpu":
            runtime._self_check(strict)
        return runtime

    @property
    def io_spec(self) -> dict[str, Any]:
        """The parsed ``io_spec.json`` as a plain dict (see :class:`IoSpec` for the typed view)."""
        return self.spec.to_dict()

    def run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        feeds = self.spec.check_inputs(inputs)
        if self.backend == "trt":
            return self._executor.run(feeds)
        names = list(self.spec.output_names)
        return dict(zip(names, self._executor.run(names, feeds), strict=True))

    def check_parity(self, atol: float | None = None, rtol: float | None = None) -> dict[str, dict[str, float]]:
        """Replay every ``parity.npz`` case; max abs diff per case and output, or :class:`ParityError`."""
        path = self.folder / "parity.npz"
        if not path.is_file():
            raise FileNotFoundError(f"head folder {self.folder} has no parity.npz")
        default_atol, default_rtol = DEFAULT_TOLERANCE[self.precision]
        atol = default_atol if atol is None else atol
        rtol = default_rtol if rtol is None else rtol
        report: dict[str, dict[str, float]] = {}
        for case in read_parity(path):
            try:
                report[case.name] = compare(case.outputs, self.run(case.inputs), atol, rtol)
            except ParityError as exc:
                raise ParityError(f"head {self.spec.head!r} on {self.backend} case {case.name!r}: {exc}") from exc
        return report

    def close(self) -> None:
        close = getattr(self._executor, "close", None)
        if close is not None:
            close()

    def _self_check(self, strict: bool) -> None:
        if not (self.folder / "parity.npz").is_file():
            if strict:
                raise FileNotFoundError(
                    f"strict mode: head folder {self.folder} has no parity.npz to verify {self.backend}"
                )
            log.warning("head %s: no parity.npz, %s outputs are unverified", self.spec.head, self.backend)
            return
        try:
            report = self.check_parity()
        except ParityError:
            if strict:
                raise
            log.exception("head %s: parity failed on %s (strict mode off, continuing)", self.spec.head, self.backend)
            return
        log.info("head %s: parity ok on %s: %s", self.spec.head, self.backend, report)


def _load_ort(
    folder: Path,
    spec: IoSpec,
    backend: str,
    precision: str,
    cache_root: Path,
    strict: bool,
    threads: int | None,
    device_id: int,
) -> tuple[Any, list[str]]:
    import onnxruntime as ort

    fp16_model = folder / "model_fp16.onnx"
    if precision == "fp16" and fp16_model.is_file():
        model = fp16_model
    elif precision == "fp16" and backend == "ort-cpu":
        raise FileNotFoundError(f"precision fp16 on ort-cpu needs {fp16_model}")
    else:
        model = folder / "model.onnx"
    cache = None
    if backend == "ort-trt":
        trt_version = tensorrt_version() or "unknown"
        digest = onnx_digest(model)
        cache = ort_trt_cache_dir(
            cache_root, spec.head, digest, ort.__version__, trt_version, gpu_identity(device_id), precision
        )
        cache.mkdir(parents=True, exist_ok=True)
    options = ort.SessionOptions()
    if threads is not None:
        options.intra_op_num_threads = threads
    providers = ort_providers(backend, spec, cache, precision, device_id)
    session = ort.InferenceSession(str(model), options, providers=providers)
    active = list(session.get_providers())
    if backend == "ort-trt":
        if strict:
            check_active(TRT_EP, active, ort.get_available_providers())
        elif active[:1] != [TRT_EP]:
            log.warning("head %s: asked for %s but running on %s", spec.head, TRT_EP, active)
    _check_session_io(session, spec, model)
    return session, active


def _check_session_io(session: Any, spec: IoSpec, model: Path) -> None:
    """io_spec and the ONNX graph must name the same tensors, or feeds would fail later, obscurely."""
    graph_inputs = {i.name for i in session.get_inputs()}
    graph_outputs = {o.name for o in session.get_outputs()}
    if graph_inputs != set(spec.input_names) or not set(spec.output_names) <= graph_outputs:
        raise ValueError(
            f"{model}: graph inputs {sorted(graph_inputs)} / outputs {sorted(graph_outputs)} do not match io_spec "
            f"inputs {list(spec.input_names)} / outputs {list(spec.output_names)}"
        )


def _load_trt(folder: Path, spec: IoSpec, precision: str, cache_root: Path, device_id: int) -> tuple[Any, list[str]]:
    try:
        from vsgg_ros.heads.trt_engine import TrtEngine

        engine = TrtEngine.load(folder, spec, precision, cache_root, device_id)
    except ImportError as exc:
        raise ProviderError(
            f"backend 'trt' needs TensorRT 10 and cuda-bindings (the `gpu` extra); import failed: {exc}"
        ) from exc
    return engine, [engine.provider]
