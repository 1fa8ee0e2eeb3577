"""SynthRoom videos as SAGE training tensors: per-pair frozen region features, motion, teacher ids, targets.

The visual encoder is frozen, so region features are computed once per frame here; the teacher sentences
(:func:`vsgg_ros.heads.sage_text.describe_pair`, the MLLM stand-in) are embedded once per distinct string
(the paper caches its MLLM features offline the same way). Pairs, histories and sentences come from
:mod:`vsgg_ros.heads.sage_pairs`, the code the run-time predictor uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from vsgg_training.sage.config import IMAGE_SIZE, ModelConfig
from vsgg_training.sage.model import FrozenVisualEncoder, region_features

from vsgg_ros.graph import SceneGraph
from vsgg_ros.heads.sage_pairs import BoxHistory, FrameObject, pair_inputs
from vsgg_ros.synth import VideoSpec, iter_video
from vsgg_ros.vocab import load_vocabulary

VOCAB = load_vocabulary("ag")
MAX_PAIRS = 64


@dataclass
class VideoTensors:
    """All pairs of one video, frame after frame (N rows); ``past`` indexes rows of earlier frames (-1: none)."""

    video_id: str
    regions: torch.Tensor  # [N, 4, F]
    history: torch.Tensor  # [N, K, 8]
    teacher: torch.Tensor  # [N, 4] ids into the sentence table
    targets: torch.Tensor  # [N, len(VOCAB.predicates)]
    sub_labels: torch.Tensor  # [N] AG object ids
    obj_labels: torch.Tensor
    past: torch.Tensor  # [N, window]
    keys: list[tuple[int, int, int]]  # (frame index, subject track, object track) per row
    truth: list[SceneGraph]


class SentenceTable:
    """Distinct teacher sentences -> row ids; embedded in one batch at the end."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def add(self, text: str) -> int:
        return self.ids.setdefault(text, len(self.ids))

    def texts(self) -> list[str]:
        return list(self.ids)


def frame_objects(graph: SceneGraph) -> list[FrameObject]:
    return [
        FrameObject(o.id, o.label, tuple(float(v) for v in o.box))
        for o in graph.objects
        if VOCAB.object_id(o.label) >= 0
    ]


def load_video(spec: VideoSpec, cfg: ModelConfig, encoder: FrozenVisualEncoder, table: SentenceTable) -> VideoTensors:
    if (spec.width, spec.height) != IMAGE_SIZE:
        raise ValueError(f"video {spec.video_id}: SAGE trains at {IMAGE_SIZE}, got {spec.size}")
    history = BoxHistory(cfg.motion_frames)
    rows: dict[tuple[int, int, int], int] = {}
    regions, hists, teacher, targets, subs, objs, keys, truth = [], [], [], [], [], [], [], []
    for frame, graph in iter_video(spec):
        objects = frame_objects(graph)
        truth.append(graph)
        pairs, hist, texts = pair_inputs(frame.index, objects, history, IMAGE_SIZE, MAX_PAIRS)
        if not len(pairs):
            continue
        boxes = torch.tensor([o.box for o in objects], dtype=torch.float32)
        with torch.no_grad():
            feat = encoder(torch.from_numpy(np.ascontiguousarray(frame.image[None])))
            regions.append(region_features(feat, boxes, torch.from_numpy(pairs), cfg.roi))
        hists.append(hist)
        rel = {}
        for r in graph.relations:
            rel.setdefault((r.subject_id, r.object_id), []).append(VOCAB.predicate_id(r.predicate))
        for (s, o), views in zip(pairs, texts, strict=True):
            a, b = objects[s], objects[o]
            key = (frame.index, a.track_id, b.track_id)
            rows[key] = len(keys)
            keys.append(key)
            teacher.append([table.add(t) for t in views])
            y = np.zeros(len(VOCAB.predicates), np.float32)
            y[[p for p in rel.get((a.track_id, b.track_id), []) if p >= 0]] = 1.0
            targets.append(y)
            subs.append(VOCAB.object_id(a.label))
            objs.append(VOCAB.object_id(b.label))
    past = np.full((len(keys), cfg.window), -1, np.int64)
    for n, (f, s, o) in enumerate(keys):
        for w in range(cfg.window):
            past[n, w] = rows.get((f - cfg.window + w, s, o), -1)
    return VideoTensors(
        spec.video_id, torch.cat(regions), torch.from_numpy(np.concatenate(hists)), torch.tensor(teacher),
        torch.from_numpy(np.stack(targets)), torch.tensor(subs), torch.tensor(objs), torch.from_numpy(past),
        keys, truth,
    )  # fmt: skip


def load_videos(
    specs: Sequence[VideoSpec], cfg: ModelConfig, encoder: FrozenVisualEncoder, table: SentenceTable
) -> list[VideoTensors]:
    return [load_video(s, cfg, encoder, table) for s in specs]
