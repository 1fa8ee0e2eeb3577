"""SceneGraphVLM's hallucination-aware GRPO rewards (paper 004 §3.4, Table 5; reference notes §6.4).

Every term is 0 unless the completion is strictly valid TOON inside answer tags (the validity mask).
Objects: one-to-one Hungarian assignment GT x prediction on ``1·(1−sem) + 2·(1−GIoU) + 5·L1`` with
``sem`` exact label equality and ``L1`` the summed absolute coordinate error, x divided by the image
width and y by its height. Relations: a prediction is a candidate for a GT relation when predicate,
subject name and object name agree and both end boxes overlap the GT ends with IoU >= 0.5; the
matching is one-to-one and of maximum size, ties going to the larger IoU_s + IoU_o. Terms are
unweighted here; :data:`REWARD_WEIGHTS` carries the paper's weights (applied by TRL's ``reward_weights``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from vsgg_ros.codec.toon import IssueKind, ToonDecodeResult, ToonGraph, ToonSchema, decode_toon
from vsgg_ros.eval.geometry import box_iou

REWARD_WEIGHTS: dict[str, float] = {
    "format": 0.5,
    "object_class": 1.5,
    "object_box": 1.5,
    "relation_recall": 3.0,
    "relation_precision": 1.0,
    "relation_f1": 2.0,
    "object_hallucination": 1.0,
    "relation_hallucination": 1.0,
}
IOU_THRESHOLD = 0.5


def giou(a: Sequence[float], b: Sequence[float]) -> float:
    """Generalised IoU of two xyxy boxes: IoU minus the share of the enclosing box neither covers."""
    inter_w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    inter_h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = inter_w * inter_h
    area_a = (a[2] - a[0]) * (a[3] - a[1])
    area_b = (b[2] - b[0]) * (b[3] - b[1])
    union = area_a + area_b - inter
    hull = (max(a[2], b[2]) - min(a[0], b[0])) * (max(a[3], b[3]) - min(a[1], b[1]))
    iou = inter / union if union > 0 else 0.0
    return iou - (hull - union) / hull if hull > 0 else iou


def l1_norm(a: Sequence[float], b: Sequence[float], image_size: tuple[int, int]) -> float:
    width, height = image_size
    return (abs(a[0] - b[0]) + abs(a[2] - b[2])) / width + (abs(a[1] - b[1]) + abs(a[3] - b[3])) / height


@dataclass(frozen=True)
class GraphScores:
    """Every reward term of one completion (unweighted) plus what they were computed from."""

    valid: bool
    format: float
    object_class: float
    object_box: float
    relation_recall: float
    relation_precision: float
    relation_f1: float
    object_hallucination: float
    relation_hallucination: float
    matched_relations: int = 0

    def weighted_total(self, weights: dict[str, float] | None = None) -> float:
        weights = weights or REWARD_WEIGHTS
        return sum(w * getattr(self, name) for name, w in weights.items())


INVALID = GraphScores(False, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


def object_assignment(gt: ToonGraph, pred: ToonGraph, image_size: tuple[int, int]) -> list[tuple[int, int]]:
    """(GT index, predicted index) pairs minimising the paper's cost (every row or column assigned)."""
    if not gt.objects or not pred.objects:
        return []
    cost = np.zeros((len(gt.objects), len(pred.objects)))
    for i, g in enumerate(gt.objects):
        for j, p in enumerate(pred.objects):
            sem = 1.0 if g.name == p.name else 0.0
            cost[i, j] = (1 - sem) + 2 * (1 - giou(g.box, p.box)) + 5 * l1_norm(g.box, p.box, image_size)
    rows, cols = linear_sum_assignment(cost)
    return [(int(i), int(j)) for i, j in zip(rows, cols, strict=True)]


