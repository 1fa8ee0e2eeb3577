"""Native TensorRT 10 backend: build an engine from the head's ONNX, cache it, run it with execute_async_v3.

Import-safe on machines without TensorRT: ``tensorrt`` and the CUDA runtime bindings are imported only
when an engine is loaded. The network is built strongly typed from a precision-explicit ONNX
(``model.onnx`` for fp32, ``model_fp16.onnx`` for fp16) — the path that works unchanged on TensorRT 10
and 11; only when no fp16 ONNX is shipped does fp16 fall back to TensorRT 10's weakly typed FP16 flag.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from vsgg_ros.heads.cache import engine_key, onnx_digest, timing_cache_path, trt_engine_path
from vsgg_ros.heads.device import cudart, gpu_identity
from vsgg_ros.heads.iospec import IoSpec

log = logging.getLogger(__name__)
WORKSPACE_BYTES = 1 << 30


class TrtBuildError(RuntimeError):
    """TensorRT could not parse or build the ONNX model."""


def _check(result: Any) -> Any:
    """Unwrap a cuda-bindings call ``(err, *values)``, raising on any error code."""
    err, *values = result if isinstance(result, tuple) else (result,)
    if int(getattr(err, "value", err)) != 0:  # cudaError_t.cudaSuccess == 0
        raise RuntimeError(f"CUDA runtime call failed: {err}")
    return values[0] if len(values) == 1 else tuple(values)


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def build_plan(trt: Any, onnx_path: Path, spec: IoSpec, weak_fp16: bool, timing_path: Path) -> bytes:
    """Parse ``onnx_path``, add one optimisation profile covering every dynamic input, build a plan."""
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    flags = 0
    strongly_typed = getattr(trt.NetworkDefinitionCreationFlag, "STRONGLY_TYPED", None)
    if strongly_typed is not None and not weak_fp16:
        flags |= 1 << int(strongly_typed)
    network = builder.create_network(flags)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(onnx_path)):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise TrtBuildError(f"TensorRT could not parse {onnx_path}: {errors}")
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, WORKSPACE_BYTES)
    if weak_fp16:
        config.set_flag(trt.BuilderFlag.FP16)
    profile = builder.create_optimization_profile()
    for name, (lo, opt, hi) in spec.profile_shapes().items():
        if spec.is_dynamic(name):
            profile.set_shape(name, lo, opt, hi)
    config.add_optimization_profile(profile)
    previous = timing_path.read_bytes() if timing_path.is_file() else b""
    timing = config.create_timing_cache(previous)
    config.set_timing_cache(timing, ignore_mismatch=False)
    plan = builder.build_serialized_network(network, config)
    if plan is None:
        raise TrtBuildError(f"TensorRT failed to build an engine from {onnx_path} (see the TensorRT log above)")
    _atomic_write(timing_path, bytes(config.get_timing_cache().serialize()))
    return bytes(plan)


class _DeviceBuffer:
    """A device allocation that grows to the largest size asked of it (so steady state never allocates)."""

    def __init__(self, rt: Any) -> None:
        self._rt = rt
        self.ptr = 0
        self.nbytes = 0

    def ensure(self, nbytes: int) -> int:
        if nbytes > self.nbytes:
            self.free()
            self.ptr = int(_check(self._rt.cudaMalloc(max(nbytes, 1))))
            self.nbytes = nbytes
        return self.ptr

    def free(self) -> None:
        if self.ptr:
            _check(self._rt.cudaFree(self.ptr))
            self.ptr, self.nbytes = 0, 0


class TrtEngine:
    """A deserialised engine with one execution context, a CUDA stream and reusable device buffers."""

    def __init__(self, trt: Any, plan: bytes, spec: IoSpec) -> None:
        self._trt = trt
        self._rt = cudart()
        self.spec = spec
        self._logger = trt.Logger(trt.Logger.WARNING)
        self._runtime = trt.Runtime(self._logger)
        self.engine = self._runtime.deserialize_cuda_engine(plan)
        if self.engine is None:
            raise TrtBuildError("TensorRT could not deserialise the cached engine")
        self.context = self.engine.create_execution_context()
        self._stream = _check(self._rt.cudaStreamCreate())
        names = [self.engine.get_tensor_name(i) for i in range(self.engine.num_io_tensors)]
        self._outputs = [n for n in names if self.engine.get_tensor_mode(n) == trt.TensorIOMode.OUTPUT]
        self._buffers = {n: _DeviceBuffer(self._rt) for n in names}

    @classmethod
    def load(cls, folder: Path, spec: IoSpec, precision: str, cache_root: Path, device_id: int = 0) -> TrtEngine:
        import tensorrt as trt

        _check(cudart().cudaSetDevice(device_id))
        gpu = gpu_identity(device_id)
        if gpu is None:
            raise RuntimeError(f"no CUDA GPU {device_id} visible to the trt backend")
        fp16_onnx = folder / "model_fp16.onnx"
        onnx_path = fp16_onnx if precision == "fp16" and fp16_onnx.is_file() else folder / "model.onnx"
        weak_fp16 = precision == "fp16" and onnx_path.name == "model.onnx"
        if weak_fp16 and not hasattr(trt.BuilderFlag, "FP16"):
            raise TrtBuildError(f"TensorRT {trt.__version__} has no FP16 flag: ship {fp16_onnx.name} for fp16")
        key = engine_key(onnx_digest(onnx_path), trt.__version__, gpu, precision, spec.profile_shapes())
        plan_path = trt_engine_path(cache_root, spec.head, key)
        if plan_path.is_file():
            log.info("loading cached TensorRT engine %s", plan_path)
            plan = plan_path.read_bytes()
        else:
            log.info("building TensorRT engine for %s (%s) -> %s", onnx_path, precision, plan_path)
            plan = build_plan(trt, onnx_path, spec, weak_fp16, timing_cache_path(cache_root, trt.__version__, gpu))
            _atomic_write(plan_path, plan)
        return cls(trt, plan, spec)

    @property
    def provider(self) -> str:
        return f"TensorRT {self._trt.__version__}"

    def run(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        rt, trt, ctx = self._rt, self._trt, self.context
        h2d, d2h = rt.cudaMemcpyKind.cudaMemcpyHostToDevice, rt.cudaMemcpyKind.cudaMemcpyDeviceToHost
        staged: list[np.ndarray] = []  # host copies stay alive until the stream is synchronised
        for name, array in feeds.items():
            want = trt.nptype(self.engine.get_tensor_dtype(name))
            host = np.ascontiguousarray(array, dtype=want)
            ctx.set_input_shape(name, host.shape)
            staged.append(host)
            ptr = self._buffers[name].ensure(host.nbytes)
            _check(rt.cudaMemcpyAsync(ptr, host.ctypes.data, host.nbytes, h2d, self._stream))
            ctx.set_tensor_address(name, ptr)
        results: dict[str, np.ndarray] = {}
        for name in self._outputs:
            shape = tuple(ctx.get_tensor_shape(name))
            out = np.empty(shape, dtype=trt.nptype(self.engine.get_tensor_dtype(name)))
            ctx.set_tensor_address(name, self._buffers[name].ensure(out.nbytes))
            results[name] = out
        if not ctx.execute_async_v3(int(self._stream)):
            raise RuntimeError(f"TensorRT execute_async_v3 failed for head {self.spec.head!r}")
        for name, out in results.items():
            _check(rt.cudaMemcpyAsync(out.ctypes.data, self._buffers[name].ptr, out.nbytes, d2h, self._stream))
        _check(rt.cudaStreamSynchronize(self._stream))
        return results

    def close(self) -> None:
        for buffer in self._buffers.values():
            buffer.free()
        if self._stream is not None:
            _check(self._rt.cudaStreamDestroy(self._stream))
            self._stream = None
