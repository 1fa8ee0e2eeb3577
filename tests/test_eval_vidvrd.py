"""VidVRD / VidOR relation detection: vIoU, greedy matching, VOC AP, Recall@N, tagging, zero-shot.
Golden values by hand."""

from __future__ import annotations

import numpy as np
import pytest

from vsgg_ros.eval.geometry import trajectory_viou
from vsgg_ros.eval.video import RelationInstance, instances_from_graphs
from vsgg_ros.eval.vidvrd import VidvrdOptions, evaluate_vidvrd, voc_ap, zero_shot_split
from vsgg_ros.graph import ObjectNode, Relation, SceneGraph

DOG = (0.0, 0.0, 9.0, 9.0)
CAT = (20.0, 0.0, 29.0, 9.0)
CHASE = ("dog", "chase", "cat")


def inst(triplet, begin, end, score=1.0, sub=DOG, obj=CAT) -> RelationInstance:
    n = end - begin
    return RelationInstance(triplet, (begin, end), np.tile(sub, (n, 1)), np.tile(obj, (n, 1)), score)


def test_viou_by_hand_in_both_conventions() -> None:
    # a: frames 0-1 at [0,0,9,9]; b: frames 1-2 at [5,0,14,9]. Common frame 1.
    # pixel: overlap 5 x 10 = 50, volumes 2 x 100 each -> 50 / 350 = 1/7.
    # continuous: overlap 4 x 9 = 36, volumes 2 x 81 each -> 36 / 288 = 1/8.
    a, b = np.tile(DOG, (2, 1)), np.tile((5.0, 0.0, 14.0, 9.0), (2, 1))
    assert trajectory_viou(a, (0, 2), b, (1, 3), "pixel") == pytest.approx(1 / 7)
    assert trajectory_viou(a, (0, 2), b, (1, 3), "continuous") == pytest.approx(1 / 8)
    assert trajectory_viou(a, (0, 2), b, (2, 4)) == 0.0  # disjoint spans


GT = {
    "v1": [inst(CHASE, 0, 4), inst(CHASE, 10, 14)],
    "v2": [inst(("cat", "sit_above", "table"), 0, 3)],
}
PRED = {
    "v1": [
        inst(CHASE, 0, 4, 0.9),  # exact: TP on GT0
        inst(CHASE, 0, 4, 0.8),  # duplicate: GT0 taken, GT1 vIoU 0 -> FP
        inst(("dog", "bite", "cat"), 0, 4, 0.7),  # wrong predicate -> FP
        inst(CHASE, 10, 12, 0.6),  # half of GT1: vIoU 2A / (2A + 4A - 2A) = 0.5 -> TP
    ]
}


def test_detection_ap_recall_and_tagging_by_hand() -> None:
    s = evaluate_vidvrd(GT, PRED, VidvrdOptions(recall_at=(1, 2, 4), tag_precision_at=(1, 5, 10)))
    # v1: tp = [1,0,0,1] -> recall [.5,.5,.5,1], precision [1,.5,1/3,.5]; envelope over recall
    # steps 0->.5 (precision 1) and .5->1 (precision .5): AP = .5 * 1 + .5 * .5 = 0.75.
    # v2 has GT but no prediction: AP 0. mAP = (0.75 + 0) / 2.
    assert s.per_video_ap == pytest.approx({"v1": 0.75, "v2": 0.0})
    assert s.mean_ap == pytest.approx(0.375)
    # Recall@N pooled over 3 GT: top-1 has 1 TP, top-2 1, top-4 2.
    assert s.recall == pytest.approx({1: 1 / 3, 2: 1 / 3, 4: 2 / 3})
    # Tagging: v1 distinct triplets in score order: chase (in GT), bite (not): P@1 = 1, P@5 = 1/2
    # (cut to the 2 distinct triplets), P@10 = 1/2; v2 has none: 0. Means over the 2 videos.
    assert s.tag_precision == pytest.approx({1: 0.5, 5: 0.25, 10: 0.25})


def test_voc_ap_uses_the_monotone_envelope() -> None:
    # precision [1, .5, 2/3] at recall [1/3, 1/3, 2/3]: envelope 1 up to 1/3, 2/3 up to 2/3 -> 1/3 + 2/9.
    assert voc_ap(np.array([1 / 3, 1 / 3, 2 / 3]), np.array([1.0, 0.5, 2 / 3])) == pytest.approx(1 / 3 + 2 / 9)


