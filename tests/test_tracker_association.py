"""AssociationTracker on scripted box sequences: every expectation follows from the scripted motion."""

from __future__ import annotations

import numpy as np
import pytest

from vsgg_ros.graph import Frame, Track, TrackState
from vsgg_ros.interfaces import Detection, Tracker
from vsgg_ros.tracking.association import AssociationConfig, AssociationTracker
from vsgg_ros.tracking.boxes import iou_matrix
from vsgg_ros.tracking.labels import LabelVote

IMAGE = np.zeros((240, 320, 3), np.uint8)


def frame(i: int) -> Frame:
    return Frame(index=i, stamp_ns=i * 100_000_000, image=IMAGE)


def det(x: float, y: float, w: float = 40, h: float = 40, score: float = 0.9, label: str = "cup") -> Detection:
    return Detection(box=(x, y, x + w, y + h), label=label, class_id=10, score=score)


def by_id(tracks: list[Track]) -> dict[int, Track]:
    return {t.track_id: t for t in tracks}


def test_implements_the_tracker_protocol() -> None:
    assert isinstance(AssociationTracker(), Tracker)


def test_iou_matrix_hand_values() -> None:
    a = np.array([[0, 0, 10, 10], [0, 0, 0, 0]])
    b = np.array([[5, 0, 15, 10], [0, 0, 10, 10], [20, 20, 30, 30]])
    # overlap 5x10=50, union 150 -> 1/3; identical -> 1; disjoint -> 0; empty box -> 0
    np.testing.assert_allclose(iou_matrix(a, b), [[1 / 3, 1, 0], [0, 0, 0]])


def crossing_run(config: AssociationConfig) -> tuple[set[int], set[int]]:
    """A walks right behind B, which walks left; A is hidden while they overlap (frames 14-16)."""
    tracker = AssociationTracker(config)
    ids_a, ids_b = set(), set()
    for i in range(30):
        ax, bx = 10 + 8 * i, 250 - 8 * i
        dets = [det(bx, 100, label="person")]
        if abs(ax - bx) >= 30:
            dets.append(det(ax, 100, label="person"))
        for t in tracker.step(frame(i), dets):
            if t.state != TrackState.LOST and ax != bx:  # at i = 15 the two boxes coincide
                (ids_a if t.box[0] == ax else ids_b).add(t.track_id)
    return ids_a, ids_b


def test_crossing_objects_keep_their_ids_through_the_occlusion() -> None:
    ids_a, ids_b = crossing_run(AssociationConfig())
    assert len(ids_a) == 1 and len(ids_b) == 1 and ids_a != ids_b


def test_crossing_needs_the_motion_model() -> None:
    # Without velocity A's lost box stays where it vanished (x=114), exactly where B is when A reappears:
    # B's detection is stolen by A's track and the identities swap. This is what the prediction prevents.
    ids_a, ids_b = crossing_run(AssociationConfig(velocity_momentum=1.0))
    assert len(ids_a) > 1 or len(ids_b) > 1


def test_occlusion_gap_keeps_the_id_and_reports_lost_with_predicted_box() -> None:
    tracker = AssociationTracker(AssociationConfig(max_lost_frames=10))
    for i in range(6):
        (first,) = tracker.step(frame(i), [det(20 + 5 * i, 50)])
    assert first.state == TrackState.TRACKED
    for i in range(6, 9):  # hidden for three frames
        (lost,) = tracker.step(frame(i), [])
        assert lost.state == TrackState.LOST and lost.track_id == first.track_id
        assert lost.box[0] > 45  # extrapolated forward past the last seen x = 45
    (back,) = tracker.step(frame(9), [det(20 + 5 * 9, 50)])
    assert back.track_id == first.track_id and back.state == TrackState.TRACKED
    assert back.box == (65, 50, 105, 90)


def test_low_score_detection_keeps_a_track_but_never_starts_one() -> None:
    tracker = AssociationTracker()
    for i in range(3):
        (t,) = tracker.step(frame(i), [det(100, 100)])
    (still,) = tracker.step(frame(3), [det(101, 100, score=0.3)])  # partly occluded: unsure detector
    assert still.track_id == t.track_id and still.state == TrackState.TRACKED and still.score == 0.3
    tracks = tracker.step(frame(4), [det(101, 100), det(250, 10, score=0.3)])
    assert [x.track_id for x in tracks] == [t.track_id]


