"""Streaming SAM2 tracker behaviour: bounded memory, lifecycle, discovery from boxes, operations, config.

A random-weight micro model at 64 px (object pointers 7 frames back, so the memory window fills quickly).
Where a test needs a known mask or visibility, sam2's ``track_step`` output is overridden after it ran, so
everything downstream of the model (memory admission, lifecycle, geometry, discovery) is the real code.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="needs torch (training extra)")
pytest.importorskip("sam2", reason="needs sam2==1.1.0 (the sam2 extra)")

from vsgg_ros.graph import Frame, TrackState  # noqa: E402
from vsgg_ros.interfaces import Detection, Tracker  # noqa: E402
from vsgg_ros.tracking.sam2_config import Sam2TrackerConfig  # noqa: E402
from vsgg_ros.tracking.sam2_model import MICRO_OVERRIDES, Sam2ModelConfig, build_sam2_model  # noqa: E402
from vsgg_ros.tracking.sam2_stream import Sam2StreamTracker, build_sam2_tracker  # noqa: E402

MODEL = Sam2ModelConfig(image_size=64, device="cpu", overrides=(*MICRO_OVERRIDES, "++model.max_obj_ptrs_in_encoder=8"))
H = W = 64


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    """One intra-op thread: on a shared 2-core machine, two spinning threads are several times slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def model() -> object:
    return build_sam2_model(MODEL)


class Forced:
    """Replace the score and/or mask logits that sam2 produced (after it ran) with chosen values."""

    def __init__(self, original: object) -> None:
        self.original = original
        self.score: float | None = None
        self.logits: torch.Tensor | None = None

    def __call__(self, **kwargs: object) -> dict:
        out = self.original(**kwargs)  # type: ignore[operator]
        if self.score is not None:
            out["object_score_logits"] = torch.full_like(out["object_score_logits"], self.score)
        if self.logits is not None:
            out["pred_masks"] = self.logits.expand_as(out["pred_masks"]).clone()
        return out


@pytest.fixture
def forced(model: object, monkeypatch: pytest.MonkeyPatch) -> Forced:
    f = Forced(model.track_step)  # type: ignore[attr-defined]
    monkeypatch.setattr(model, "track_step", f)
    return f


def make(model: object, **kw: object) -> Sam2StreamTracker:
    kw.setdefault("max_lost_sec", None)
    return Sam2StreamTracker(Sam2TrackerConfig(model=MODEL, **kw), model=model)  # type: ignore[arg-type]


def frame(i: int, seed: int = 0) -> Frame:
    rng = np.random.default_rng(seed + i)
    return Frame(index=i, stamp_ns=i * 33_000_000, image=rng.integers(0, 255, (H, W, 3), dtype=np.uint8))


def test_state_is_flat_with_objects_added_and_removed_mid_stream(model: object) -> None:
    tracker = make(model, max_cond_frames=2, max_mask_fraction=1.0, history=3)
    assert isinstance(tracker, Tracker)
    sizes = []
    for i in range(30):
        if i in (0, 3, 12):
            tracker.add_object(box=(8.0 + i, 8.0, 30.0 + i, 40.0))
        if i == 20:
            assert tracker.remove_object(2)
        tracker.step(frame(i), None)
        for tid in tracker.live_ids():
            track = tracker._tracks[tid]
            assert len(track.memory.non_cond) <= tracker.horizon and len(track.memory.cond) <= 2
            assert len(track.history) <= 3
        memory = sum(tracker._tracks[t].memory.nbytes() for t in tracker.live_ids())
        sizes.append((tuple(tracker.live_ids()), tracker.memory_entries(), memory))
    assert tracker.live_ids() == [1, 3]
    # Each track holds its prompt frame plus exactly the horizon of recent frames, whatever the length.
    assert sizes[-1][1] == 2 * (1 + tracker.horizon)
    # Once the windows are full, memory does not change size frame to frame.
    assert len(set(sizes[-8:])) == 1
    assert tracker.state_nbytes() < 2 * sizes[-1][2]


