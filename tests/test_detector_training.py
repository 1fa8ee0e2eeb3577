"""The SynthRoom detector's targets and in-graph decoding, on hand-worked examples."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from torch import nn
from vsgg_training.detector.data import BoxSet, centernet_targets, load_boxset, save_boxset
from vsgg_training.detector.loss import box_giou, cell_boxes, detection_loss, giou_loss
from vsgg_training.detector.model import STRIDE, EndToEnd
from vsgg_training.detector.train import sampling_weights


def test_targets_for_one_box() -> None:
    # box (8, 8, 24, 16) at stride 4: centre (4.0, 3.0) cells, size 4 x 2 cells, class 2
    heat, log_size, offset, mask = centernet_targets(np.array([[8, 8, 24, 16, 2]], np.float32), 3, 32, 40, STRIDE)
    assert heat.shape == (3, 8, 10) and heat[2, 3, 4] == 1.0
    assert heat[[0, 1]].max() == 0.0
    # sigma = max(side / 6, 0.5): x 0.667, y 0.5 -> one cell right: exp(-1 / (2 * 0.444)) = 0.3247
    assert math.isclose(heat[2, 3, 5], math.exp(-1 / (2 * (4 / 6) ** 2)), rel_tol=1e-5)
    assert mask.sum() == 9 and mask[2:5, 3:6].all()
    np.testing.assert_allclose(log_size[:, 3, 4], [math.log(4), math.log(2)], rtol=1e-6)
    np.testing.assert_allclose(offset[:, 3, 4], [0.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(offset[:, 2, 3], [1.0, 1.0], atol=1e-6)  # centre is one cell right and down
    _, _, _, centre_only = centernet_targets(np.array([[8, 8, 24, 16, 2]], np.float32), 3, 32, 40, STRIDE, 0)
    assert centre_only.sum() == 1 and centre_only[3, 4] == 1


class _FixedMaps(nn.Module):
    """Stands in for the CNN: one class-2 peak at cell (y=3, x=5) with known size and offset."""

    num_classes = 3

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        b = images.shape[0]
        logits = torch.full((b, 3, 8, 10), -10.0)
        logits[:, 2, 3, 5] = 2.0
        log_size = torch.zeros(b, 2, 8, 10)
        log_size[:, 0, 3, 5], log_size[:, 1, 3, 5] = math.log(4), math.log(2)  # 16 x 8 px
        offset = torch.zeros(b, 2, 8, 10)
        offset[:, 0, 3, 5], offset[:, 1, 3, 5] = 0.5, 0.25
        return logits, log_size, offset


def test_in_graph_decoding_hand_case() -> None:
    model = EndToEnd(_FixedMaps(), top_k=4)  # type: ignore[arg-type]
    detections, heat = model(torch.zeros(2, 3, 32, 40))
    assert detections.shape == (2, 4, 6) and heat.shape == (2, 3, 8, 10)
    # centre ((5 + 0.5) * 4, (3 + 0.25) * 4) = (22, 13); half size (8, 4) -> (14, 9, 30, 17); score sigmoid(2)
    best = detections[0, 0].tolist()
    np.testing.assert_allclose(best[:4], [14, 9, 30, 17], atol=1e-5)
    assert math.isclose(best[4], 1 / (1 + math.exp(-2)), rel_tol=1e-6) and best[5] == 2
    assert detections[0, 1:, 4].max() < 1e-4  # everything else is background


def test_regression_region_follows_a_tall_box() -> None:
    # box (100, 20, 132, 120) at stride 4: centre (29, 17.5) cells -> cell (x 29, y 17); size 8 x 25 cells;
    # sigma x = 8/6 = 1.333, y = 25/6 = 4.167. region 0.5: x +-int(0.5 * 8 / 2) = 2, y +-int(0.5 * 25 / 2) = 6
    box = np.array([[100, 20, 132, 120, 0]], np.float32)
    _, log_size, offset, mask = centernet_targets(box, 1, 240, 320, STRIDE, radius=1, region=0.5)
    rows, cols = np.nonzero(mask)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (11, 23, 27, 31)
    assert mask[16:19, 28:31].min() == 1.0  # the 3x3 radius keeps full weight
    # six cells above the centre the weight is the Gaussian there: exp(-36 / (2 * 4.167^2))
    assert math.isclose(mask[11, 29], math.exp(-36 / (2 * (25 / 6) ** 2)), rel_tol=1e-5)
    # every supervised cell points back to the true centre and carries the full box size
    assert math.isclose(offset[1, 11, 29], 17.5 - 11, rel_tol=1e-6) and math.isclose(offset[0, 11, 27], 2.0)
    np.testing.assert_allclose(np.exp(log_size[:, 23, 31]), [8, 25], rtol=1e-5)
    # region 0 keeps the plain 3x3 neighbourhood
    assert centernet_targets(box, 1, 240, 320, STRIDE, radius=1)[3].sum() == 9


def test_small_object_frames_are_drawn_more_often() -> None:
    boxes = [
        np.array([[0, 0, 100, 100, 0]], np.float32),  # nothing small
        np.array([[0, 0, 10, 10, 3], [0, 0, 5, 20, 4], [0, 0, 50, 50, 1]], np.float32),  # two under 150 px^2
    ]
    data = BoxSet(np.zeros((2, 4, 4, 3), np.uint8), boxes)
    np.testing.assert_allclose(sampling_weights(data, boost=0.0), [0.5, 0.5])
    np.testing.assert_allclose(sampling_weights(data, boost=1.0), [1 / 4, 3 / 4])  # weights 1 and 1 + 2


def test_rendered_frames_round_trip_through_the_cache(tmp_path: Path) -> None:
    boxes = [np.array([[1, 2, 3, 4, 5]], np.float32), np.zeros((0, 5), np.float32), np.ones((2, 5), np.float32)]
    data = BoxSet(np.arange(3 * 2 * 2 * 3, dtype=np.uint8).reshape(3, 2, 2, 3), boxes)
    save_boxset(tmp_path / "frames.npz", data, "worlds-a")
    loaded, key = load_boxset(tmp_path / "frames.npz")
    assert key == "worlds-a"
    np.testing.assert_array_equal(loaded.images, data.images)
    assert [b.tolist() for b in loaded.boxes] == [b.tolist() for b in boxes]


def test_giou_loss_hand_cases() -> None:
    # (0,0,2,2) vs (1,1,3,3): intersection 1, union 7, hull 9 -> GIoU 1/7 - 2/9
    pred = torch.tensor([[0.0, 0, 2, 2], [0, 0, 2, 2], [0, 0, 1, 1]])
    target = torch.tensor([[1.0, 1, 3, 3], [0, 0, 2, 2], [2, 0, 3, 1]])
    # identical -> 0; disjoint unit boxes one apart: IoU 0, union 2, hull 3 -> 1 + 1/3
    np.testing.assert_allclose(giou_loss(pred, target).numpy(), [1 - (1 / 7 - 2 / 9), 0.0, 4 / 3], rtol=1e-6)


def test_cell_boxes_decode_log_size_and_offset() -> None:
    boxes = cell_boxes(torch.tensor([[math.log(4), math.log(2)]]), torch.tensor([[0.5, -0.25]]))
    np.testing.assert_allclose(boxes.numpy(), [[-1.5, -1.25, 2.5, 0.75]], rtol=1e-6)


def test_giou_term_is_zero_on_perfect_boxes_and_weighted_by_the_mask() -> None:
    t_size = torch.zeros(1, 2, 2, 2)  # 1 x 1 cells everywhere
    t_offset = torch.zeros(1, 2, 2, 2)
    mask = torch.tensor([[[1.0, 0.0], [3.0, 0.0]]])
    assert float(box_giou(t_size, t_offset, t_size, t_offset, mask)) == 0.0
    # cell (1, 0) predicts its unit box two cells right (a one-cell gap): loss 4/3 there, weight 3 of 4
    offset = t_offset.clone()
    offset[0, 0, 1, 0] = 2.0
    assert math.isclose(float(box_giou(t_size, offset, t_size, t_offset, mask)), 0.75 * 4 / 3, rel_tol=1e-6)
    # unsupervised cells never count, however wrong
    offset[0, 0, 0, 1] = 50.0
    assert math.isclose(float(box_giou(t_size, offset, t_size, t_offset, mask)), 0.75 * 4 / 3, rel_tol=1e-6)
    logits = torch.full((1, 1, 2, 2), -5.0)
    targets = (torch.zeros(1, 1, 2, 2), t_size, t_offset, mask)
    _, without = detection_loss((logits, t_size, offset), targets)
    total, parts = detection_loss((logits, t_size, offset), targets, giou_weight=5.0)
    assert "giou" not in without and math.isclose(parts["giou"], 1.0, rel_tol=1e-6)
    expected = parts["heat"] + 2.0 * parts["size"] + parts["offset"] + 5.0 * parts["giou"]
    assert math.isclose(float(total), expected, rel_tol=1e-5)


def test_balanced_regression_weights_sum_to_log_area_per_object() -> None:
    # a person-sized box (8 x 25 cells) and a phone-sized one (2 x 2 cells) far apart
    boxes = np.array([[100, 20, 132, 120, 0], [8, 8, 16, 16, 1]], np.float32)
    _, _, _, plain = centernet_targets(boxes, 2, 240, 320, STRIDE, radius=1, region=0.5)
    _, _, _, balanced = centernet_targets(boxes, 2, 240, 320, STRIDE, radius=1, region=0.5, balance=True)
    assert plain[:10, :10].sum() == 9 and plain[10:, 20:].sum() > 20  # unbalanced: the big box dominates
    assert math.isclose(balanced[:10, :10].sum(), math.log1p(4), rel_tol=1e-5)
    assert math.isclose(balanced[10:, 20:].sum(), math.log1p(8 * 25), rel_tol=1e-5)
    assert ((balanced > 0) == (plain > 0)).all()