def test_one_frame_false_positive_is_dropped_without_a_lost_phase() -> None:
    tracker = AssociationTracker()
    (fp,) = tracker.step(frame(0), [det(10, 10)])
    assert fp.state == TrackState.NEW
    assert tracker.step(frame(1), []) == []
    assert len(tracker) == 0


def test_lost_track_is_removed_exactly_after_the_timeout_and_reentry_gets_a_new_id() -> None:
    tracker = AssociationTracker(AssociationConfig(max_lost_frames=3))
    for i in range(11):
        (t,) = tracker.step(frame(i), [det(100, 100)])
    states = [[x.state for x in tracker.step(frame(i), [])] for i in range(11, 15)]
    assert states == [[TrackState.LOST]] * 3 + [[]]  # lost at 11, 12, 13 (gap <= 3), gone at 14
    (again,) = tracker.step(frame(15), [det(100, 100)])
    assert again.track_id > t.track_id and again.state == TrackState.NEW


def test_ids_are_never_reused_and_only_increase() -> None:
    tracker = AssociationTracker(AssociationConfig(max_lost_frames=2))
    births: list[int] = []
    seen: set[int] = set()
    rng = np.random.default_rng(3)
    for i in range(400):
        dets = [det(float(x), float(y)) for x, y in rng.uniform(0, 280, size=(int(rng.integers(0, 4)), 2))]
        for t in tracker.step(frame(i), dets):
            if t.track_id not in seen:
                seen.add(t.track_id)
                births.append(t.track_id)
    assert births == sorted(births) and len(births) == len(set(births)) > 50
    tracker.reset()
    (after_reset,) = tracker.step(frame(400), [det(10, 10)])
    assert after_reset.track_id > max(births)


def test_labels_follow_the_majority_of_a_bounded_history() -> None:
    tracker = AssociationTracker(AssociationConfig(label_history=5))
    sequence = ["cup", "cup", "bottle", "cup", "bottle"]
    for i, label in enumerate(sequence):
        (t,) = tracker.step(frame(i), [det(50, 50, label=label)])
    assert t.label == "cup"  # 3 cups vs 2 bottles
    for i in range(5, 8):
        (t,) = tracker.step(frame(i), [det(50, 50, label="bottle")])
    assert t.label == "bottle"  # the window now holds cup, bottle, bottle, bottle, bottle... minus old cups


def test_label_vote_breaks_ties_towards_the_latest() -> None:
    vote = LabelVote(4)
    for label in ["a", "b", "b", "a"]:
        vote.add(label, 0)
    assert vote.winner() == ("a", 0)
    vote.add("c", 2)  # window b, b, a, c
    assert vote.winner() == ("b", 0)
    assert len(vote) == 4


def test_class_gating_refuses_cross_label_matches() -> None:
    tracker = AssociationTracker(AssociationConfig(class_gated=True))
    for i in range(3):
        (cup,) = tracker.step(frame(i), [det(50, 50, label="cup")])
    tracks = tracker.step(frame(3), [det(50, 50, label="book")])
    states = {t.track_id: t.state for t in tracks}
    assert states[cup.track_id] == TrackState.LOST and len(states) == 2


def test_no_detections_input_ages_tracks() -> None:
    tracker = AssociationTracker(AssociationConfig(max_lost_frames=1))
    for i in range(3):
        tracker.step(frame(i), [det(50, 50)])
    assert [t.state for t in tracker.step(frame(3), None)] == [TrackState.LOST]
    assert tracker.step(frame(5), None) == []


def test_state_stays_bounded_over_10000_frames() -> None:
    cfg = AssociationConfig(max_tracks=32, max_lost_frames=50, label_history=8)
    tracker = AssociationTracker(cfg)
    rng = np.random.default_rng(11)
    sizes = []
    for i in range(10_000):
        xs = rng.uniform(0, 280, size=(int(rng.integers(0, 6)), 2))
        dets = [det(float(x), float(y), 20, 20, label=str(rng.integers(0, 3))) for x, y in xs]
        tracker.step(frame(i), dets)
        sizes.append(len(tracker))
    assert max(sizes) <= 32
    assert all(len(t.votes) <= 8 for t in tracker._tracks)


def test_config_validation_names_the_field() -> None:
    with pytest.raises(ValueError, match="low_score <= high_score"):
        AssociationConfig(low_score=0.6, high_score=0.5)
    with pytest.raises(ValueError, match="match_iou"):
        AssociationConfig(match_iou=1.5)
    with pytest.raises(ValueError, match="max_tracks"):
        AssociationConfig(max_tracks=0)
