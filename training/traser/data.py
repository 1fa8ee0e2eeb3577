"""TraSeR SFT samples: windows of 1-fps frames with object masks and the serialized scene graph target.

Every source reduces to the same thing: per-frame ground-truth SceneGraphs (objects with masks or
boxes, relations) and the frames. From those, each window of ``window_frames`` sampled frames becomes
one sample — packed trajectory tokens (vsgg_ros.heads.traser_clip, the code the streaming head runs)
and the answer text (vsgg_ros.vlm.traser_format) naming the objects ``1..N`` in prompt order, their
attributes (``ObjectNode.attributes`` values, or keys when empty) and relation runs in sampled-frame
indices. Sources: SynthRoom rendered in memory; a PVSG folder (``pvsg.json`` + mask PNGs + frame PNGs);
VidVRD/VidOR json (boxes only: each box is filled as the object's mask, the paper's weaker box
supervision) with frames from a loader the caller gives.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from vsgg_ros.eval.video import VideoGraphs
from vsgg_ros.graph import ObjectNode, SceneGraph
from vsgg_ros.heads.traser_clip import (
    ClipConfig,
    ClipInputs,
    FrozenPatchEncoder,
    box_mask,
    build_clip,
    select_objects,
)
from vsgg_ros.vlm.traser_format import TraserGraph, TraserObject, TraserRelation, encode_traser, spans_of

FrameLoader = Callable[[str, int], np.ndarray]


@dataclass(frozen=True)
class TraserSample:
    """One window: resampler inputs, the target graph (prompt ids 1..N) and its text."""

    video_id: str
    start_frame: int
    clip: ClipInputs
    target: TraserGraph
    text: str
    track_ids: tuple[int, ...]


def node_mask(node: ObjectNode, height: int, width: int) -> np.ndarray:
    """The node's mask, or its box filled when the annotation has boxes only."""
    if node.mask is not None:
        return node.mask.to_array().astype(bool)
    return box_mask(node.box, height, width)


def _attributes(nodes: Sequence[ObjectNode]) -> tuple[str, ...]:
    items: list[str] = []
    for node in nodes:
        for key, value in node.attributes.items():
            if (value or key) not in items:
                items.append(value or key)
    return tuple(items)


def window_target(graphs: Sequence[SceneGraph], ids: Sequence[int]) -> TraserGraph:
    """The answer for ``graphs`` (one per sampled frame) over objects ``ids`` (prompt ids 1..N)."""
    local = {tid: i + 1 for i, tid in enumerate(ids)}
    nodes: dict[int, list[ObjectNode]] = {tid: [] for tid in ids}
    frames: dict[tuple[int, str, int], set[int]] = {}
    for k, graph in enumerate(graphs):
        for node in graph.objects:
            if node.id in nodes:
                nodes[node.id].append(node)
        for r in graph.relations:
            if r.subject_id in local and r.object_id in local and r.subject_id != r.object_id:
                frames.setdefault((local[r.subject_id], r.predicate, local[r.object_id]), set()).add(k)
    objects = tuple(
        TraserObject(local[tid], Counter(n.label for n in nodes[tid]).most_common(1)[0][0], _attributes(nodes[tid]))
        for tid in ids
    )
    relations = sorted(
        (TraserRelation(s, p, o, a, b) for (s, p, o), ks in frames.items() for a, b in spans_of(ks)),
        key=lambda r: (r.subject, r.object, r.predicate, r.start),
    )
    return TraserGraph(objects, tuple(relations))


def window_sample(
    video_id: str,
    graphs: Sequence[SceneGraph],
    images: Sequence[np.ndarray],
    cfg: ClipConfig,
    encoder: FrozenPatchEncoder,
) -> TraserSample | None:
    """One sample from a window's sampled frames and their graphs; None when no object is visible."""
    counts: Counter[int] = Counter()
    persons: set[int] = set()
    for g in graphs:
        for node in g.objects:
            counts[node.id] += 1
            if node.label == "person":
                persons.add(node.id)
    if not counts:
        return None
    ids = select_objects(dict(counts), persons, cfg.max_objects)
    h, w = images[0].shape[:2]
    masks = {tid: [None] * len(graphs) for tid in ids}
    for k, g in enumerate(graphs):
        for node in g.objects:
            if node.id in masks:
                masks[node.id][k] = node_mask(node, h, w)
    clip = build_clip(images, masks, cfg, encoder)
    target = window_target(graphs, ids)
    return TraserSample(video_id, graphs[0].frame_index, clip, target, encode_traser(target), tuple(ids))


