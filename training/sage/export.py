"""ONNX export of SAGE: the per-frame graph (model.onnx) and the vocabulary-change graph (text/model.onnx).

The frame graph takes the cached text classifier as an input, so changing the predicate vocabulary means
running the small text graph once (and the sentence encoder on the new names), never re-exporting.
Each folder holds model.onnx, model_fp16.onnx, io_spec.json and parity.npz (vsgg_ros.heads.parity layout),
loadable by :class:`vsgg_ros.heads.runtime.HeadRuntime`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from vsgg_training.onnx_tools import ort_max_abs_diff, require_trt_friendly, to_fp16
from vsgg_training.sage.config import IMAGE_SIZE, ModelConfig, TrainConfig
from vsgg_training.sage.model import (
    STREAMS,
    FrozenVisualEncoder,
    PromptTextEncoder,
    SageFrameGraph,
    SageTextGraph,
    SageVisual,
)

from vsgg_ros.heads.parity import ParityCase, write_parity

FRAME_INPUTS = ("image", "boxes", "pairs", "history", "teacher", "past", "past_valid", "classifier")
FRAME_OUTPUTS = ("relation", "interaction", "state")
TEXT_INPUTS = ("words", "word_mask", "w_clip")
TEXT_OUTPUTS = ("classifier",)
DYNAMIC = {"num_objects": (2, 10, 64), "num_pairs": (1, 32, 256), "num_predicates": (1, 16, 256)}


def load_run(path: Path) -> tuple[TrainConfig, SageFrameGraph, SageTextGraph]:
    state = torch.load(path, weights_only=False)
    cfg = TrainConfig.from_dict(state["config"])
    visual, text = SageVisual(cfg.model), PromptTextEncoder(cfg.model, cfg.prompt)
    visual.load_state_dict(state["visual"])
    text.load_state_dict(state["text"])
    frame = SageFrameGraph(FrozenVisualEncoder(cfg.model.channels, seed=cfg.seed), visual).eval()
    return cfg, frame, SageTextGraph(text).eval()


def frame_example(m: ModelConfig, objects: int, pairs: int, predicates: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    w, h = IMAGE_SIZE
    xy = rng.uniform([0, 0], [w * 0.7, h * 0.7], (objects, 2))
    boxes = np.concatenate([xy, np.minimum(xy + rng.uniform(10, 90, (objects, 2)), [w - 1, h - 1])], 1)
    idx = np.array([(s, o) for s in range(objects) for o in range(objects) if s != o] * 8)[:pairs]
    hist = np.repeat(np.concatenate([boxes[idx[:, 0]], boxes[idx[:, 1]]], 1)[:, None], m.motion_frames, 1)
    cls = rng.normal(0, 1, (predicates, m.text_dim))
    return {
        "image": rng.integers(0, 256, (1, h, w, 3), dtype=np.uint8),
        "boxes": boxes.astype(np.float32),
        "pairs": idx.astype(np.int64),
        "history": (hist + rng.normal(0, 2, hist.shape)).astype(np.float32),
        "teacher": rng.normal(0, 0.05, (pairs, STREAMS, m.text_dim)).astype(np.float32),
        "past": rng.normal(0, 1, (pairs, m.window, STREAMS, m.d_model)).astype(np.float32),
        "past_valid": (rng.random((pairs, m.window)) < 0.7).astype(np.float32),
        "classifier": (cls / np.linalg.norm(cls, axis=1, keepdims=True)).astype(np.float32),
    }


def text_example(m: ModelConfig, predicates: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    mask = np.zeros((predicates, m.max_words), np.float32)
    mask[np.arange(predicates), 0] = 1.0
    mask[:, 1:] = rng.random((predicates, m.max_words - 1)) < 0.5
    w = rng.normal(0, 1, (predicates, m.text_dim))
    return {
        "words": rng.normal(0, 0.05, (predicates, m.max_words, m.text_dim)).astype(np.float32),
        "word_mask": mask,
        "w_clip": (w / np.linalg.norm(w, axis=1, keepdims=True)).astype(np.float32),
    }


def run_torch(
    graph: torch.nn.Module, names: tuple[str, ...], outs: tuple[str, ...], x: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    with torch.no_grad():
        result = graph(*(torch.from_numpy(x[k]) for k in names))
    result = result if isinstance(result, tuple) else (result,)
    return {k: v.numpy() for k, v in zip(outs, result, strict=True)}


def _export(graph: torch.nn.Module, example: dict[str, np.ndarray], names: tuple[str, ...], outs: tuple[str, ...],
            shapes: dict[str, Any], path: Path) -> None:  # fmt: skip
    program = torch.onnx.export(
        graph, tuple(torch.from_numpy(example[k]) for k in names), dynamo=True, input_names=list(names),
        output_names=list(outs), dynamic_shapes=shapes, optimize=True,
    )  # fmt: skip
    program.save(str(path))
    require_trt_friendly(path)


def spec_entry(name: str, dtype: str, shape: list[Any]) -> dict[str, Any]:
    return {"name": name, "dtype": dtype, "shape": shape}


def frame_spec(cfg: TrainConfig, predicates: list[str]) -> dict[str, Any]:
    m = cfg.model
    w, h = IMAGE_SIZE
    f32 = "float32"
    return {
        "head": "sage", "version": 1, "graph": "frame", "vocabulary": "ag", "predicates": predicates,
        "text_encoder": cfg.encoder, "max_words": m.max_words, "motion_frames": m.motion_frames,
        "window_frames": m.window, "image_size": [w, h],
        "inputs": [
            spec_entry("image", "uint8", [1, h, w, 3]), spec_entry("boxes", f32, ["num_objects", 4]),
            spec_entry("pairs", "int64", ["num_pairs", 2]),
            spec_entry("history", f32, ["num_pairs", m.motion_frames, 8]),
            spec_entry("teacher", f32, ["num_pairs", STREAMS, m.text_dim]),
            spec_entry("past", f32, ["num_pairs", m.window, STREAMS, m.d_model]),
            spec_entry("past_valid", f32, ["num_pairs", m.window]),
            spec_entry("classifier", f32, ["num_predicates", m.text_dim]),
        ],
        "outputs": [
            spec_entry("relation", f32, ["num_pairs", "num_predicates"]), spec_entry("interaction", f32, ["num_pairs"]),
            spec_entry("state", f32, ["num_pairs", STREAMS, m.d_model]),
        ],
        "dynamic_axes": {k: list(v) for k, v in DYNAMIC.items()},
        "notes": (
            "One call per frame. boxes xyxy in image_size pixels; pairs (subject, object) rows of boxes; history: "
            "subject and object xyxy over the last motion_frames frames, oldest first; teacher: sentence embeddings "
            "of the subject/object/union/global descriptions; past: the pair's state output from the previous "
            "window frames (oldest first, past_valid 0 where absent); classifier: text/model.onnx output for the "
            "current vocabulary, computed once per vocabulary. relation = sigmoid(cos/tau); triplet score = "
            "relation * interaction."
        ),
    }  # fmt: skip


def text_spec(cfg: TrainConfig) -> dict[str, Any]:
    m, f32 = cfg.model, "float32"
    return {
        "head": "sage", "version": 1, "graph": "text", "text_encoder": cfg.encoder,
        "inputs": [
            spec_entry("words", f32, ["num_predicates", m.max_words, m.text_dim]),
            spec_entry("word_mask", f32, ["num_predicates", m.max_words]),
            spec_entry("w_clip", f32, ["num_predicates", m.text_dim]),
        ],
        "outputs": [spec_entry("classifier", f32, ["num_predicates", m.text_dim])],
        "dynamic_axes": {"num_predicates": list(DYNAMIC["num_predicates"])},
        "notes": "Run once per vocabulary: per-word and whole-name sentence embeddings -> class-aware classifier F'_L.",
    }  # fmt: skip


def _verify(
    path: Path,
    graph: torch.nn.Module,
    names: tuple[str, ...],
    outs: tuple[str, ...],
    cases: list[dict[str, np.ndarray]],
) -> float:
    checks = (ParityCase(str(i), x, run_torch(graph, names, outs, x)) for i, x in enumerate(cases))
    return max(ort_max_abs_diff(path, checks).values())


def export_run(run: Path, out: Path) -> dict[str, Any]:
    """Export ``run/model.pt`` into ``out`` (frame graph) and ``out/text`` (text graph); verify ORT vs torch."""
    cfg, frame, text = load_run(run / "model.pt")
    m = cfg.model
    (out / "text").mkdir(parents=True, exist_ok=True)
    n, p, c = (torch.export.Dim(k, min=lo, max=hi) for k, (lo, _, hi) in DYNAMIC.items())
    fshapes = {"image": None, "boxes": {0: n}, "pairs": {0: p}, "history": {0: p}, "teacher": {0: p}, "past": {0: p},
               "past_valid": {0: p}, "classifier": {0: c}}  # fmt: skip
    _export(frame, frame_example(m, 5, 12, 6), FRAME_INPUTS, FRAME_OUTPUTS, fshapes, out / "model.onnx")
    _export(
        text,
        text_example(m, 6),
        TEXT_INPUTS,
        TEXT_OUTPUTS,
        {k: {0: c} for k in TEXT_INPUTS},
        out / "text" / "model.onnx",
    )
    for folder in (out, out / "text"):
        to_fp16(folder / "model.onnx", folder / "model_fp16.onnx")
    predicates = list(cfg.base)
    (out / "io_spec.json").write_text(json.dumps(frame_spec(cfg, predicates), indent=2) + "\n")
    (out / "text" / "io_spec.json").write_text(json.dumps(text_spec(cfg), indent=2) + "\n")
    golden_f, golden_t = frame_example(m, 6, 20, 10, seed=1), text_example(m, 10, seed=1)
    write_parity(
        out / "parity.npz", [ParityCase("golden", golden_f, run_torch(frame, FRAME_INPUTS, FRAME_OUTPUTS, golden_f))]
    )
    write_parity(
        out / "text" / "parity.npz",
        [ParityCase("golden", golden_t, run_torch(text, TEXT_INPUTS, TEXT_OUTPUTS, golden_t))],
    )
    frames = [frame_example(m, o, pp, cc, seed=o) for o, pp, cc in ((2, 1, 1), (8, 56, 16), (64, 256, 256))]
    texts = [text_example(m, cc, seed=cc) for cc in (1, 16, 256)]
    return {
        "frame_parity_max_abs": _verify(out / "model.onnx", frame, FRAME_INPUTS, FRAME_OUTPUTS, frames),
        "text_parity_max_abs": _verify(out / "text" / "model.onnx", text, TEXT_INPUTS, TEXT_OUTPUTS, texts),
    }