def test_only_the_top_200_predictions_count() -> None:
    gt = {"v": [inst(CHASE, 0, 4)]}
    junk = [inst(("dog", "bite", "cat"), 0, 4, 1.0) for _ in range(200)]
    late = {"v": [*junk, inst(CHASE, 0, 4, 0.5)]}
    early = {"v": [inst(CHASE, 0, 4, 1.5), *junk]}
    assert evaluate_vidvrd(gt, late).mean_ap == 0.0
    assert evaluate_vidvrd(gt, early).mean_ap == 1.0


def test_threshold_is_inclusive_and_best_overlap_wins() -> None:
    # The prediction overlaps GT0 with vIoU 0.5 (kept) and GT1 with 0.6 (chosen): GT1 is detected,
    # so a second identical prediction still finds GT0.
    gt = {"v": [inst(CHASE, 0, 4), inst(CHASE, 1, 4)]}
    pred = {"v": [inst(CHASE, 2, 4, 0.9), inst(CHASE, 2, 4, 0.8)]}
    # pred [2,4) vs GT0 [0,4): 2/4 = 0.5; vs GT1 [1,4): 2/3.
    s = evaluate_vidvrd(gt, pred, VidvrdOptions(recall_at=(1, 2)))
    assert s.recall == pytest.approx({1: 0.5, 2: 1.0})


def test_zero_shot_keeps_unseen_triplets_and_their_videos() -> None:
    zs_gt, zs_pred = zero_shot_split(GT, PRED, train_triplets={CHASE})
    assert list(zs_gt) == ["v2"] and zs_pred == {"v2": []}


def _graphs(relations_by_frame: dict[int, list[tuple[int, int, str]]], n: int) -> list[SceneGraph]:
    objects = [ObjectNode(1, "dog", DOG), ObjectNode(2, "cat", CAT), ObjectNode(3, "ball", (40.0, 0, 49, 9))]
    return [
        SceneGraph(
            f, f, objects=list(objects), relations=[Relation(s, o, p) for s, o, p in relations_by_frame.get(f, [])]
        )
        for f in range(n)
    ]


def test_instances_from_graphs_are_maximal_runs() -> None:
    # chase on frames 0-2 and 5-6 (two instances), play on 3 -> three instances.
    frames = {
        0: [(1, 2, "chase")],
        1: [(1, 2, "chase")],
        2: [(1, 2, "chase")],
        3: [(2, 3, "play")],
        5: [(1, 2, "chase")],
        6: [(1, 2, "chase")],
    }
    got = sorted((i.triplet, i.span) for i in instances_from_graphs(_graphs(frames, 8)))
    assert got == [(("cat", "play", "ball"), (3, 4)), (CHASE, (0, 3)), (CHASE, (5, 7))]


def test_replay_and_shuffled_predicates() -> None:
    rng = np.random.default_rng(3)
    predicates = ["chase", "bite", "watch", "play"]
    gt, replay, shuffled_pred = {}, {}, {}
    chosen = rng.integers(len(predicates), size=(60, 3))
    permuted = iter(rng.permutation(chosen.reshape(-1)).tolist())
    for v in range(60):
        rels = [inst(("dog", predicates[chosen[v, k]], "cat"), 5 * k, 5 * k + 4) for k in range(3)]
        gt[f"v{v}"] = rels
        replay[f"v{v}"] = list(rels)
        shuffled_pred[f"v{v}"] = [inst(("dog", predicates[next(permuted)], "cat"), r.span[0], r.span[1]) for r in rels]
    perfect = evaluate_vidvrd(gt, replay)
    assert perfect.mean_ap == 1.0 and perfect.recall[50] == 1.0 and perfect.tag_precision[1] == 1.0
    # Shuffling predicates across the set: a GT is found when its slot got its own predicate back,
    # chance = sum_c p_c^2 ~= 1/4; SE = sqrt(c(1-c)/180) ~= 0.032; assert within 5 SE.
    s = evaluate_vidvrd(gt, shuffled_pred)
    p = np.bincount(chosen.reshape(-1), minlength=4) / chosen.size
    chance = float(np.sum(p**2))
    assert abs(s.recall[100] - chance) < 5 * np.sqrt(chance * (1 - chance) / chosen.size)
