"""ONNX export of the per-frame VOST-SGG graph: model.onnx, model_fp16.onnx, io_spec.json, parity.npz.

Same house style as PALS (the operator check and FP16 conversion in training/onnx_tools.py are
reused): dynamic number of cues and of reference frames; golden torch outputs in parity.npz in
HeadRuntime's ``<case>/input|output/<name>`` layout (cases min / typ / max), replayed on ONNX Runtime.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from vsgg_training.onnx_tools import ort_max_abs_diff, require_trt_friendly, to_fp16
from vsgg_training.vost.config import ModelConfig, TrainConfig, model_config_from_dict
from vsgg_training.vost.model import VostSGG, VostStreamingGraph

from vsgg_ros.heads.parity import ParityCase, write_parity
from vsgg_ros.heads.vost import INPUTS, OUTPUTS

PARITY_TOL = 1e-4


def dynamic_axes(cfg: ModelConfig) -> dict[str, tuple[int, int, int]]:
    return {
        "num_cues": (1, min(8, cfg.queries), cfg.queries),
        "ref_frames": (1, cfg.ref_frames, max(8, cfg.ref_frames)),
    }


def load_model(path: Path) -> VostSGG:
    """A trained model from ``model.pt`` (state dict + the TrainConfig it was trained with)."""
    state = torch.load(path, weights_only=False)
    if "model_config" in state:
        cfg = model_config_from_dict(state["model_config"])
    else:  # older checkpoints: the sizes TrainConfig implies with today's defaults
        cfg = TrainConfig.from_dict(state["config"]).model()
    model = VostSGG(cfg)
    model.load_state_dict(state["model"])
    return model.eval()


def example_inputs(cfg: ModelConfig, cues: int, refs: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Plausible feeds: boxes inside the image, some cue rows and reference slots masked off."""
    rng = np.random.default_rng(seed)
    w, h = cfg.image_size
    xy = rng.uniform(0, 0.7, (cues, 2, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(0.05, 0.3, (cues, 2, 2))], -1).reshape(cues, 8)
    valid = (rng.random(cues) < 0.8).astype(np.float32)
    valid[0] = 1.0
    return {
        "image": rng.integers(0, 256, (1, h, w, 3), dtype=np.uint8),
        "cue_text": rng.normal(0, 0.2, (cues, 3, cfg.text_dim)).astype(np.float32),
        "cue_visual": rng.uniform(-0.5, 0.5, (cues, 3, cfg.visual_dim)).astype(np.float32),
        "cue_boxes": boxes.astype(np.float32),
        "cue_valid": valid,
        "ref_tri": rng.normal(0, 1, (refs, cfg.queries, 2 * cfg.d_model)).astype(np.float32),
        "ref_valid": (rng.random(refs) < 0.7).astype(np.float32),
    }