def test_forced_mask_becomes_track_mask_and_box_at_frame_resolution(model: object, forced: Forced) -> None:
    logits = torch.full((1, 1, 16, 16), -10.0)
    logits[..., 4:8, 4:12] = 10.0  # low-res rows 4-7, cols 4-11 -> x4 bilinear: rows 16-31, cols 16-47
    forced.logits, forced.score = logits, 5.0
    tracker = make(model)
    tid = tracker.add_object(box=(10.0, 10.0, 50.0, 40.0), label="cup", class_id=3)
    first = tracker.step(frame(0), None)
    second = tracker.step(frame(1), None)
    assert [t.state for t in first] == [TrackState.NEW] and [t.state for t in second] == [TrackState.TRACKED]
    track = second[0]
    assert (track.track_id, track.label, track.class_id) == (tid, "cup", 3)
    assert track.box == (16.0, 16.0, 48.0, 32.0)
    mask = track.mask.to_array()
    # Bilinear upsampling leaves each corner pixel below 0: 10 * (2 * 0.625**2 - 1) < 0.
    assert mask.shape == (H, W) and mask.sum() == 16 * 32 - 4
    assert track.score == pytest.approx(1 / (1 + np.exp(-5.0)))
    assert [f for f, _ in tracker.mask_history(tid)] == [0, 1]


def test_invisible_track_keeps_memory_then_is_removed_and_ids_never_reused(model: object, forced: Forced) -> None:
    tracker = make(model, max_lost_frames=3, history=2)
    forced.score = -3.0
    tracker.add_object(box=(5.0, 5.0, 30.0, 30.0))
    states = []
    for i in range(5):
        tracks = tracker.step(frame(i), None)
        states.append([t.state for t in tracks])
        if tracks:
            assert tracks[0].mask is None
            assert len(tracker._tracks[1].memory) == i + 1  # occluded frames still enter memory
    assert states == [[TrackState.LOST]] * 4 + [[]]
    assert tracker.stats["removed"] == 1
    assert tracker.add_object(box=(1.0, 1.0, 9.0, 9.0)) == 2


def test_blown_up_mask_is_not_visible_and_stays_out_of_memory(model: object, forced: Forced) -> None:
    tracker = make(model, max_mask_fraction=0.5)
    tracker.add_object(box=(5.0, 5.0, 30.0, 30.0))
    tracker.step(frame(0), None)
    before = tracker.stats["blowups"]
    forced.logits, forced.score = torch.full((1, 1, 16, 16), 10.0), 5.0  # the whole image
    tracks = tracker.step(frame(1), None)
    assert tracks[0].state == TrackState.LOST and tracker.stats["blowups"] == before + 1
    memory = tracker._tracks[1].memory
    assert 0 in memory.cond  # the prompted frame is kept: the memory works, frame 1 is left out
    assert 1 not in memory.non_cond and 1 not in memory.cond


def test_detections_create_match_and_reanchor_tracks(model: object, forced: Forced) -> None:
    forced.score = -3.0  # never visible: a track's region stays its prompt box, so matching is exact
    tracker = make(model, reprompt_gap=0, max_cond_frames=2, history=4)
    person = Detection((4.0, 4.0, 24.0, 40.0), "person", 0, 0.9)
    cup = Detection((40.0, 10.0, 52.0, 20.0), "cup", 5, 0.8)
    dup = Detection((41.0, 10.0, 52.0, 20.0), "cup", 5, 0.5)
    tracks = tracker.step(frame(0), [cup, person, dup])
    assert sorted((t.track_id, t.label) for t in tracks) == [(1, "person"), (2, "cup")]
    for i in range(1, 4):
        tracks = tracker.step(frame(i), [person, cup])
    assert tracker.live_ids() == [1, 2]
    assert tracker.stats["discovered"] == 2 and tracker.stats["matched"] == 6
    assert tracker.stats["reprompted"] == 6  # lost tracks are re-anchored from their matched box
    assert sorted(tracker._tracks[1].memory.cond) == [0, 3]  # first prompt + most recent, capped at 2
    book = Detection((30.0, 44.0, 44.0, 60.0), "book", 7, 0.7)
    tracks = tracker.step(frame(4), [person, cup, book])
    assert sorted(t.track_id for t in tracks) == [1, 2, 3]


