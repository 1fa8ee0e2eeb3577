"""Assembly of per-object TraSeR sequences from the exported graph's fixed-shape outputs."""

from __future__ import annotations

import numpy as np
import pytest

from vsgg_ros.heads.traser_latents import object_sequences


def test_keeps_present_windows_in_time_order() -> None:
    z = np.array([[[1.0]], [[2.0]]])  # (O=2, M=1, d=1)
    zw = np.array(
        [[[[10.0], [11.0]], [[20.0], [21.0]], [[30.0], [31.0]]], [[[40.0], [41.0]], [[0.0], [0.0]], [[0.0], [0.0]]]]
    )
    present = np.array([[1.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    seqs = object_sequences(z, zw, present)
    assert seqs[0][:, 0].tolist() == [1, 10, 11, 30, 31]
    assert seqs[1][:, 0].tolist() == [2, 40, 41]


def test_object_with_no_window_keeps_global_latents() -> None:
    seqs = object_sequences(np.ones((1, 3, 2)), np.ones((1, 2, 4, 2)), np.zeros((1, 2)))
    assert seqs[0].shape == (3, 2)


def test_rejects_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match="window_present"):
        object_sequences(np.ones((2, 3, 2)), np.ones((2, 4, 5, 2)), np.ones((2, 3)))