def torch_outputs(graph: VostStreamingGraph, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    with torch.no_grad():
        outs = graph(*(torch.from_numpy(inputs[k]) for k in INPUTS))
    return {k: v.numpy() for k, v in zip(OUTPUTS, outs, strict=True)}


def export_onnx(model: VostSGG, path: Path) -> None:
    graph = VostStreamingGraph(model).eval()
    cfg = model.cfg
    ex = example_inputs(cfg, cues=min(3, cfg.queries), refs=min(2, cfg.ref_frames) + 1)
    axes = dynamic_axes(cfg)
    k = torch.export.Dim("num_cues", min=axes["num_cues"][0], max=axes["num_cues"][2])
    r = torch.export.Dim("ref_frames", min=axes["ref_frames"][0], max=axes["ref_frames"][2])
    shapes = {
        "image": None, "cue_text": {0: k}, "cue_visual": {0: k}, "cue_boxes": {0: k}, "cue_valid": {0: k},
        "ref_tri": {0: r}, "ref_valid": {0: r},
    }  # fmt: skip
    program = torch.onnx.export(
        graph,
        tuple(torch.from_numpy(ex[name]) for name in INPUTS),
        dynamo=True,
        input_names=list(INPUTS),
        output_names=list(OUTPUTS),
        dynamic_shapes=shapes,
        optimize=True,
    )
    program.save(str(path))


def io_spec(cfg: ModelConfig, seed: int = 0) -> dict[str, Any]:
    w, h = cfg.image_size
    n, d2, c = cfg.queries, 2 * cfg.d_model, 37
    return {
        "head": "vost",
        "version": 1,
        "vocabulary": "ag",
        "inputs": [
            {"name": "image", "dtype": "uint8", "shape": [1, h, w, 3]},
            {"name": "cue_text", "dtype": "float32", "shape": ["num_cues", 3, cfg.text_dim]},
            {"name": "cue_visual", "dtype": "float32", "shape": ["num_cues", 3, cfg.visual_dim]},
            {"name": "cue_boxes", "dtype": "float32", "shape": ["num_cues", 8]},
            {"name": "cue_valid", "dtype": "float32", "shape": ["num_cues"]},
            {"name": "ref_tri", "dtype": "float32", "shape": ["ref_frames", n, d2]},
            {"name": "ref_valid", "dtype": "float32", "shape": ["ref_frames"]},
        ],
        "outputs": [
            {"name": "sub_probs", "dtype": "float32", "shape": [n, c]},
            {"name": "obj_probs", "dtype": "float32", "shape": [n, c]},
            {"name": "sub_boxes", "dtype": "float32", "shape": [n, 4]},
            {"name": "obj_boxes", "dtype": "float32", "shape": [n, 4]},
            {"name": "predicates", "dtype": "float32", "shape": [n, 26]},
            {"name": "tri", "dtype": "float32", "shape": [n, d2]},
        ],
        "dynamic_axes": {k: list(v) for k, v in dynamic_axes(cfg).items()},
        "image_size": [w, h],
        "ref_frames": cfg.ref_frames,
        "use_dsqi": cfg.use_dsqi,
        "use_mmfb": cfg.use_mmfb,
        "text_encoder": "hashed",
        "text_encoder_seed": seed,
        "visual_encoder": "region-color-4x4",
        "notes": (
            "One call per frame. image: RGB uint8 resized to image_size. cue_*: the frame's VLM cues "
            "(text: subject/object/mean-predicate embeddings; visual: subject/object/union region embeddings; "
            "boxes: subject xyxy + object xyxy divided by image width/height; valid 0 on padding; with no cues "
            "pass one all-zero row). ref_tri: the tri output of up to ref_frames earlier frames, oldest first, "
            "ref_valid 1 where present. Outputs per query: class probabilities over 36 AG classes + no-object "
            "(last), normalised xyxy boxes, sigmoid scores of the 26 AG predicates (attention, spatial, "
            "contacting). parity.npz: cases min/typ/max as <case>/input|output/<name>."
        ),
    }


def export_run(run: Path, out: Path) -> dict[str, Any]:
    """Export ``run/model.pt`` into ``out`` and verify ONNX Runtime against torch on several shapes."""

    out.mkdir(parents=True, exist_ok=True)
    state = torch.load(run / "model.pt", weights_only=False)
    seed = int(state["config"].get("seed", 0))
    model = load_model(run / "model.pt")
    onnx_path = out / "model.onnx"
    export_onnx(model, onnx_path)
    require_trt_friendly(onnx_path)
    to_fp16(onnx_path, out / "model_fp16.onnx")  # the name HeadRuntime loads for precision="fp16"
    (out / "io_spec.json").write_text(json.dumps(io_spec(model.cfg, seed), indent=2) + "\n")
    graph = VostStreamingGraph(model).eval()
    axes = dynamic_axes(model.cfg)
    shapes = {"min": (1, 1), "typ": (5, model.cfg.ref_frames), "max": (axes["num_cues"][2], axes["ref_frames"][2])}
    cases = []
    for name, (k, r) in shapes.items():
        inputs = example_inputs(model.cfg, k, r, seed=k + r)
        cases.append(ParityCase(name, inputs, torch_outputs(graph, inputs)))
    write_parity(out / "parity.npz", cases)
    if (run / "model.pt").resolve() != (out / "model.pt").resolve():
        torch.save(
            {"config": state["config"], "model_config": dataclasses.asdict(model.cfg), "model": state["model"]},
            out / "model.pt",
        )
    worst = ort_max_abs_diff(onnx_path, cases)
    if max(worst.values()) > PARITY_TOL:
        raise RuntimeError(f"ONNX Runtime differs from torch by more than {PARITY_TOL}: {worst}")
    return {"onnx": str(onnx_path), "parity_max_abs": worst, "banned_ops": []}
