"""ImageNet-VidVRD / VidOR relation detection and tagging (``xdshang/VidVRD-helper``, reference §4).

Per video, predictions are sorted by score (descending; ties keep input order) and cut to the top 200.
Greedy matching walks them in that order: among the GT instances not yet detected with an identical
(subject, predicate, object) triplet, the one with the largest ``min(vIoU(subject), vIoU(object))`` is
taken if that overlap reaches 0.5 (first GT wins a tie). The cumulative TP/FP curve gives a VOC AP
(area under the monotone precision envelope). Dataset numbers:

- mAP: mean AP over videos with at least one GT instance (videos with GT but no prediction score 0);
- Recall@N (50, 100): TPs among each video's top N, summed over videos, over the total GT count;
- tagging Precision@n (1, 5, 10): per video, the distinct predicted triplets in score order, the share
  of the first ``min(n, #distinct)`` found in the video's GT triplet set (0 if none), averaged;
- zero-shot: the same on GT instances whose triplet does not occur in the training split, over the
  videos that keep at least one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from vsgg_ros.eval.geometry import IouConvention, trajectory_viou
from vsgg_ros.eval.video import RelationInstance


@dataclass(frozen=True)
class VidvrdOptions:
    viou_threshold: float = 0.5
    top_returns: int = 200
    recall_at: tuple[int, ...] = (50, 100)
    tag_precision_at: tuple[int, ...] = (1, 5, 10)
    iou_convention: IouConvention = "pixel"


def voc_ap(recall: np.ndarray, precision: np.ndarray) -> float:
    """Area under the precision envelope (VOC 2010+, not the 11-point variant)."""
    mrec = np.concatenate(([0.0], recall, [1.0]))
    mpre = np.concatenate(([0.0], precision, [0.0]))
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    steps = np.flatnonzero(mrec[1:] != mrec[:-1])
    return float(np.sum((mrec[steps + 1] - mrec[steps]) * mpre[steps + 1]))


def ranked(predictions: Sequence[RelationInstance], top: int | None) -> list[RelationInstance]:
    order = sorted(range(len(predictions)), key=lambda i: -predictions[i].score)
    kept = [predictions[i] for i in order]
    return kept if top is None else kept[:top]


def detection_hits(
    gt: Sequence[RelationInstance], predictions: Sequence[RelationInstance], options: VidvrdOptions
) -> np.ndarray:
    """True-positive flag of each ranked (top-200) prediction under greedy matching."""
    preds = ranked(predictions, options.top_returns)
    detected = np.zeros(len(gt), dtype=bool)
    tp = np.zeros(len(preds), dtype=bool)
    for p_idx, pred in enumerate(preds):
        best, best_ov = -1, -np.inf
        for g_idx, g in enumerate(gt):
            if detected[g_idx] or pred.triplet != g.triplet:
                continue
            ov = min(
                trajectory_viou(pred.sub_traj, pred.span, g.sub_traj, g.span, options.iou_convention),
                trajectory_viou(pred.obj_traj, pred.span, g.obj_traj, g.span, options.iou_convention),
            )
            if ov >= options.viou_threshold and ov > best_ov:
                best, best_ov = g_idx, ov
        if best >= 0:
            detected[best] = True
            tp[p_idx] = True
    return tp


def video_ap(tp: np.ndarray, n_gt: int) -> float:
    cum_tp = np.cumsum(tp).astype(np.float64)
    cum_fp = np.cumsum(~tp).astype(np.float64)
    rec = cum_tp / max(n_gt, 1)
    prec = cum_tp / np.maximum(cum_tp + cum_fp, np.finfo(np.float64).eps)
    return voc_ap(rec, prec)


def tagging_precision(
    gt: Sequence[RelationInstance], predictions: Sequence[RelationInstance], n: int, top: int | None
) -> float:
    gt_triplets = {g.triplet for g in gt}
    distinct: list[tuple[str, str, str]] = []
    for pred in ranked(predictions, top):
        if pred.triplet not in distinct:
            distinct.append(pred.triplet)
    cut = min(n, len(distinct))
    return sum(t in gt_triplets for t in distinct[:cut]) / cut if cut else 0.0


@dataclass
class VidvrdSummary:
    mean_ap: float
    recall: dict[int, float]
    tag_precision: dict[int, float]
    videos: int
    gt_relations: int
    per_video_ap: dict[str, float] = field(default_factory=dict)


def evaluate_vidvrd(
    gt: Mapping[str, Sequence[RelationInstance]],
    predictions: Mapping[str, Sequence[RelationInstance]],
    options: VidvrdOptions | None = None,
) -> VidvrdSummary:
    """Relation detection mAP, Recall@N and tagging Precision@n over videos (video id -> instances)."""
    options = options or VidvrdOptions()
    aps: dict[str, float] = {}
    tp_at = {n: 0 for n in options.recall_at}
    tags: dict[int, list[float]] = {n: [] for n in options.tag_precision_at}
    total_gt = 0
    for vid, gt_rel in gt.items():
        if not gt_rel:
            continue
        total_gt += len(gt_rel)
        preds = predictions.get(vid, [])
        tp = detection_hits(gt_rel, preds, options)
        aps[vid] = video_ap(tp, len(gt_rel))
        for n in options.recall_at:
            tp_at[n] += int(tp[:n].sum())
        for n in options.tag_precision_at:
            tags[n].append(tagging_precision(gt_rel, preds, n, options.top_returns))
    return VidvrdSummary(
        mean_ap=float(np.mean(list(aps.values()))) if aps else 0.0,
        recall={n: tp_at[n] / total_gt if total_gt else 0.0 for n in options.recall_at},
        tag_precision={n: float(np.mean(v)) if v else 0.0 for n, v in tags.items()},
        videos=len(aps),
        gt_relations=total_gt,
        per_video_ap=aps,
    )


def zero_shot_split(
    gt: Mapping[str, Sequence[RelationInstance]],
    predictions: Mapping[str, Sequence[RelationInstance]],
    train_triplets: Iterable[tuple[str, str, str]],
) -> tuple[dict[str, list[RelationInstance]], dict[str, list[RelationInstance]]]:
    """GT restricted to triplets unseen in training (videos keeping none are dropped), with the
    predictions of the remaining videos (all of them, as VidVRD-helper's ``evaluate.py`` does)."""
    seen = {tuple(t) for t in train_triplets}
    zs_gt: dict[str, list[RelationInstance]] = {}
    zs_pred: dict[str, list[RelationInstance]] = {}
    for vid, rels in gt.items():
        unseen = [r for r in rels if r.triplet not in seen]
        if unseen:
            zs_gt[vid] = unseen
            zs_pred[vid] = list(predictions.get(vid, []))
    return zs_gt, zs_pred
