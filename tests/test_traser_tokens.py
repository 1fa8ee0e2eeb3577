"""Trajectory-aligned token arrangement (paper 003, eq. 1-2) on hand-built masks."""

from __future__ import annotations

import numpy as np
import pytest

from vsgg_ros.heads.traser_tokens import TRJ, arrange_tokens, pack_tokens, token_coverage


def _blocks(frames: int, h: int, w: int) -> np.ndarray:
    return np.zeros((frames, h, w), dtype=bool)


def test_coverage_is_mean_over_token_footprint() -> None:
    m = _blocks(1, 4, 4)
    m[0, 0, 0] = m[0, 0, 1] = m[0, 1, 0] = True  # top-left 2x2 block: 3 of 4 pixels
    m[0, 0, 2] = m[0, 1, 3] = True  # top-right: 2 of 4
    m[0, 3, 1] = True  # bottom-left: 1 of 4
    cov = token_coverage(m, g=1, footprint=2)
    np.testing.assert_allclose(cov, [[[0.75, 0.5], [0.25, 0.0]]])


def test_coverage_takes_temporal_max_over_g_frames() -> None:
    m = _blocks(2, 2, 4)
    m[0, 0, 0] = True  # left token, frame 0: 1/4
    m[1, 0, 0] = m[1, 0, 1] = m[1, 1, 0] = True  # left token, frame 1: 3/4
    m[0, :, 3] = True  # right token, frame 0: 2/4; frame 1: 0
    cov = token_coverage(m, g=2, footprint=2)
    assert cov.shape == (1, 1, 2)
    np.testing.assert_allclose(cov, [[[0.75, 0.5]]])  # a temporal mean would give 0.5 and 0.25


def test_threshold_includes_exactly_tau() -> None:
    m = _blocks(1, 4, 4)
    m[0, 0, 0] = m[0, 0, 1] = m[0, 1, 0] = True  # 0.75 -> token 0
    m[0, 0, 2] = m[0, 1, 3] = True  # exactly 0.5 -> token 1
    m[0, 3, 1] = True  # 0.25 -> token 2, excluded
    assert arrange_tokens({5: m}, g=1, footprint=2).tokens[5].tolist() == [0, 1]
    assert arrange_tokens({5: m}, g=1, footprint=2, tau_eff=0.51).tokens[5].tolist() == [0]
    assert arrange_tokens({5: m}, g=1, footprint=2, tau_eff=0.25).tokens[5].tolist() == [0, 1, 2]


def test_stream_is_trj_separated_time_sorted_per_object() -> None:
    # grid (T=3, Hm=1, Wm=2): flat index = 2 * t + w
    a = _blocks(3, 2, 4)
    a[1, :, 0:2] = True  # t=1, w=0 -> 2
    a[0, :, 2:4] = True  # t=0, w=1 -> 1
    b = _blocks(3, 2, 4)
    b[2] = True  # t=2, both -> 4, 5
    empty = _blocks(3, 2, 4)
    arr = arrange_tokens({7: a, 3: b, 9: empty}, g=1, footprint=2)
    assert arr.grid == (3, 1, 2)
    assert arr.object_ids == (7, 3, 9)
    assert arr.stream.tolist() == [TRJ, 1, 2, TRJ, 4, 5, TRJ]
    assert arr.token_times(7).tolist() == [0, 1]


def test_pack_gathers_features_times_and_windows() -> None:
    a = _blocks(3, 2, 4)
    a[1, :, 0:2] = True
    a[0, :, 2:4] = True
    b = _blocks(3, 2, 4)
    b[2] = True
    arr = arrange_tokens({7: a, 3: b}, g=1, footprint=2)
    t, w = np.meshgrid(np.arange(3), np.arange(2), indexing="ij")
    features = (100 * t + w).astype(np.float32).reshape(3, 1, 2, 1)
    packed = pack_tokens(features, arr, token_seconds=1.0, window_seconds=2.0)
    np.testing.assert_array_equal(packed.tokens[..., 0], [[1, 100], [200, 201]])
    np.testing.assert_array_equal(packed.valid, [[1, 1], [1, 1]])
    np.testing.assert_array_equal(packed.time, [[0, 1], [2, 2]])
    np.testing.assert_array_equal(packed.window, [[0, 0], [1, 1]])
    np.testing.assert_array_equal(packed.window_time, [0, 2])


def test_pack_pads_shorter_trajectories() -> None:
    a = _blocks(2, 2, 2)
    a[:] = True
    b = _blocks(2, 2, 2)
    b[1] = True
    arr = arrange_tokens({1: a, 2: b}, g=1, footprint=2)
    packed = pack_tokens(np.ones((2, 1, 1, 3), np.float32), arr, token_seconds=0.5, window_seconds=1.0)
    np.testing.assert_array_equal(packed.valid, [[1, 1], [1, 0]])
    np.testing.assert_array_equal(packed.tokens[1, 1], [0, 0, 0])
    np.testing.assert_array_equal(packed.time[1], [0.5, 0])


@pytest.mark.parametrize("shape", [(3, 4, 4), (2, 5, 4), (2, 4, 6)])
def test_rejects_shapes_not_divisible_into_tokens(shape: tuple[int, int, int]) -> None:
    with pytest.raises(ValueError, match="not divisible"):
        token_coverage(np.zeros(shape, bool), g=2, footprint=4)


def test_rejects_mismatched_objects_and_bad_tau() -> None:
    with pytest.raises(ValueError, match="object 2"):
        arrange_tokens({1: _blocks(1, 2, 2), 2: _blocks(1, 4, 4)}, g=1, footprint=2)
    with pytest.raises(ValueError, match="tau_eff"):
        arrange_tokens({1: _blocks(1, 2, 2)}, g=1, footprint=2, tau_eff=1.5)
