"""SceneGraphVLM's per-sample Precision / Recall / F1 and SGG score (paper 004 §4 "Metrics"; reference
notes §6.3; ``markus0440/SceneGraphVLM:metrics/qwen-bench/eval/eval_sgg_metrics_with_qwen.py``).

Per sample (frame):

1. Objects: IoU matrix GT x prediction, one-to-one Hungarian assignment maximising IoU
   (``scipy.optimize.linear_sum_assignment``), pairs below IoU 0.5 discarded. An aligned pair is an
   object true positive when the names are equal after normalisation (or the judge agrees).
   P = TP / #pred, R = TP / #GT.
2. Relations: a (GT, predicted) relation pair is a candidate when the predicted subject and object are
   aligned (step 1, boxes only) with the GT subject and object, and is accepted when the predicates are
   equal (or the judge agrees). A second one-to-one assignment over the accepted candidates gives the
   relation true positives.
3. SGG score = (F1_obj + F1_rel) / 2. Dataset numbers are plain means over samples (macro), so F1 is
   not the harmonic mean of the mean P and R.

Decisions: a sample with nothing to find and nothing predicted (0 GT and 0 predicted objects, or
relations) scores 1 for that part by default (``empty_sample="perfect"``); the reference scores 0
(``empty_sample="zero"``). A missing or unparseable prediction is scored as an empty scene and counted
in the parse-failure rate, as the reference does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.optimize import linear_sum_assignment

from vsgg_ros.eval.geometry import IouConvention, box_iou
from vsgg_ros.eval.judge import Judge, labels_match, predicates_match
from vsgg_ros.graph import SceneGraph

EmptySample = Literal["perfect", "zero"]


@dataclass(frozen=True)
class SggOptions:
    iou_threshold: float = 0.5
    iou_convention: IouConvention = "continuous"
    empty_sample: EmptySample = "perfect"
    relations_need_object_labels: bool = False

    def __post_init__(self) -> None:
        if self.empty_sample not in ("perfect", "zero"):
            raise ValueError(f"empty_sample must be 'perfect' or 'zero', got {self.empty_sample!r}")


@dataclass(frozen=True)
class PRF:
    tp: int
    n_pred: int
    n_gt: int
    precision: float
    recall: float
    f1: float


def prf(tp: int, n_pred: int, n_gt: int, empty_sample: EmptySample = "perfect") -> PRF:
    """P/R/F1 from counts; 0 for an empty denominator, except both sides empty under ``"perfect"``."""
    if n_pred == 0 and n_gt == 0 and empty_sample == "perfect":
        return PRF(0, 0, 0, 1.0, 1.0, 1.0)
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gt if n_gt else 0.0
    f1 = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return PRF(tp, n_pred, n_gt, p, r, f1)


@dataclass(frozen=True)
class SggSampleResult:
    objects: PRF
    relations: PRF
    sgg_score: float
    failed: bool
    matched_iou: tuple[float, ...] = ()
    key: object = None


def match_objects(gt: SceneGraph, pred: SceneGraph, options: SggOptions) -> list[tuple[int, int, float]]:
    """Hungarian IoU assignment; (GT index, predicted index, IoU) for pairs at or above the threshold."""
    if not gt.objects or not pred.objects:
        return []
    iou = box_iou([o.box for o in gt.objects], [o.box for o in pred.objects], options.iou_convention)
    rows, cols = linear_sum_assignment(-iou)
    thr = options.iou_threshold
    return [(int(r), int(c), float(iou[r, c])) for r, c in zip(rows, cols, strict=True) if iou[r, c] >= thr]


def evaluate_sgg_sample(
    gt: SceneGraph, pred: SceneGraph | None, options: SggOptions | None = None, judge: Judge | None = None
) -> SggSampleResult:
    """Object and relation P/R/F1 of one sample; ``pred=None`` is a parse failure (empty scene)."""
    options = options or SggOptions()
    failed = pred is None
    pred = pred if pred is not None else SceneGraph(gt.stamp_ns, gt.frame_index)
    matches = match_objects(gt, pred, options)
    gt_label = {o.id: o.label for o in gt.objects}
    pred_label = {o.id: o.label for o in pred.objects}
    tp_obj = 0
    pred_to_gt: dict[int, int] = {}
    label_ok: dict[int, bool] = {}
    for gi, pj, _ in matches:
        g, p = gt.objects[gi], pred.objects[pj]
        pred_to_gt[p.id] = g.id
        ok = labels_match(g.label, p.label, judge)
        label_ok[p.id] = ok
        tp_obj += ok
    objects = prf(tp_obj, len(pred.objects), len(gt.objects), options.empty_sample)

    gt_rels = [r for r in gt.relations if r.subject_id in gt_label and r.object_id in gt_label]
    pred_rels = [r for r in pred.relations if r.subject_id in pred_label and r.object_id in pred_label]
    accepted = np.zeros((len(gt_rels), len(pred_rels)), dtype=bool)
    for j, pr in enumerate(pred_rels):
        s, o = pred_to_gt.get(pr.subject_id), pred_to_gt.get(pr.object_id)
        if s is None or o is None:
            continue
        if options.relations_need_object_labels and not (label_ok[pr.subject_id] and label_ok[pr.object_id]):
            continue
        for i, gr in enumerate(gt_rels):
            if gr.subject_id == s and gr.object_id == o:
                gt_t = (gt_label[s], gr.predicate, gt_label[o])
                pred_t = (pred_label[pr.subject_id], pr.predicate, pred_label[pr.object_id])
                accepted[i, j] = predicates_match(gt_t, pred_t, judge)
    tp_rel = 0
    if accepted.any():
        rows, cols = linear_sum_assignment((~accepted).astype(np.float64))
        tp_rel = int(accepted[rows, cols].sum())
    relations = prf(tp_rel, len(pred_rels), len(gt_rels), options.empty_sample)
    return SggSampleResult(
        objects=objects,
        relations=relations,
        sgg_score=(objects.f1 + relations.f1) / 2,
        failed=failed,
        matched_iou=tuple(m[2] for m in matches),
        key=gt.frame_index,
    )


@dataclass
class SggSummary:
    samples: int
    parse_failures: int
    parse_failure_rate: float
    object_precision: float
    object_recall: float
    object_f1: float
    relation_precision: float
    relation_recall: float
    relation_f1: float
    sgg_score: float
    mean_matched_iou: float


def summarize_sgg(results: Sequence[SggSampleResult]) -> SggSummary:
    """Macro averages over samples, the failure rate, and the mean IoU of aligned object pairs."""

    def mean(values: list[float]) -> float:
        return float(np.mean(values)) if values else 0.0

    ious = [iou for r in results for iou in r.matched_iou]
    failures = sum(r.failed for r in results)
    return SggSummary(
        samples=len(results),
        parse_failures=failures,
        parse_failure_rate=failures / len(results) if results else 0.0,
        object_precision=mean([r.objects.precision for r in results]),
        object_recall=mean([r.objects.recall for r in results]),
        object_f1=mean([r.objects.f1 for r in results]),
        relation_precision=mean([r.relations.precision for r in results]),
        relation_recall=mean([r.relations.recall for r in results]),
        relation_f1=mean([r.relations.f1 for r in results]),
        sgg_score=mean([r.sgg_score for r in results]),
        mean_matched_iou=mean(ious),
    )
