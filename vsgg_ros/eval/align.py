"""Pairing predicted graphs with ground-truth frames.

Keys: ``stamp`` (image header stamp: what a bag replay preserves, the default for bag ground truth),
``index`` (``frame_index``: dataset folders, whose frame positions match an image-folder run) or
``order`` (the n-th prediction of a video with its n-th GT frame). Several videos: predictions are
routed by ``source_id`` to the video of that id; with one GT video every prediction belongs to it.
When several predictions share a key the last one wins (a re-published frame), and it is counted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

from vsgg_ros.eval.video import VideoGraphs
from vsgg_ros.graph import SceneGraph

Align = Literal["auto", "stamp", "index", "order"]
ALIGNS: tuple[Align, ...] = ("auto", "stamp", "index", "order")


@dataclass
class AlignStats:
    gt_frames: int = 0
    matched: int = 0
    gt_without_prediction: int = 0
    predictions_without_gt: int = 0
    duplicate_predictions: int = 0
    predictions_unknown_video: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _key(graph: SceneGraph, how: str) -> int:
    return graph.stamp_ns if how == "stamp" else graph.frame_index


def align_video(
    gt: VideoGraphs, preds: Sequence[SceneGraph], how: Align, stats: AlignStats | None = None
) -> list[SceneGraph | None]:
    """One entry per GT graph (same order): its prediction, or None when the video has none for it."""
    stats = stats if stats is not None else AlignStats()
    stats.gt_frames += len(gt.graphs)
    if how == "order":
        out: list[SceneGraph | None] = list(preds[: len(gt.graphs)])
        out += [None] * (len(gt.graphs) - len(out))
        stats.predictions_without_gt += max(len(preds) - len(gt.graphs), 0)
    else:
        if how not in ("stamp", "index"):
            raise ValueError(f"alignment must be one of {ALIGNS[1:]}, got {how!r}")
        by_key: dict[int, SceneGraph] = {}
        for p in preds:
            k = _key(p, how)
            stats.duplicate_predictions += k in by_key
            by_key[k] = p
        wanted = {_key(g, how) for g in gt.graphs}
        stats.predictions_without_gt += sum(1 for k in by_key if k not in wanted)
        out = [by_key.get(_key(g, how)) for g in gt.graphs]
    matched = sum(p is not None for p in out)
    stats.matched += matched
    stats.gt_without_prediction += len(out) - matched
    return out


def route_predictions(
    videos: Sequence[VideoGraphs], preds: Sequence[SceneGraph], stats: AlignStats
) -> dict[str, list[SceneGraph]]:
    """Predictions per video id (by ``source_id`` when there are several GT videos)."""
    if len(videos) == 1:
        return {videos[0].video_id: list(preds)}
    ids = {v.video_id for v in videos}
    routed: dict[str, list[SceneGraph]] = defaultdict(list)
    for p in preds:
        if p.source_id in ids:
            routed[p.source_id].append(p)
        else:
            stats.predictions_unknown_video += 1
    return routed


def resolve_align(how: Align, gt_kind: str) -> Align:
    if how != "auto":
        return how
    return "stamp" if gt_kind == "bag" else "index"


def align_all(
    videos: Sequence[VideoGraphs], preds: Sequence[SceneGraph], how: Align
) -> tuple[list[list[SceneGraph | None]], AlignStats]:
    """Aligned predictions for every video, in ``videos`` order, and what did not pair up."""
    stats = AlignStats()
    routed = route_predictions(videos, preds, stats)
    aligned = [align_video(v, routed.get(v.video_id, []), how, stats) for v in videos]
    return aligned, stats