def test_reset_and_operations(model: object) -> None:
    tracker = make(model, max_objects=2)
    tracker.add_object(box=(1.0, 1.0, 20.0, 20.0))
    tracker.add_object(points=[(30.0, 30.0)], point_labels=[1])
    with pytest.raises(RuntimeError, match="max_objects=2"):
        tracker.add_object(box=(1.0, 1.0, 5.0, 5.0))
    tracker.step(frame(0), None)
    assert tracker.remove_object(1) and not tracker.remove_object(1)
    tracker.reset()
    assert tracker.live_ids() == [] and tracker.step(frame(1), None) == []
    assert tracker.add_object(mask=np.pad(np.ones((8, 8), bool), 28)) == 3
    assert [t.track_id for t in tracker.step(frame(2), None)] == [3]


def test_bad_prompts_and_config_are_named(model: object) -> None:
    tracker = make(model)
    with pytest.raises(ValueError, match="x2 > x1"):
        tracker.add_object(box=(10.0, 1.0, 5.0, 5.0))
    with pytest.raises(ValueError, match="point labels"):
        tracker.add_object(points=[(1.0, 1.0)], point_labels=[])
    bad = tracker.add_object(mask=np.ones((10, 10), bool))
    good = tracker.add_object(box=(1.0, 1.0, 20.0, 20.0))
    assert [t.track_id for t in tracker.step(frame(0), None)] == [good]  # the misfit mask is dropped, counted
    assert bad not in tracker.live_ids() and tracker.stats["refused"] == 1
    with pytest.raises(ValueError, match="bogus"):
        Sam2TrackerConfig.from_dict({"bogus": 1})
    with pytest.raises(ValueError, match=r"sam2\.model.*colour"):
        Sam2TrackerConfig.from_dict({"model": {"colour": "red"}})
    with pytest.raises(ValueError, match="size"):
        Sam2TrackerConfig.from_dict({"model": {"size": "xl"}})
    with pytest.raises(ValueError, match=r"sam2\.discovery\.min_area: expected an integer"):
        Sam2TrackerConfig.from_dict({"discovery": {"min_area": "big"}})
    micro = Sam2TrackerConfig.from_dict({"model": {"micro": True, "overrides": ["++x=1"]}, "max_lost_sec": 1})
    assert micro.model.size == "t" and micro.model.overrides[-1] == "++x=1" and micro.max_lost_sec == 1.0


def test_factory_builds_from_a_dict_and_warm_up_leaves_no_trace() -> None:
    tracker = build_sam2_tracker(
        {"model": {"micro": True, "image_size": 64, "device": "cpu"}, "max_objects": 4, "warmup_frames": 2}
    )
    assert tracker.config.model.overrides[: len(MICRO_OVERRIDES)] == MICRO_OVERRIDES
    assert tracker.live_ids() == [] and tracker.stats["discovered"] == 0
    assert tracker.add_object(box=(1.0, 1.0, 9.0, 9.0)) == 1


def test_grid_proposer_works_at_non_1024_sizes(model: object) -> None:
    from vsgg_ros.tracking.sam2_amg import GridProposer

    proposer = GridProposer(model, points_per_side=2, pred_iou_thresh=0.0, stability_score_thresh=0.0)
    masks = proposer.propose(frame(0).image)
    assert masks and all(m.shape == (H, W) and m.dtype == bool for m in masks)
