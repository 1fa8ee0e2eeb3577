"""ONNX export of the streaming PALS graph: model.onnx, model_fp16.onnx, io_spec.json, parity.npz.

The exported graph holds backbone and relation model (image in, relation scores out), one call per
frame; the Python adapter (vsgg_ros/heads/pals.py) carries the per-pair window between calls.
parity.npz holds golden inputs and torch outputs in HeadRuntime's layout (vsgg_ros.heads.parity).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch
from vsgg_training.onnx_tools import ort_max_abs_diff, require_trt_friendly, to_fp16
from vsgg_training.pals.config import IMAGE_SIZE, ModelConfig, TrainConfig, model_for
from vsgg_training.pals.model import PalsRelationModel, PalsStreamingGraph

from vsgg_ros.heads.parity import ParityCase, write_parity

INPUTS = ("image", "boxes", "labels", "pairs", "past_r", "past_p", "past_valid")
OUTPUTS = ("attention", "spatial", "contacting", "affinity", "pair_r", "pair_p")
DYNAMIC = {"num_objects": (1, 10, 64), "num_pairs": (1, 16, 256), "window": (1, 3, 15)}
PARITY_TOL = 1e-4


def load_model(path: Path) -> PalsRelationModel:
    """A trained model from a ``model.pt`` (state dict + the TrainConfig it was trained with)."""
    state = torch.load(path, weights_only=False)
    cfg = TrainConfig.from_dict(state["config"])
    mcfg: ModelConfig = model_for(cfg.ablation, cfg.model) if cfg.supervision == "weak" else cfg.model
    model = PalsRelationModel(mcfg)
    model.load_state_dict(state["model"])
    return model.eval()


def example_inputs(cfg: ModelConfig, objects: int, pairs: int, window: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Plausible inputs: boxes inside the image, person first, pairs person x others."""
    rng = np.random.default_rng(seed)
    w, h = IMAGE_SIZE
    xy = rng.uniform([0, 0], [w * 0.8, h * 0.8], (objects, 2))
    wh = rng.uniform(8, 80, (objects, 2))
    boxes = np.concatenate([xy, np.minimum(xy + wh, [w - 1, h - 1])], 1).astype(np.float32)
    labels = rng.integers(1, 36, objects).astype(np.int64)
    labels[0] = 0
    subj = np.zeros(pairs, np.int64)
    obj = (np.arange(pairs) % max(objects - 1, 1)) + (1 if objects > 1 else 0)
    return {
        "image": rng.integers(0, 256, (1, h, w, 3), dtype=np.uint8),
        "boxes": boxes,
        "labels": labels,
        "pairs": np.stack([subj, obj], 1).astype(np.int64),
        "past_r": rng.normal(0, 1, (pairs, window, cfg.d_model)).astype(np.float32),
        "past_p": rng.normal(0, 1, (pairs, window, cfg.d_affinity)).astype(np.float32),
        "past_valid": (rng.random((pairs, window)) < 0.7).astype(np.float32),
    }