def window_starts(n_sampled: int, window_frames: int, stride: int) -> list[int]:
    """Start indices of windows over ``n_sampled`` samples; a short video gives one shorter window."""
    if n_sampled <= window_frames:
        return [0] if n_sampled >= 2 else []
    return list(range(0, n_sampled - window_frames + 1, stride))


def video_samples(
    video: VideoGraphs,
    frame: FrameLoader,
    cfg: ClipConfig,
    encoder: FrozenPatchEncoder,
    window_frames: int = 8,
    stride: int = 4,
    fps: float | None = None,
) -> Iterator[TraserSample]:
    """Windows of a video read by ``vsgg_ros.eval.readers`` (graphs) with ``frame(video_id, index)``."""
    rate = fps or video.fps
    if not rate:
        raise ValueError(f"video {video.video_id!r}: no fps to sample at {cfg.sample_fps} fps")
    step = max(1, round(rate / cfg.sample_fps))
    sampled = [g for g in video.graphs if g.frame_index % step == 0]
    for start in window_starts(len(sampled), window_frames, stride):
        graphs = sampled[start : start + window_frames]
        images = [frame(video.video_id, g.frame_index) for g in graphs]
        sample = window_sample(video.video_id, graphs, images, cfg, encoder)
        if sample is not None:
            yield sample


def synth_samples(
    videos: int,
    frames: int,
    seed: int,
    cfg: ClipConfig,
    split: str = "train",
    window_frames: int = 8,
    stride: int = 4,
) -> list[TraserSample]:
    """Samples from a SynthRoom world rendered in memory; ``split`` train/test per SynthRoom's rule."""
    from vsgg_ros.synth import iter_video, world_specs
    from vsgg_ros.synth.spec import TEST_EVERY

    if split not in ("train", "test", "all"):
        raise ValueError(f"split must be train, test or all, got {split!r}")
    encoder = FrozenPatchEncoder(cfg)
    out: list[TraserSample] = []
    for spec in world_specs(videos, frames, seed):
        is_test = spec.index % TEST_EVERY == TEST_EVERY - 1
        if split != "all" and is_test != (split == "test"):
            continue
        step = max(1, round(spec.fps / cfg.sample_fps))
        pairs = [(f, g) for f, g in iter_video(spec) if f.index % step == 0]
        for start in window_starts(len(pairs), window_frames, stride):
            part = pairs[start : start + window_frames]
            sample = window_sample(spec.video_id, [g for _, g in part], [f.image for f, _ in part], cfg, encoder)
            if sample is not None:
                out.append(sample)
    return out


def pvsg_frame_loader(root: Path | str, source: str = "synthroom") -> FrameLoader:
    """Frames from ``<root>/<source>/frames/<video>/<index:04d>.png`` (PVSG's layout), as RGB."""
    base = Path(root)

    def load(video_id: str, index: int) -> np.ndarray:
        path = base / source / "frames" / video_id / f"{index:04d}.png"
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise FileNotFoundError(f"PVSG frame {path} is missing or unreadable")
        return image[:, :, ::-1].copy()

    return load


def pvsg_samples(root: Path | str, split: str, cfg: ClipConfig, **window: int) -> list[TraserSample]:
    """Samples from a PVSG folder (masks from its PNGs, frames from its frames folder)."""
    from vsgg_ros.eval.readers import read_pvsg

    root = Path(root)
    encoder = FrozenPatchEncoder(cfg)
    out: list[TraserSample] = []
    for video in read_pvsg(root, split):
        source = str(video.meta.get("source", "synthroom"))
        out.extend(video_samples(video, pvsg_frame_loader(root, source), cfg, encoder, **window))
    return out


def vidvrd_samples(
    root: Path | str, split: str, frame: FrameLoader, cfg: ClipConfig, **window: int
) -> list[TraserSample]:
    """Samples from VidVRD/VidOR json (box trajectories filled as masks) with frames from ``frame``."""
    from vsgg_ros.eval.readers import read_vidvrd

    encoder = FrozenPatchEncoder(cfg)
    out: list[TraserSample] = []
    for video in read_vidvrd(root, split):
        out.extend(video_samples(video, frame, cfg, encoder, **window))
    return out
