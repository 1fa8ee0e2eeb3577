"""ONNX checks and conversions shared by every head's export."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import onnx

from vsgg_ros.heads.parity import ParityCase

# Operators TensorRT handles badly (data-dependent shapes, loops, sequences): an export containing one is rejected.
BANNED_OPS = ("NonZero", "Loop", "Unique")
BANNED_PREFIXES = ("Sequence",)


def check_operators(model: onnx.ModelProto) -> list[str]:
    """Operators TensorRT handles badly, found anywhere in the graph (empty list = clean)."""
    found = sorted({n.op_type for n in model.graph.node})
    return [op for op in found if op in BANNED_OPS or op.startswith(BANNED_PREFIXES)]


def require_trt_friendly(path: Path) -> None:
    """Reject an exported graph that contains operators TensorRT handles badly, naming them."""
    bad = check_operators(onnx.load(str(path)))
    if bad:
        raise RuntimeError(f"{path}: operators TensorRT handles badly: {bad}")


def to_fp16(src: Path, dst: Path) -> None:
    """FP16 weights and arithmetic with float32 inputs/outputs (RoiAlign and Softmax stay float32)."""
    from onnxruntime.transformers.float16 import convert_float_to_float16

    model = convert_float_to_float16(onnx.load(str(src)), keep_io_types=True, op_block_list=["RoiAlign", "Softmax"])
    onnx.save(model, str(dst))


def ort_max_abs_diff(path: Path, cases: Iterable[ParityCase]) -> dict[str, float]:
    """Per case, the largest |ONNX Runtime CPU - reference| over the case's reference outputs."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    worst: dict[str, float] = {}
    for case in cases:
        names = list(case.outputs)
        got = session.run(names, case.inputs)
        worst[case.name] = max(float(np.abs(g - case.outputs[k]).max()) for g, k in zip(got, names, strict=True))
    return worst
