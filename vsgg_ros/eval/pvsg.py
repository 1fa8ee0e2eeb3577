"""PVSG relation recall with mask tubes and temporal IoU (``LilyDaytoy/OpenPVSG:tools/rel_test_full.py``,
``utils/rel_metrics.py``; reference §5.2).

For every GT relation (subject tube, object tube, predicate, frames), the ranked predicted relations are
scanned in order. A candidate must have the GT's subject category, object category and predicate. Then,
over the GT relation's frames: ``gt_real[f]`` = both GT masks present; ``hit[f]`` = both predicted
masks present with mask IoU >= 0.5 against the GT masks. The candidate's temporal IoU is
``IoU(hit AND predicted span, gt_real)`` over frames. The first candidate (rank r) reaching 0.5 hits
the GT for every K > r; the first reaching 0.1 is a weak hit. R@K = hits / GT relations (pooled over
the dataset); mR@K = mean over predicates with at least one GT of hits / GT count.

Decisions: weak hits count each GT at most once (the reference adds one per qualifying candidate until
a strong hit, so its weak numbers can exceed the GT count); predictions are ranked by score with ties
in input order and cut to ``top`` (100, the reference's pair budget).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from vsgg_ros.eval.geometry import mask_area, mask_iou
from vsgg_ros.graph import Mask

PVSG_KS: tuple[int, ...] = (20, 50, 100)


@dataclass(frozen=True)
class MaskTube:
    """A tracked object's category and its mask per frame (absent frames are missing)."""

    category: str
    masks: Mapping[int, Mask]


@dataclass(frozen=True)
class TubeRelation:
    """A relation between two tubes over a set of frames; ``score`` ranks predictions."""

    subject: MaskTube
    object: MaskTube
    predicate: str
    frames: frozenset[int]
    score: float = 1.0


@dataclass(frozen=True)
class PvsgOptions:
    ks: tuple[int, ...] = PVSG_KS
    mask_iou_threshold: float = 0.5
    tiou_thresholds: tuple[float, ...] = (0.5, 0.1)
    top: int = 100


def relation_tiou(gt: TubeRelation, pred: TubeRelation, mask_threshold: float = 0.5) -> float:
    """Temporal IoU of the frames where the prediction's masks track the GT's, against the frames where
    the GT relation is visible."""
    gt_real: set[int] = set()
    hit: set[int] = set()
    for f in gt.frames:
        gs, go = gt.subject.masks.get(f), gt.object.masks.get(f)
        if mask_area(gs) > 0 and mask_area(go) > 0:
            gt_real.add(f)
        ps, po = pred.subject.masks.get(f), pred.object.masks.get(f)
        if ps is None or po is None:
            continue
        if mask_iou(gs, ps) >= mask_threshold and mask_iou(go, po) >= mask_threshold:
            hit.add(f)
    real_hit = hit & set(pred.frames)
    union = len(real_hit | gt_real)
    return len(real_hit & gt_real) / union if union else 0.0


def first_hit_ranks(
    gt: TubeRelation, ranked: Sequence[TubeRelation], thresholds: Sequence[float], mask_threshold: float
) -> dict[float, int | None]:
    """For each temporal-IoU threshold, the rank of the first candidate reaching it (None if none)."""
    found: dict[float, int | None] = dict.fromkeys(thresholds)
    strongest = max(thresholds)
    for rank, pred in enumerate(ranked):
        if (pred.subject.category, pred.object.category, pred.predicate) != (
            gt.subject.category,
            gt.object.category,
            gt.predicate,
        ):
            continue
        tiou = relation_tiou(gt, pred, mask_threshold)
        for thr in thresholds:
            if found[thr] is None and tiou >= thr:
                found[thr] = rank
        if found[strongest] is not None:
            break
    return found


@dataclass
class PvsgSummary:
    recall: dict[float, dict[int, float]]
    mean_recall: dict[float, dict[int, float]]
    per_predicate_recall: dict[float, dict[int, dict[str, float]]]
    gt_counts: dict[str, int]
    gt_relations: int
    videos: int


def evaluate_pvsg(
    gt: Mapping[str, Sequence[TubeRelation]],
    predictions: Mapping[str, Sequence[TubeRelation]],
    options: PvsgOptions | None = None,
) -> PvsgSummary:
    """R@K and mR@K at each temporal-IoU threshold; ``gt``/``predictions`` map video id -> relations."""
    options = options or PvsgOptions()
    thresholds = tuple(options.tiou_thresholds)
    hits: dict[float, dict[int, dict[str, int]]] = {t: {k: {} for k in options.ks} for t in thresholds}
    totals: dict[str, int] = {}
    for vid, gt_rels in gt.items():
        preds = list(predictions.get(vid, []))
        order = sorted(range(len(preds)), key=lambda i: -preds[i].score)[: options.top]
        ranked = [preds[i] for i in order]
        for rel in gt_rels:
            totals[rel.predicate] = totals.get(rel.predicate, 0) + 1
            ranks = first_hit_ranks(rel, ranked, thresholds, options.mask_iou_threshold)
            for t, rank in ranks.items():
                for k in options.ks:
                    if rank is not None and rank < k:
                        hits[t][k][rel.predicate] = hits[t][k].get(rel.predicate, 0) + 1
    n_gt = sum(totals.values())
    recall = {t: {k: sum(hits[t][k].values()) / n_gt if n_gt else 0.0 for k in options.ks} for t in thresholds}
    per_pred = {
        t: {k: {p: hits[t][k].get(p, 0) / c for p, c in totals.items()} for k in options.ks} for t in thresholds
    }
    mean_recall = {
        t: {k: float(np.mean(list(per_pred[t][k].values()))) if totals else 0.0 for k in options.ks} for t in thresholds
    }
    return PvsgSummary(recall, mean_recall, per_pred, totals, n_gt, len(gt))