def torch_outputs(graph: PalsStreamingGraph, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    with torch.no_grad():
        outs = graph(*(torch.from_numpy(inputs[k]) for k in INPUTS))
    return {k: v.numpy() for k, v in zip(OUTPUTS, outs, strict=True)}


def export_onnx(model: PalsRelationModel, path: Path) -> None:
    graph = PalsStreamingGraph(model).eval()
    ex = example_inputs(model.cfg, objects=5, pairs=4, window=3)
    dims = {name: torch.export.Dim(name, min=lo, max=hi) for name, (lo, _, hi) in DYNAMIC.items()}
    n, p, w = dims["num_objects"], dims["num_pairs"], dims["window"]
    shapes = {
        "image": None, "boxes": {0: n}, "labels": {0: n}, "pairs": {0: p},
        "past_r": {0: p, 1: w}, "past_p": {0: p, 1: w}, "past_valid": {0: p, 1: w},
    }  # fmt: skip
    program = torch.onnx.export(
        graph,
        tuple(torch.from_numpy(ex[k]) for k in INPUTS),
        dynamo=True,
        input_names=list(INPUTS),
        output_names=list(OUTPUTS),
        dynamic_shapes=shapes,
        optimize=True,
    )
    program.save(str(path))


def io_spec(cfg: ModelConfig) -> dict[str, Any]:
    w, h = IMAGE_SIZE
    d, dp = cfg.d_model, cfg.d_affinity
    return {
        "head": "pals",
        "version": 1,
        "vocabulary": "ag",
        "inputs": [
            {"name": "image", "dtype": "uint8", "shape": [1, h, w, 3]},
            {"name": "boxes", "dtype": "float32", "shape": ["num_objects", 4]},
            {"name": "labels", "dtype": "int64", "shape": ["num_objects"]},
            {"name": "pairs", "dtype": "int64", "shape": ["num_pairs", 2]},
            {"name": "past_r", "dtype": "float32", "shape": ["num_pairs", "window", d]},
            {"name": "past_p", "dtype": "float32", "shape": ["num_pairs", "window", dp]},
            {"name": "past_valid", "dtype": "float32", "shape": ["num_pairs", "window"]},
        ],
        "outputs": [
            {"name": "attention", "dtype": "float32", "shape": ["num_pairs", 3]},
            {"name": "spatial", "dtype": "float32", "shape": ["num_pairs", 6]},
            {"name": "contacting", "dtype": "float32", "shape": ["num_pairs", 17]},
            {"name": "affinity", "dtype": "float32", "shape": ["num_pairs"]},
            {"name": "pair_r", "dtype": "float32", "shape": ["num_pairs", d]},
            {"name": "pair_p", "dtype": "float32", "shape": ["num_pairs", dp]},
        ],
        "dynamic_axes": {k: list(v) for k, v in DYNAMIC.items()},
        "image_size": [w, h],
        "window_frames": cfg.window,
        "notes": (
            "One call per frame. image: RGB uint8 resized to image_size; boxes xyxy in that image's pixels; "
            "labels: AG object ids (0 = person); pairs: (subject, object) indices, subject a person. "
            "past_*: the pair's pair_r/pair_p outputs from up to window earlier frames, oldest first, "
            "past_valid 1 where present (all-zero rows are fine). attention softmax, spatial/contacting "
            "sigmoid (PC); affinity = PA; triplet score = conf_s * conf_o * PC * PA. parity.npz: "
            "<case>/input|output/<name>."
        ),
    }


def export_run(run: Path, out: Path) -> dict[str, Any]:
    """Export ``run/model.pt`` into ``out`` and verify ONNX Runtime against torch."""

    out.mkdir(parents=True, exist_ok=True)
    model = load_model(run / "model.pt")
    onnx_path = out / "model.onnx"
    export_onnx(model, onnx_path)
    require_trt_friendly(onnx_path)
    to_fp16(onnx_path, out / "model_fp16.onnx")
    spec = io_spec(model.cfg)
    (out / "io_spec.json").write_text(json.dumps(spec, indent=2) + "\n")
    graph = PalsStreamingGraph(model).eval()
    golden = example_inputs(model.cfg, objects=8, pairs=7, window=3, seed=1)
    expected = torch_outputs(graph, golden)
    write_parity(out / "parity.npz", [ParityCase("typ", golden, expected)])
    shutil.copy2(run / "model.pt", out / "model.pt")
    shapes = ((1, 1, 1), (8, 7, 3), (64, 256, 15), (20, 36, 3))
    checks = (example_inputs(model.cfg, o, p, w, seed=o) for o, p, w in shapes)
    cases = [
        ParityCase(f"{o}x{p}x{w}", x, torch_outputs(graph, x)) for (o, p, w), x in zip(shapes, checks, strict=True)
    ]
    worst = ort_max_abs_diff(onnx_path, cases)
    return {"onnx": str(onnx_path), "parity_max_abs": worst, "banned_ops": []}
