"""TraSeR-protocol scores for decoded windows: each window's answer against its target, as the paper does.

The paper evaluates clips with the ground-truth trajectories given, so predicted and true objects share
ids (here the prompt ids ``1..N``) and time is the window's sampled-frame index. Each window is one
"video" of :func:`vsgg_ros.eval.traser.evaluate_traser` (strict matching unless a judge is given).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vsgg_ros.eval.judge import Judge
from vsgg_ros.eval.traser import SpanRelation, Trajectory, TraserOptions, TraserSummary, TraserVideo, evaluate_traser
from vsgg_ros.vlm.traser_format import TraserGraph


def window_video(graph: TraserGraph) -> TraserVideo:
    """Objects by id; relation rows of one (subject, object, predicate) unioned into one frame set."""
    objects = {o.id: Trajectory(o.id, o.name, o.attributes) for o in graph.objects}
    frames: dict[tuple[int, int, str], set[int]] = {}
    for r in graph.relations:
        frames.setdefault((r.subject, r.object, r.predicate), set()).update(range(r.start, r.end + 1))
    relations = [SpanRelation(s, o, p, frozenset(f)) for (s, o, p), f in frames.items()]
    return TraserVideo(objects, relations)


def evaluate_windows(
    targets: Mapping[str, TraserGraph],
    answers: Mapping[str, TraserGraph],
    options: TraserOptions | None = None,
    judge: Judge | None = None,
) -> TraserSummary:
    """Pooled TraSeR metrics over windows keyed alike in ``targets`` and ``answers`` (missing = empty)."""
    gt = {k: window_video(g) for k, g in targets.items()}
    pred = {k: window_video(answers[k]) for k in targets if k in answers}
    return evaluate_traser(gt, pred, options, judge)


def summary_dict(s: TraserSummary) -> dict[str, Any]:
    """JSON-friendly numbers (thresholds as ``tiou_0.5`` keys)."""
    return {
        "object_accuracy": s.object_accuracy,
        "attribute_recall": s.attribute_recall,
        "relation_recall": {f"tiou_{t}": v for t, v in s.relation_recall.items()},
        "triplet_recall": {f"tiou_{t}": v for t, v in s.triplet_recall.items()},
        "objects": s.objects,
        "attributes": s.attributes,
        "relations": s.relations,
        "windows": s.videos,
    }
