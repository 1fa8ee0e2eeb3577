"""AG protocol (vsgg_ros.eval) on held-out SynthRoom videos, SGDET with the head's own boxes.

Each test video streams frame by frame through the same :class:`VostStream` the runtime uses (torch
in place of ONNX Runtime). Cues come from a fixed-seed noise draw so every ablation sees identical
cues; a second pass with no cues at all measures how the head copes without a VLM.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from vsgg_training.vost.config import ModelConfig, TrainConfig
from vsgg_training.vost.data import VideoData, noisy_cues
from vsgg_training.vost.model import VostSGG, VostStreamingGraph

from vsgg_ros.eval.evaluate import EvalConfig, run_ag
from vsgg_ros.eval.video import VideoGraphs
from vsgg_ros.heads.vost import OUTPUTS, StreamShape, VostStream, own_graph
from vsgg_ros.heads.vost_encoders import TextEncoder, VisualEncoder


def shape_of(cfg: ModelConfig, max_cues: int) -> StreamShape:
    return StreamShape(
        cfg.image_size, cfg.queries, cfg.ref_frames, 2 * cfg.d_model, cfg.text_dim, cfg.visual_dim, max_cues
    )


def torch_runner(model: VostSGG):
    graph = VostStreamingGraph(model).eval()

    def run(inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        with torch.no_grad():
            outs = graph(*(torch.from_numpy(v) for v in inputs.values()))
        return {k: v.numpy() for k, v in zip(OUTPUTS, outs, strict=True)}

    return run


def evaluate_model(
    model: VostSGG, videos: list[VideoData], cfg: TrainConfig, text: TextEncoder, visual: VisualEncoder
) -> dict[str, Any]:
    """R@K and mR@K (per-frame and pooled) with / no constraint, with noisy cues and with none."""
    model.eval()
    stream = VostStream(torch_runner(model), shape_of(model.cfg, model.cfg.queries), text, visual)
    gt = [VideoGraphs(v.video_id, v.truth) for v in videos]
    report: dict[str, Any] = {}
    for cue_mode in ("noisy", "none"):
        rng = np.random.default_rng(cfg.test_seed)
        preds, dists = [], {}
        for v in videos:
            stream.reset()
            graphs = []
            for f in range(len(v.truth)):
                cues = noisy_cues(v.pairs[f], rng, cfg.noise) if cue_mode == "noisy" else []
                graph, d = own_graph(stream.step(v.images[f], cues), f, v.video_id, v.truth[f].stamp_ns)
                graphs.append(graph)
                dists[(v.video_id, f)] = d
            preds.append(graphs)
        for constraint in ("with", "no"):
            res = run_ag(gt, preds, EvalConfig(mode="sgdet", constraint=constraint), dists)["metrics"]
            report[f"sgdet/{constraint}/cues={cue_mode}"] = {
                name: {k: round(float(x), 4) for k, x in res[name].items()}
                for name in ("R@K", "mR@K (per-frame)", "mR@K (pooled)")
            }
    return report
