"""Box average precision per class, computed the way COCOeval does it, in a few lines of numpy.

Used for model cards and detector benchmarks: for each class, detections (top ``max_dets`` per image)
are greedily matched in descending score order to the unmatched ground-truth box of highest IoU
(>= ``iou_threshold``); AP is the mean of the interpolated precision at 101 recall points.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from vsgg_ros.tracking.boxes import iou_matrix

RECALL_POINTS = np.linspace(0.0, 1.0, 101)


@dataclass(frozen=True)
class ScoredBox:
    image: int
    label: str
    box: tuple[float, float, float, float]
    score: float = 1.0


def average_precision(tp: np.ndarray, scores: np.ndarray, num_gt: int) -> float:
    """COCO 101-point AP from per-detection true-positive flags; NaN when the class has no ground truth."""
    if num_gt == 0:
        return float("nan")
    if len(tp) == 0:
        return 0.0
    order = np.argsort(-scores, kind="mergesort")
    hits = tp[order].astype(np.float64)
    tps, fps = np.cumsum(hits), np.cumsum(1.0 - hits)
    recall = tps / num_gt
    precision = tps / np.maximum(tps + fps, np.finfo(np.float64).eps)
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    index = np.searchsorted(recall, RECALL_POINTS, side="left")
    values = np.where(index < len(envelope), envelope[np.minimum(index, len(envelope) - 1)], 0.0)
    return float(values.mean())


def per_class_ap(
    detections: Iterable[ScoredBox], ground_truth: Iterable[ScoredBox], iou_threshold: float = 0.5, max_dets: int = 100
) -> dict[str, float]:
    """AP per ground-truth class (classes only detected, never annotated, are left out like COCO does)."""
    gts: dict[tuple[str, int], list[ScoredBox]] = defaultdict(list)
    for g in ground_truth:
        gts[(g.label, g.image)].append(g)
    dets: dict[tuple[str, int], list[ScoredBox]] = defaultdict(list)
    for d in detections:
        dets[(d.label, d.image)].append(d)
    flags: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    counts: dict[str, int] = defaultdict(int)
    for (label, _), boxes in gts.items():
        counts[label] += len(boxes)
    for key, found in dets.items():
        found = sorted(found, key=lambda d: -d.score)[:max_dets]
        truth = gts.get(key, [])
        iou = iou_matrix(np.array([d.box for d in found]), np.array([g.box for g in truth]).reshape(-1, 4))
        taken = np.zeros(len(truth), dtype=bool)
        for i, d in enumerate(found):
            candidates = np.where(taken, -1.0, iou[i]) if len(truth) else np.zeros(0)
            j = int(candidates.argmax()) if len(candidates) else -1
            hit = j >= 0 and candidates[j] >= iou_threshold
            if hit:
                taken[j] = True
            flags[key[0]].append((d.score, hit))
    result: dict[str, float] = {}
    for label in sorted(counts):
        pairs = flags.get(label, [])
        scores = np.array([s for s, _ in pairs], dtype=np.float64)
        tp = np.array([h for _, h in pairs], dtype=bool)
        result[label] = average_precision(tp, scores, counts[label])
    return result