def matched_relations(gt: ToonGraph, pred: ToonGraph) -> int:
    """Size of the one-to-one relation matching (see the module docstring)."""
    if not gt.relations or not pred.relations:
        return 0
    gt_obj = {o.id: o for o in gt.objects}
    pr_obj = {o.id: o for o in pred.objects}
    weight = np.zeros((len(gt.relations), len(pred.relations)))
    for i, g in enumerate(gt.relations):
        for j, p in enumerate(pred.relations):
            gs, go, ps, po = gt_obj.get(g.subj), gt_obj.get(g.obj), pr_obj.get(p.subj), pr_obj.get(p.obj)
            if None in (gs, go, ps, po) or (g.pred, g.group) != (p.pred, p.group):
                continue
            if gs.name != ps.name or go.name != po.name:  # type: ignore[union-attr]
                continue
            iou_s = float(box_iou([gs.box], [ps.box])[0, 0])  # type: ignore[union-attr]
            iou_o = float(box_iou([go.box], [po.box])[0, 0])  # type: ignore[union-attr]
            if iou_s >= IOU_THRESHOLD and iou_o >= IOU_THRESHOLD:
                weight[i, j] = 1000.0 + iou_s + iou_o
    rows, cols = linear_sum_assignment(-weight)
    return int(sum(weight[i, j] > 0 for i, j in zip(rows, cols, strict=True)))


def score_graphs(gt: ToonGraph, pred: ToonGraph, image_size: tuple[int, int]) -> GraphScores:
    """All reward terms for a strictly valid prediction ``pred`` against ``gt``."""
    n_gt, n_pred = len(gt.objects), len(pred.objects)
    pairs = object_assignment(gt, pred, image_size)
    denom = max(n_gt, n_pred)
    cls = box = 0.0
    good = 0
    for i, j in pairs:
        g, p = gt.objects[i], pred.objects[j]
        iou = float(box_iou([g.box], [p.box])[0, 0])
        cls += 1.0 if g.name == p.name else 0.0
        box += (2 * iou + 5 * math.exp(-l1_norm(g.box, p.box, image_size))) / 7
        good += g.name == p.name and iou >= IOU_THRESHOLD
    r_gt, r_pred = len(gt.relations), len(pred.relations)
    matched = matched_relations(gt, pred)
    recall = precision = f1 = 0.0
    if r_gt and r_pred:
        recall, precision = matched / r_gt, matched / r_pred
        f1 = 2 * recall * precision / (recall + precision) if matched else 0.0
    return GraphScores(
        valid=True,
        format=1.0,
        object_class=cls / denom if denom else 0.0,
        object_box=box / denom if denom else 0.0,
        relation_recall=recall,
        relation_precision=precision,
        relation_f1=f1,
        object_hallucination=-(n_pred - good) / n_pred if n_pred else 0.0,
        relation_hallucination=-(((r_pred - matched) / r_pred) ** 2) if r_pred else 0.0,
        matched_relations=matched,
    )


def strict_parse(text: str, schema: ToonSchema, image_size: tuple[int, int]) -> ToonDecodeResult | None:
    """The decoded completion when it is strictly valid and wrapped in answer tags, else None."""
    result = decode_toon(text, schema, image_size=image_size)
    if not result.strictly_valid or IssueKind.ANSWER_TAGS not in result.kinds:
        return None
    return result


def score_completion(text: str, solution: str, schema: ToonSchema, image_size: tuple[int, int]) -> GraphScores:
    """Reward terms of a completion against the target TOON ``solution`` (INVALID when not strict)."""
    pred = strict_parse(text, schema, image_size)
    if pred is None:
        return INVALID
    gt = decode_toon(solution, schema, image_size=image_size)
    return score_graphs(gt.graph, pred.graph, image_size)


def _text(completion: object) -> str:
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion and isinstance(completion[-1], dict):
        return str(completion[-1].get("content", ""))
    raise TypeError(f"completion must be text or chat messages, got {type(completion).__name__}")


def trl_reward_functions() -> tuple[list[Callable[..., list[float]]], list[float]]:
    """TRL reward callables (one per term, named after it so TRL logs each) and their weights.

    Dataset columns used: ``solution`` (target TOON), ``image_size`` ([W, H]), ``schema`` (toon schema).
    """

    def make(name: str) -> Callable[..., list[float]]:
        def reward(prompts: list[object], completions: list[object], **kwargs: object) -> list[float]:
            solutions, sizes, schemas = kwargs["solution"], kwargs["image_size"], kwargs["schema"]
            return [
                float(getattr(score_completion(_text(c), s, ToonSchema(k), (int(z[0]), int(z[1]))), name))
                for c, s, z, k in zip(completions, solutions, sizes, schemas, strict=True)  # type: ignore[call-overload]
            ]

        reward.__name__ = f"{name}_reward"
        return reward

    names = list(REWARD_WEIGHTS)
    return [make(n) for n in names], [REWARD_WEIGHTS[n] for n in names]
