"""Pairing predictions with ground-truth frames: by stamp, index or order; routing by video; counts."""

from __future__ import annotations

import pytest

from vsgg_ros.eval.align import align_all, align_video
from vsgg_ros.eval.video import VideoGraphs
from vsgg_ros.graph import SceneGraph


def g(index: int, stamp: int, source: str = "camera", model: str = "") -> SceneGraph:
    return SceneGraph(stamp, index, source_id=source, model_id=model)


GT = VideoGraphs("v", [g(0, 100), g(1, 200), g(2, 300)])


def test_by_stamp_ignores_frame_indices() -> None:
    # predictions numbered from 10 (a restarted source) but stamped like the GT; one extra, one missing
    preds = [g(10, 100), g(11, 300), g(12, 999)]
    out = align_video(GT, preds, "stamp")
    assert [p.frame_index if p else None for p in out] == [10, None, 11]
    _, stats = align_all([GT], preds, "stamp")
    assert (stats.matched, stats.gt_without_prediction, stats.predictions_without_gt) == (2, 1, 1)


def test_by_index_and_by_order() -> None:
    preds = [g(2, 7), g(0, 5)]
    assert [p.stamp_ns if p else None for p in align_video(GT, preds, "index")] == [5, None, 7]
    assert [p.stamp_ns if p else None for p in align_video(GT, preds, "order")] == [7, 5, None]


def test_duplicates_keep_the_last_and_are_counted() -> None:
    preds = [g(0, 100, model="first"), g(0, 100, model="second")]
    aligned, stats = align_all([GT], preds, "stamp")
    assert aligned[0][0].model_id == "second" and stats.duplicate_predictions == 1


def test_several_videos_route_by_source_id() -> None:
    a, b = VideoGraphs("a", [g(0, 1)]), VideoGraphs("b", [g(0, 1)])
    aligned, stats = align_all([a, b], [g(0, 1, "b"), g(0, 1, "zzz")], "index")
    assert aligned[0] == [None] and aligned[1][0].source_id == "b"
    assert stats.predictions_unknown_video == 1


def test_unknown_alignment_is_refused() -> None:
    with pytest.raises(ValueError, match="alignment"):
        align_video(GT, [], "nearest")  # type: ignore[arg-type]


def test_config_refuses_unknown_options() -> None:
    from vsgg_ros.eval.evaluate import EvalConfig

    with pytest.raises(ValueError, match="mode must be one of"):
        EvalConfig(mode="detect")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="align must be one of"):
        EvalConfig(align="nearest")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="iou_threshold"):
        EvalConfig(iou_threshold=0.0)
