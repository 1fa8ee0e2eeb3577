"""Pieces of the PALS pair representation checked against hand-rasterised values."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="PALS training code needs the training extra (torch)")

from vsgg_training.pals.config import ModelConfig  # noqa: E402
from vsgg_training.pals.model import PairEncoder, head_boxes, union_masks  # noqa: E402


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


def test_head_crop_box_sits_at_the_top_centre_of_the_person_box() -> None:
    box = head_boxes(torch.tensor([[2.0, 100.0, 50.0, 140.0, 150.0]]))  # 40 wide, 100 tall
    b, x0, y0, x1, y1 = box[0].tolist()
    assert b == 2.0
    assert (x0 + x1) / 2 == pytest.approx(120.0)
    assert (y0 + y1) / 2 == pytest.approx(58.5)  # 0.085 h below the top
    assert x1 - x0 == pytest.approx(24.0) and y1 - y0 == pytest.approx(24.0)


def test_head_crop_widens_the_fused_input_and_needs_the_image() -> None:
    cfg = ModelConfig(channels=8, head_crop=12)
    enc = PairEncoder(cfg)
    assert enc.fuse[0].in_features == 3 * cfg.d_model + 2 * 32 + 32 + 64
    feat = torch.zeros(1, 8, 30, 40)
    image = torch.rand(1, 3, 240, 320) - 0.5
    rois = torch.tensor([[0.0, 10.0, 10.0, 60.0, 100.0], [0.0, 80.0, 50.0, 120.0, 90.0]])
    args = (feat, rois, torch.tensor([0, 5]), torch.tensor([[0, 1]]), torch.tensor([[0.0, 10.0, 10.0, 120.0, 100.0]]))
    assert enc(*args, image).shape == (1, cfg.d_model)
    with pytest.raises(ValueError, match="head-crop"):
        enc(*args)


def test_head_crop_once_per_subject_equals_once_per_pair() -> None:
    torch.manual_seed(0)
    enc = PairEncoder(ModelConfig(channels=8, head_crop=12)).eval()
    feat = torch.rand(1, 8, 30, 40)
    image = torch.rand(1, 3, 240, 320) - 0.5
    rois = torch.tensor([[0.0, 10.0, 10.0, 60.0, 100.0], [0.0, 80.0, 50.0, 120.0, 90.0], [0.0, 5, 5, 30, 40]])
    pairs = torch.tensor([[0, 1], [0, 2], [1, 2]])
    unions = torch.cat([torch.zeros(3, 1), torch.tensor([[10.0, 10, 120, 100], [5, 5, 60, 100], [5, 5, 120, 90]])], 1)
    labels = torch.tensor([0, 0, 5])
    with torch.no_grad():
        per_pair = enc(feat, rois, labels, pairs, unions, image)
        once = enc(feat, rois, labels, pairs, unions, image, (torch.tensor([0, 1]), torch.tensor([0, 0, 1])))
    torch.testing.assert_close(once, per_pair, atol=1e-5, rtol=0)
