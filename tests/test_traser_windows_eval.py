"""Decoded TraSeR windows scored with the TraSeR protocol; expected values worked out by hand."""

from __future__ import annotations

import pytest

from vsgg_ros.eval.traser_windows import evaluate_windows, summary_dict, window_video
from vsgg_ros.vlm.traser_format import TraserGraph, TraserObject, TraserRelation

TARGET = TraserGraph(
    (TraserObject(1, "person"), TraserObject(2, "cup", ("red",)), TraserObject(3, "table")),
    (
        TraserRelation(1, "holding", 2, 0, 3),
        TraserRelation(1, "holding", 2, 6, 7),  # the same relation resumes: one relation, frames {0-3, 6, 7}
        TraserRelation(2, "on", 3, 0, 7),
    ),
)


def test_rows_of_one_relation_become_one_frame_set() -> None:
    video = window_video(TARGET)
    spans = {(r.subject_id, r.predicate, r.object_id): set(r.frames) for r in video.relations}
    assert spans == {(1, "holding", 2): {0, 1, 2, 3, 6, 7}, (2, "on", 3): set(range(8))}
    assert video.objects[2].attributes == ("red",)


def test_window_scores_by_hand() -> None:
    answer = TraserGraph(
        (TraserObject(1, "person"), TraserObject(2, "mug", ("red",)), TraserObject(3, "table")),
        (TraserRelation(1, "holding", 2, 0, 3), TraserRelation(2, "on", 3, 5, 7)),
    )
    s = summary_dict(evaluate_windows({"w": TARGET}, {"w": answer}))
    assert s["object_accuracy"] == pytest.approx(2 / 3)  # mug != cup
    assert s["attribute_recall"] == 1.0
    # holding: predicted {0..3} vs GT {0..3, 6, 7}: tIoU 4/6 > 0.5. on: {5, 6, 7} vs {0..7}: 3/8, only > 0.1.
    assert s["relation_recall"] == pytest.approx({"tiou_0.5": 1 / 2, "tiou_0.1": 1.0})
    # Triplets need both names right: every relation touches object 2 (mug), so none.
    assert s["triplet_recall"] == {"tiou_0.5": 0.0, "tiou_0.1": 0.0}
    assert (s["objects"], s["relations"], s["windows"]) == (3, 2, 1)


def test_missing_answer_counts_as_empty() -> None:
    s = summary_dict(evaluate_windows({"w": TARGET, "v": TARGET}, {"w": TARGET}))
    assert s["object_accuracy"] == pytest.approx(0.5)
    assert s["relation_recall"] == {"tiou_0.5": 0.5, "tiou_0.1": 0.5}
