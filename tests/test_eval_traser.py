"""TraSeR / SVG2 open-vocabulary metrics: triplet and relation recall (temporal IoU > 0.5 / 0.1), object
accuracy, attribute recall, strict matching and the judge. Values by hand."""

from __future__ import annotations

import numpy as np
import pytest

from vsgg_ros.eval.judge import SynonymJudge
from vsgg_ros.eval.traser import SpanRelation, Trajectory, TraserVideo, evaluate_traser, traser_video_from_graphs
from vsgg_ros.graph import ObjectNode, Relation, SceneGraph


def video(labels: dict[int, tuple[str, dict[str, str]]], relations: list[tuple[int, str, int, range]], n: int = 10):
    graphs = []
    for f in range(n):
        objects = [
            ObjectNode(i, name, (0.0, 0.0, 1.0, 1.0), attributes=dict(attrs)) for i, (name, attrs) in labels.items()
        ]
        rels = [Relation(s, o, p) for s, p, o, frames in relations if f in frames]
        graphs.append(SceneGraph(f, f, objects=objects, relations=rels))
    return traser_video_from_graphs(graphs)


GT = video(
    {1: ("man", {"color": "red", "height": "tall"}), 2: ("dog", {"color": "brown"}), 3: ("frisbee", {})},
    [(1, "throwing", 3, range(10)), (2, "chasing", 3, range(5))],
)
PRED = video(
    {1: ("person", {"color": "red"}), 2: ("dog", {"color": "brown", "size": "small"}), 3: ("frisbee", {})},
    [(1, "throwing", 3, range(5)), (2, "chasing", 3, range(5))],
)


def test_strict_metrics_by_hand() -> None:
    s = evaluate_traser({"v": GT}, {"v": PRED})
    # objects: man/person differ, dog and frisbee match -> 2/3.
    assert s.object_accuracy == pytest.approx(2 / 3)
    # attributes: GT red, tall, brown; found red, brown -> 2/3.
    assert s.attribute_recall == pytest.approx(2 / 3)
    # throwing: predicted frames 0-4 vs GT 0-9 -> tIoU 5/10 = 0.5, not > 0.5 but > 0.1;
    # chasing: tIoU 1. Relation recall: 1/2 at 0.5, 2/2 at 0.1.
    assert s.relation_recall == pytest.approx({0.5: 0.5, 0.1: 1.0})
    # triplets also need both names: chasing (dog, frisbee) yes; throwing needs man == person: no.
    assert s.triplet_recall == pytest.approx({0.5: 0.5, 0.1: 0.5})


def test_judge_makes_the_lenient_score() -> None:
    s = evaluate_traser({"v": GT}, {"v": PRED}, judge=SynonymJudge([["man", "person"]]))
    assert s.object_accuracy == 1.0
    assert s.triplet_recall[0.1] == 1.0


def test_duplicates_cannot_hit_twice_and_pairs_must_agree() -> None:
    # Two GT relations on the same pair and predicate but disjoint frames; a single prediction covering
    # both spans has tIoU 5/10 with each: at 0.1 it matches one GT only (one-to-one).
    gt = TraserVideo(
        {1: Trajectory(1, "a"), 2: Trajectory(2, "b")},
        [SpanRelation(1, 2, "near", frozenset(range(5))), SpanRelation(1, 2, "near", frozenset(range(5, 10)))],
    )
    one = TraserVideo(gt.objects, [SpanRelation(1, 2, "near", frozenset(range(10)))])
    assert evaluate_traser({"v": gt}, {"v": one}).relation_recall[0.1] == 0.5
    flipped = TraserVideo(gt.objects, [SpanRelation(2, 1, "near", frozenset(range(5)))])
    assert evaluate_traser({"v": gt}, {"v": flipped}).relation_recall[0.1] == 0.0


def test_replay_is_perfect_and_shuffled_names_at_chance() -> None:
    rng = np.random.default_rng(5)
    names = ["man", "dog", "ball", "car"]
    gt, shuffled_pred = {}, {}
    labels = rng.integers(len(names), size=(100, 4))
    perm = iter(rng.permutation(labels.reshape(-1)).tolist())
    for v in range(100):
        objs = {k: Trajectory(k, names[labels[v, k]], ("red",)) for k in range(4)}
        rels = [SpanRelation(0, 1, "near", frozenset(range(5))), SpanRelation(2, 3, "on", frozenset(range(3, 9)))]
        gt[f"v{v}"] = TraserVideo(objs, rels)
        shuffled_pred[f"v{v}"] = TraserVideo({k: Trajectory(k, names[next(perm)], ("red",)) for k in range(4)}, rels)
    perfect = evaluate_traser(gt, gt)
    assert perfect.object_accuracy == perfect.attribute_recall == 1.0
    assert perfect.relation_recall == perfect.triplet_recall == {0.5: 1.0, 0.1: 1.0}
    # Object names permuted over the set: chance = sum_c p_c^2 ~= 1/4 for 400 trajectories.
    s = evaluate_traser(gt, shuffled_pred)
    p = np.bincount(labels.reshape(-1), minlength=4) / labels.size
    chance = float(np.sum(p**2))
    assert abs(s.object_accuracy - chance) < 5 * np.sqrt(chance * (1 - chance) / labels.size)
    assert s.relation_recall[0.5] == 1.0  # relations do not depend on names
