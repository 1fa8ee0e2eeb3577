"""With-constraint recall bound (training/pals/bound.py) on hand-made frames, and the PALS config's
annotation knob. Golden bounds by hand: each pair offers one triplet per group (AG reference §1.3)."""

from __future__ import annotations

import pytest
from vsgg_training.pals.bound import frame_bound, recall_bound
from vsgg_training.pals.config import TrainConfig

from vsgg_ros.graph import Relation, SceneGraph


def _frame(index: int, relations: list[tuple[int, int, str]]) -> SceneGraph:
    return SceneGraph(stamp_ns=index, frame_index=index, relations=[Relation(s, o, p) for s, o, p in relations])


# Person 1. Pair (1, 2): looking_at, spatial in_front_of + beneath (object -> person), holding = 4 relations.
# Pair (1, 3): not_looking_at, behind, not_contacting = 3 relations. 7 GT relations over 2 pairs.
TWO_PAIRS = [
    (1, 2, "looking_at"), (2, 1, "in_front_of"), (2, 1, "beneath"), (1, 2, "holding"),
    (1, 3, "not_looking_at"), (3, 1, "behind"), (1, 3, "not_contacting"),
]  # fmt: skip
ONE_PAIR = [(1, 4, "unsure"), (4, 1, "on_the_side_of"), (1, 4, "touching")]


def test_frame_bound_is_three_triplets_per_pair_over_gt_count() -> None:
    frame = _frame(0, TWO_PAIRS)
    assert frame_bound(frame, 1) == pytest.approx(1 / 7)
    assert frame_bound(frame, 5) == pytest.approx(5 / 7)
    assert frame_bound(frame, 10) == pytest.approx(6 / 7)  # the second spatial label of (1, 2) is unreachable
    assert frame_bound(_frame(1, []), 10) is None


def test_recall_bound_averages_over_frames_with_gt() -> None:
    frames = [_frame(0, TWO_PAIRS), _frame(1, []), _frame(2, ONE_PAIR)]
    out = recall_bound(frames, ks=(2, 20))
    assert out["R@2"] == pytest.approx(round((2 / 7 + 2 / 3) / 2, 4))
    assert out["R@20"] == pytest.approx(round((6 / 7 + 1.0) / 2, 4))
    assert out["relations_per_frame"] == 5.0 and out["pairs_per_frame"] == 1.5 and out["frames"] == 2
    with pytest.raises(ValueError, match="no frame"):
        recall_bound([_frame(0, [])])


def test_train_config_checks_the_annotation_policy() -> None:
    assert TrainConfig().annotation == "all"
    assert TrainConfig(annotation="involved").annotation == "involved"
    with pytest.raises(ValueError, match="'some'"):
        TrainConfig(annotation="some")
    assert (
        TrainConfig.from_dict({k: v for k, v in TrainConfig().to_dict().items() if k != "annotation"}).annotation
        == "all"
    )
