"""SynthRoom videos for VOST-SGG, and the stand-in for VLM responses derived from their ground truth.

No VLM runs on this machine, so cues are made from each frame's true (person, object) pairs with
controlled damage (:class:`NoiseConfig`): pairs left out, object classes and predicates swapped for
wrong ones, spurious extra pairs, jittered boxes. This measures what the head does with imperfect
cues of a known error rate; it says nothing about how good a real VLM's cues are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from vsgg_training.vost.config import NUM_PREDICATES, NoiseConfig
from vsgg_training.vost.losses import FrameTargets

from vsgg_ros.graph import SceneGraph
from vsgg_ros.heads.vost_cues import Cue
from vsgg_ros.heads.vost_encoders import CueArrays, TextEncoder, VisualEncoder, encode_cues
from vsgg_ros.synth import VideoSpec, iter_steps
from vsgg_ros.vocab import load_vocabulary

VOCAB = load_vocabulary("ag")
PERSON = VOCAB.object_id("person")


@dataclass
class GtPair:
    subject: int
    object: int
    sub_box: tuple[float, float, float, float]
    obj_box: tuple[float, float, float, float]
    predicates: tuple[int, ...]


@dataclass
class VideoData:
    video_id: str
    images: np.ndarray  # [T, H, W, 3] at the synth size
    model_images: np.ndarray  # [T, h, w, 3] resized to the model input
    truth: list[SceneGraph]
    pairs: list[list[GtPair]]


def resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    import cv2

    if (image.shape[1], image.shape[0]) == tuple(size):
        return np.ascontiguousarray(image)
    return cv2.resize(image, tuple(size), interpolation=cv2.INTER_AREA)


def load_videos(specs: Sequence[VideoSpec], size: tuple[int, int]) -> list[VideoData]:
    """Render each video and collect its true (person, object) pairs per frame."""
    out = []
    for spec in specs:
        images, truth, pairs = [], [], []
        for step in iter_steps(spec):
            nodes = step.graph.object_by_id()
            frame_pairs = []
            for (s, o), labels in step.pairs.items():
                if s not in nodes or o not in nodes:
                    continue
                names = (labels.attention, *labels.spatial, *labels.contacting)
                pids = tuple(sorted({VOCAB.predicate_id(p) for p in names} - {-1}))
                cls_o = VOCAB.object_id(nodes[o].label)
                if pids and cls_o >= 0:
                    frame_pairs.append(GtPair(PERSON, cls_o, nodes[s].box, nodes[o].box, pids))
            images.append(step.frame.image)
            truth.append(step.graph)
            pairs.append(frame_pairs)
        stack = np.stack(images)
        out.append(VideoData(spec.video_id, stack, np.stack([resize(i, size) for i in stack]), truth, pairs))
    return out


def targets(pairs: list[GtPair], width: int, height: int) -> FrameTargets:
    """GT pairs as normalised cxcywh boxes and a 26-wide multi-hot predicate vector."""
    m = len(pairs)
    scale = np.array([width, height, width, height], np.float32)

    def cxcywh(boxes: list[tuple[float, float, float, float]]) -> torch.Tensor:
        b = np.array(boxes, np.float32).reshape(-1, 4) / scale
        return torch.from_numpy(np.concatenate([(b[:, :2] + b[:, 2:]) / 2, b[:, 2:] - b[:, :2]], 1))

    preds = torch.zeros(m, NUM_PREDICATES)
    for i, p in enumerate(pairs):
        preds[i, list(p.predicates)] = 1.0
    return FrameTargets(
        torch.tensor([p.subject for p in pairs], dtype=torch.long),
        torch.tensor([p.object for p in pairs], dtype=torch.long),
        cxcywh([p.sub_box for p in pairs]),
        cxcywh([p.obj_box for p in pairs]),
        preds,
    )


def _jitter(box: tuple[float, float, float, float], rng: np.random.Generator, amount: float) -> tuple[float, ...]:
    x1, y1, x2, y2 = box
    w, h = max(x2 - x1, 1.0), max(y2 - y1, 1.0)
    d = rng.normal(0, amount, 4) * np.array([w, h, w, h])
    a, b, c, e = x1 + d[0], y1 + d[1], x2 + d[2], y2 + d[3]
    return (min(a, c), min(b, e), max(a, c), max(b, e))


def _random_group_member(pid: int, rng: np.random.Generator) -> int:
    for g in VOCAB.groups:
        if pid in g:
            return int(rng.integers(g.start, g.stop))
    return pid


def noisy_cues(pairs: list[GtPair], rng: np.random.Generator, noise: NoiseConfig) -> list[Cue]:
    """Ground-truth pairs turned into VLM-like cues with missing, wrong and spurious entries."""
    cues = []
    n_obj = len(VOCAB.objects)
    for p in pairs:
        if rng.random() < noise.missing:
            continue
        obj = p.object
        if rng.random() < noise.wrong_object:
            obj = int((obj + rng.integers(1, n_obj)) % n_obj)
        preds = [_random_group_member(q, rng) if rng.random() < noise.wrong_predicate else q for q in p.predicates]
        cues.append(
            Cue(
                VOCAB.objects[p.subject], VOCAB.objects[obj], tuple(VOCAB.predicates[q] for q in dict.fromkeys(preds)),
                _jitter(p.sub_box, rng, noise.box_jitter), _jitter(p.obj_box, rng, noise.box_jitter),  # type: ignore[arg-type]
                float(rng.uniform(0.5, 1.0)),
            )
        )  # fmt: skip
    if pairs and rng.random() < noise.spurious:
        p = pairs[int(rng.integers(len(pairs)))]
        obj = int(rng.integers(1, n_obj))
        pred = tuple(VOCAB.predicates[int(rng.integers(g.start, g.stop))] for g in VOCAB.groups)
        cues.append(Cue("person", VOCAB.objects[obj], pred, p.sub_box, _jitter(p.obj_box, rng, 0.5), 0.5))  # type: ignore[arg-type]
    order = rng.permutation(len(cues))
    return [cues[i] for i in order]


def frame_cues(
    video: VideoData, index: int, rng: np.random.Generator, noise: NoiseConfig, text: TextEncoder, visual: VisualEncoder
) -> CueArrays:
    return encode_cues(noisy_cues(video.pairs[index], rng, noise), video.images[index], text, visual)


def stack_cues(items: Sequence[CueArrays], queries: int) -> dict[str, torch.Tensor]:
    """Pad a batch of cue sets to a common K (at most ``queries``) -> tensors [B, K, ...]."""
    k = max(1, min(queries, max(int(c.valid.sum()) for c in items)))

    def pad(a: np.ndarray) -> np.ndarray:
        a = a[:k]
        return np.concatenate([a, np.zeros((k - len(a), *a.shape[1:]), a.dtype)]) if len(a) < k else a

    return {
        "text": torch.from_numpy(np.stack([pad(c.text) for c in items])),
        "visual": torch.from_numpy(np.stack([pad(c.visual) for c in items])),
        "boxes": torch.from_numpy(np.stack([pad(c.boxes) for c in items])),
        "valid": torch.from_numpy(np.stack([pad(c.valid) for c in items])),
    }
