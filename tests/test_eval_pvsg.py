"""PVSG mask-tube relation recall with temporal IoU 0.5 / 0.1; golden values by hand."""

from __future__ import annotations

import numpy as np
import pytest

from vsgg_ros.eval.evaluate import tube_relations
from vsgg_ros.eval.geometry import mask_iou
from vsgg_ros.eval.pvsg import MaskTube, PvsgOptions, TubeRelation, evaluate_pvsg, relation_tiou
from vsgg_ros.graph import Mask, ObjectNode, Relation, SceneGraph

H = W = 20


def square(x: int, y: int, size: int = 6) -> Mask:
    m = np.zeros((H, W), bool)
    m[y : y + size, x : x + size] = True
    return Mask.from_array(m)


PERSON_M, CUP_M = square(0, 0), square(10, 10)
GT_PERSON = MaskTube("person", dict.fromkeys(range(4), PERSON_M))
GT_CUP = MaskTube("cup", dict.fromkeys(range(4), CUP_M))
GT_HOLD = TubeRelation(GT_PERSON, GT_CUP, "holding", frozenset(range(4)))


def test_mask_iou_at_half() -> None:
    # 6x6 square vs the same square shifted by 2 columns: overlap 6x4 = 24, union 36 + 36 - 24 = 48.
    assert mask_iou(square(0, 0), square(2, 0)) == pytest.approx(0.5)
    assert mask_iou(square(0, 0), None) == 0.0


def test_temporal_iou_uses_hit_frames_inside_the_predicted_span() -> None:
    # Masks tracked on frames 0-1 only (absent on 2-3), span 0-3: hit = {0,1}; GT real = {0..3} -> 2/4.
    half = TubeRelation(
        MaskTube("person", {0: PERSON_M, 1: PERSON_M}),
        MaskTube("cup", {0: CUP_M, 1: CUP_M}),
        "holding",
        frozenset(range(4)),
    )
    assert relation_tiou(GT_HOLD, half) == pytest.approx(0.5)
    # Masks everywhere but the predicted span covers frame 0 only: 1/4.
    short = TubeRelation(GT_PERSON, GT_CUP, "holding", frozenset({0}))
    assert relation_tiou(GT_HOLD, short) == pytest.approx(0.25)
    # A subject mask at IoU exactly 0.5 still tracks (>= 0.5).
    shifted = TubeRelation(
        MaskTube("person", dict.fromkeys(range(4), square(2, 0))), GT_CUP, "holding", frozenset(range(4))
    )
    assert relation_tiou(GT_HOLD, shifted) == 1.0


def test_recall_at_k_strong_and_weak_by_hand() -> None:
    # Ranked: wrong predicate (.95), a candidate with tIoU .25 (.9), one with tIoU .5 (.8).
    # Strong (>= .5) first at rank index 2 -> counts for K = 3 only; weak (>= .1) first at index 1 ->
    # K = 2 and 3. A second GT ("on", person -> cup) has no candidate: R@3 = 1/2; mR@3 = (1 + 0)/2.
    wrong = TubeRelation(GT_PERSON, GT_CUP, "touching", frozenset(range(4)), 0.95)
    weak = TubeRelation(GT_PERSON, GT_CUP, "holding", frozenset({0}), 0.9)
    strong = TubeRelation(
        MaskTube("person", {0: PERSON_M, 1: PERSON_M}),
        MaskTube("cup", {0: CUP_M, 1: CUP_M}),
        "holding",
        frozenset(range(4)),
        0.8,
    )
    on = TubeRelation(GT_CUP, GT_PERSON, "on", frozenset(range(4)))
    s = evaluate_pvsg({"v": [GT_HOLD, on]}, {"v": [strong, weak, wrong]}, PvsgOptions(ks=(1, 2, 3)))
    assert s.recall[0.5] == pytest.approx({1: 0.0, 2: 0.0, 3: 0.5})
    assert s.recall[0.1] == pytest.approx({1: 0.0, 2: 0.5, 3: 0.5})
    assert s.mean_recall[0.5][3] == pytest.approx(0.5)
    # Two weak candidates still make one weak hit per GT (recall never exceeds 1).
    s2 = evaluate_pvsg({"v": [GT_HOLD]}, {"v": [weak, weak]}, PvsgOptions(ks=(2,)))
    assert s2.recall[0.1][2] == 1.0


def test_category_must_match() -> None:
    other = TubeRelation(MaskTube("adult", GT_PERSON.masks), GT_CUP, "holding", frozenset(range(4)))
    assert evaluate_pvsg({"v": [GT_HOLD]}, {"v": [other]}).recall[0.5][100] == 0.0


def _video(rng: np.random.Generator, predicates: list[str], n_frames: int = 4) -> list[SceneGraph]:
    objects = [
        ObjectNode(k, ("person", "cup", "table")[k % 3], (0, 0, 1, 1), mask=square(4 * k, 4 * k, 4)) for k in range(3)
    ]
    rels = [
        Relation(0, 1, predicates[rng.integers(len(predicates))]),
        Relation(1, 2, predicates[rng.integers(len(predicates))]),
    ]
    return [SceneGraph(f, f, objects=list(objects), relations=list(rels)) for f in range(n_frames)]


def test_replay_is_perfect_and_shuffled_predicates_are_at_chance() -> None:
    rng = np.random.default_rng(4)
    predicates = ["holding", "on", "beside", "looking at"]
    videos = {f"v{i}": _video(rng, predicates) for i in range(100)}
    gt = {v: tube_relations(g) for v, g in videos.items()}
    assert evaluate_pvsg(gt, gt).recall[0.5][20] == 1.0
    # Permute every relation's predicate across the dataset (same tubes, same frames): a GT is hit
    # when its slot got its own predicate back. chance = sum_c p_c^2 ~= 1/4, SE ~ sqrt(c(1-c)/200).
    labels = [r.predicate for rels in gt.values() for r in rels]
    perm = iter(rng.permutation(labels).tolist())
    shuffled = {
        v: [TubeRelation(r.subject, r.object, next(perm), r.frames, r.score) for r in rels] for v, rels in gt.items()
    }
    p = np.unique(labels, return_counts=True)[1] / len(labels)
    chance = float(np.sum(p**2))
    got = evaluate_pvsg(gt, shuffled).recall[0.5][100]
    assert abs(got - chance) < 5 * np.sqrt(chance * (1 - chance) / len(labels))
