"""ONNX export of the TraSeR dual resampler: model.onnx, io_spec.json, parity.npz.

The exported graph maps packed trajectory tokens (vsgg_ros.heads.traser_tokens.pack_tokens) to the
object and window latents the language model consumes; the number of objects, tokens and windows are
dynamic. parity.npz holds golden inputs and torch outputs in HeadRuntime's layout (vsgg_ros.heads.parity).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from vsgg_training.onnx_tools import ort_max_abs_diff, require_trt_friendly
from vsgg_training.traser.model import DualResampler, ResamplerConfig

from vsgg_ros.heads.parity import ParityCase, write_parity

INPUTS = ("tokens", "valid", "time", "window", "window_time")
OUTPUTS = ("object_latents", "window_latents", "window_present")
DYNAMIC = {"num_objects": (1, 8, 64), "num_tokens": (1, 256, 4096), "num_windows": (1, 8, 64)}
PARITY_TOL = 1e-4


def example_inputs(
    cfg: ResamplerConfig, objects: int, tokens: int, windows: int, seed: int = 0, window_seconds: float = 2.0
) -> dict[str, np.ndarray]:
    """Random packed tokens: each object has a random number of real tokens, some windows left empty."""
    rng = np.random.default_rng(seed)
    valid = np.zeros((objects, tokens), np.float32)
    for i in range(objects):
        valid[i, : int(rng.integers(1, tokens + 1))] = 1.0
    time = np.sort(rng.uniform(0.0, windows * window_seconds, (objects, tokens)), axis=1).astype(np.float32)
    window = np.minimum(np.floor(time / window_seconds), windows - 1).astype(np.int64)
    return {
        "tokens": rng.normal(0.0, 1.0, (objects, tokens, cfg.d_in)).astype(np.float32),
        "valid": valid,
        "time": time * valid,
        "window": window * valid.astype(np.int64),
        "window_time": (np.arange(windows) * window_seconds).astype(np.float32),
    }


def torch_outputs(model: DualResampler, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    with torch.no_grad():
        outs = model(*(torch.from_numpy(inputs[k]) for k in INPUTS))
    return {k: v.numpy() for k, v in zip(OUTPUTS, outs, strict=True)}


def export_onnx(model: DualResampler, path: Path) -> None:
    ex = example_inputs(model.cfg, objects=3, tokens=7, windows=4)
    dims = {name: torch.export.Dim(name, min=lo, max=hi) for name, (lo, _, hi) in DYNAMIC.items()}
    o, n, w = dims["num_objects"], dims["num_tokens"], dims["num_windows"]
    shapes = {"tokens": {0: o, 1: n}, "valid": {0: o, 1: n}, "time": {0: o, 1: n}, "window": {0: o, 1: n},
              "window_time": {0: w}}  # fmt: skip
    program = torch.onnx.export(
        model.eval(),
        tuple(torch.from_numpy(ex[k]) for k in INPUTS),
        dynamo=True,
        input_names=list(INPUTS),
        output_names=list(OUTPUTS),
        dynamic_shapes=shapes,
        optimize=True,
    )
    program.save(str(path))


def io_spec(cfg: ResamplerConfig) -> dict[str, Any]:
    return {
        "head": "traser",
        "version": 1,
        "inputs": [
            {"name": "tokens", "dtype": "float32", "shape": ["num_objects", "num_tokens", cfg.d_in]},
            {"name": "valid", "dtype": "float32", "shape": ["num_objects", "num_tokens"]},
            {"name": "time", "dtype": "float32", "shape": ["num_objects", "num_tokens"]},
            {"name": "window", "dtype": "int64", "shape": ["num_objects", "num_tokens"]},
            {"name": "window_time", "dtype": "float32", "shape": ["num_windows"]},
        ],
        "outputs": [
            {"name": "object_latents", "dtype": "float32", "shape": ["num_objects", cfg.latents, cfg.d_out]},
            {
                "name": "window_latents",
                "dtype": "float32",
                "shape": ["num_objects", "num_windows", 1 + cfg.window_latents, cfg.d_out],
            },
            {"name": "window_present", "dtype": "float32", "shape": ["num_objects", "num_windows"]},
        ],
        "dynamic_axes": {k: list(v) for k, v in DYNAMIC.items()},
        "config": cfg.to_dict(),
        "notes": (
            "Dual resampler only (no language model). Inputs come from vsgg_ros.heads.traser_tokens.pack_tokens: "
            "per object its trajectory-aligned ViT tokens padded to num_tokens (valid=1 for real ones), their "
            "time in seconds and window index. window_latents[o, w, 0] is the timestamp embedding of window w; "
            "rows with window_present=0 are zero and must be dropped: Z_o = [object_latents[o]; "
            "window_latents[o, w] for present w]."
        ),
    }


def export_model(model: DualResampler, out: Path) -> dict[str, Any]:
    """Write model.onnx, io_spec.json and parity.npz into ``out``; verify ONNX Runtime against torch."""

    out.mkdir(parents=True, exist_ok=True)
    model = model.eval()
    onnx_path = out / "model.onnx"
    export_onnx(model, onnx_path)
    require_trt_friendly(onnx_path)
    (out / "io_spec.json").write_text(json.dumps(io_spec(model.cfg), indent=2) + "\n")
    cases = []
    for name, (objects, tokens, windows) in {"min": (1, 1, 1), "typ": (4, 24, 5)}.items():
        golden = example_inputs(model.cfg, objects, tokens, windows, seed=objects)
        cases.append(ParityCase(name, golden, torch_outputs(model, golden)))
    write_parity(out / "parity.npz", cases)
    shapes = ((1, 1, 1), (4, 24, 5), (6, 40, 9))
    checks = (example_inputs(model.cfg, o, t, w, seed=t) for o, t, w in shapes)
    worst = ort_max_abs_diff(
        onnx_path,
        (ParityCase(f"{o}x{t}x{w}", x, torch_outputs(model, x)) for (o, t, w), x in zip(shapes, checks, strict=True)),
    )
    return {"onnx": str(onnx_path), "parity_max_abs": worst, "banned_ops": []}
