"""Pieces of the PALS pair representation checked against hand-rasterised values."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="PALS training code needs the training extra (torch)")

from vsgg_training.pals.config import ModelConfig  # noqa: E402
from vsgg_training.pals.model import PairEncoder, union_masks  # noqa: E402


def test_union_masks_rasterise_each_box_at_the_requested_size() -> None:
    # union [0, 0, 40, 20]; at size 4 the cell centres are x = 5, 15, 25, 35 and y = 2.5, 7.5, 12.5, 17.5
    sub = torch.tensor([[0.0, 0.0, 20.0, 20.0]])  # covers x = 5, 15 on every row
    obj = torch.tensor([[20.0, 10.0, 40.0, 20.0]])  # covers x = 25, 35 on the lower two rows
    masks = union_masks(sub, obj, 4)
    assert masks.shape == (1, 2, 4, 4)
    assert masks[0, 0].tolist() == [[1.0, 1.0, 0.0, 0.0]] * 4
    assert masks[0, 1].tolist() == [[0.0] * 4, [0.0] * 4, [0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0]]
    assert union_masks(sub, obj, 27).shape == (1, 2, 27, 27)


def test_pair_encoder_input_width_follows_roi_and_mask_size() -> None:
    cfg = ModelConfig(channels=8, roi=7, mask_size=27)
    enc = PairEncoder(cfg)
    assert enc.union_proj[0].in_features == 8 * 7 * 7 + 2 * 27 * 27
    feat = torch.zeros(1, 8, 30, 40)
    rois = torch.tensor([[0.0, 10.0, 10.0, 60.0, 100.0], [0.0, 80.0, 50.0, 120.0, 90.0]])
    out = enc(feat, rois, torch.tensor([1, 5]), torch.tensor([[0, 1]]), torch.tensor([[0.0, 10.0, 10.0, 120.0, 100.0]]))
    assert out.shape == (1, cfg.d_model)
