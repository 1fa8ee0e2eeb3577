"""Discovery rules of paper 003 (appendix A.1.2) on hand-built masks with hand-computed answers."""

from __future__ import annotations

import numpy as np
import pytest

from vsgg_ros.tracking.discovery import (
    DiscoveryConfig,
    asymmetric_overlap,
    box_mask,
    breakpoint_ratio,
    match_candidates,
    union,
    untracked_region,
)

SHAPE = (10, 10)


def rect(r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
    m = np.zeros(SHAPE, dtype=bool)
    m[r0:r1, c0:c1] = True
    return m


def test_asymmetric_overlap_measures_how_much_of_the_new_mask_is_covered() -> None:
    small, big = rect(0, 2, 0, 2), rect(0, 5, 0, 5)  # 4 px inside 25 px
    assert asymmetric_overlap(small, big) == 1.0
    assert asymmetric_overlap(big, small) == pytest.approx(4 / 25)
    half = rect(0, 2, 1, 3)  # 4 px, 2 of them inside `small`
    assert asymmetric_overlap(half, small) == pytest.approx(0.5)
    assert asymmetric_overlap(np.zeros(SHAPE, bool), big) == 0.0


def test_breakpoint_ratio_is_untracked_area_explained_by_candidates() -> None:
    tracked = [rect(0, 5, 0, 10)]  # top half tracked: U_t is the 50 px bottom half
    untracked = untracked_region(tracked, SHAPE)
    assert int(untracked.sum()) == 50
    # A 5-px candidate in U_t explains 5/50 = 0.1 of it: exactly the paper's tau_detection.
    cand = rect(5, 6, 0, 5)
    assert breakpoint_ratio(untracked, union([cand], SHAPE)) == pytest.approx(0.1)
    # Candidates over already tracked pixels explain nothing new.
    assert breakpoint_ratio(untracked, union([rect(0, 5, 0, 10)], SHAPE)) == 0.0
    # 4 px: below 0.1.
    assert breakpoint_ratio(untracked, union([rect(5, 6, 0, 4)], SHAPE)) == pytest.approx(0.08)
    # Everything tracked: nothing to discover.
    assert breakpoint_ratio(np.zeros(SHAPE, bool), rect(0, 10, 0, 10)) == 0.0


def test_candidate_mostly_inside_a_track_continues_it_else_gets_a_new_id() -> None:
    tracked = {7: rect(0, 4, 0, 4), 9: rect(6, 10, 6, 10)}
    cfg = DiscoveryConfig(tau_match=0.5, min_uncovered=0.5, min_area=1)
    occluded_part = rect(0, 2, 0, 2)  # r = 1.0 with track 7 although IoU = 4/16
    new_object = rect(0, 3, 6, 9)  # r = 0 with both
    straddling = rect(4, 6, 4, 6)  # r = 0 with both (touches neither); fully uncovered -> new
    decisions = match_candidates([occluded_part, new_object, straddling], tracked, cfg)
    assert [(d.kind, d.track_id) for d in decisions] == [("match", 7), ("new", None), ("new", None)]
    assert decisions[0].overlap == 1.0
    assert decisions[1].uncovered == 1.0


def test_tau_match_boundary_and_covered_but_unmatched_candidates_are_skipped() -> None:
    a, b = rect(0, 5, 0, 5), rect(0, 5, 5, 10)
    cand = rect(0, 2, 3, 8)  # 10 px: 4 in a, 6 in b -> r_max = 0.6 (b), uncovered 0
    cfg = DiscoveryConfig(tau_match=0.6, min_uncovered=0.5, min_area=1)
    assert match_candidates([cand], {1: a, 2: b}, cfg)[0].track_id == 2
    strict = DiscoveryConfig(tau_match=0.61, min_uncovered=0.5, min_area=1)
    d = match_candidates([cand], {1: a, 2: b}, strict)[0]
    assert d.kind == "skip" and d.uncovered == 0.0  # covered by two tracks: not a new object


def test_duplicates_of_a_new_object_in_one_frame_get_one_id_and_small_ones_are_skipped() -> None:
    cfg = DiscoveryConfig(min_area=4)
    first, dup, tiny = rect(2, 6, 2, 6), rect(2, 5, 2, 5), rect(9, 10, 9, 10)
    decisions = match_candidates([first, dup, tiny], {}, cfg)
    assert [d.kind for d in decisions] == ["new", "duplicate", "skip"]
    assert decisions[1].duplicate_of == 0


def test_box_mask_takes_pixels_whose_centres_are_inside() -> None:
    m = box_mask((1.0, 2.0, 4.0, 3.0), SHAPE)  # columns 1..3, row 2
    assert np.array_equal(np.argwhere(m), [[2, 1], [2, 2], [2, 3]])
    assert box_mask((-5.0, -5.0, 20.0, 20.0), SHAPE).all()
    with pytest.raises(ValueError, match="x2 >= x1"):
        box_mask((4.0, 0.0, 1.0, 1.0), SHAPE)


def test_bad_inputs_are_named() -> None:
    with pytest.raises(ValueError, match="tau_match"):
        DiscoveryConfig(tau_match=1.5)
    with pytest.raises(ValueError, match="track ids"):
        match_candidates([rect(0, 1, 0, 1)], {-1: rect(0, 1, 0, 1)}, DiscoveryConfig())
    with pytest.raises(ValueError, match="shape"):
        untracked_region([np.zeros((3, 3), bool)], SHAPE)
