"""Detector output decoders, preprocessing and NMS on hand-built tensors.

We cannot download real Ultralytics/RT-DETR exports here, so every output tensor below is constructed
by hand in the layout those exporters document (see vsgg_ros/detection/formats.py); expected boxes are
worked out by hand in the comments.
"""

from __future__ import annotations

import numpy as np
import pytest

from vsgg_ros.detection.formats import decode, decode_end2end, decode_rtdetr, decode_yolo_raw
from vsgg_ros.detection.nms import batched_nms, nms
from vsgg_ros.detection.preprocess import PAD_VALUE, prepare


def yolo_raw_output() -> np.ndarray:
    """[1, 4 + 3, 5]: columns are candidates (cx, cy, w, h, s0, s1, s2), Ultralytics v8/11 layout."""
    candidates = [
        (100, 180, 40, 20, 0.9, 0.1, 0.0),  # class 0 -> input box (80, 170, 120, 190)
        (102, 181, 40, 20, 0.8, 0.0, 0.0),  # class 0, IoU 722/878 = 0.82 with the first -> suppressed
        (102, 181, 40, 20, 0.0, 0.7, 0.0),  # same place, class 1: NMS is class-wise -> kept
        (300, 300, 10, 10, 0.0, 0.0, 0.2),  # below the 0.25 threshold
        (500, 400, 100, 60, 0.0, 0.0, 0.6),  # class 2 -> input box (450, 370, 550, 430)
    ]
    return np.array(candidates, dtype=np.float32).T[None]


def test_yolo_raw_thresholds_and_suppresses_per_class() -> None:
    raw = decode_yolo_raw(yolo_raw_output(), score_threshold=0.25, iou_threshold=0.7)
    np.testing.assert_allclose(raw.boxes, [[80, 170, 120, 190], [82, 171, 122, 191], [450, 370, 550, 430]])
    np.testing.assert_allclose(raw.scores, [0.9, 0.7, 0.6], rtol=1e-6)
    assert raw.classes.tolist() == [0, 1, 2]


def test_yolo_raw_with_letterbox_maps_back_to_image_pixels() -> None:
    # a 640x480 image letterboxed to 640x640: scale 1, 80 px of padding on top and bottom
    tensor, transform = prepare(np.zeros((480, 640, 3), np.uint8), (640, 640), "letterbox")
    assert tensor.shape == (1, 3, 640, 640)
    raw = decode("yolo-raw", yolo_raw_output(), 0.25, (640, 640))
    np.testing.assert_allclose(transform.to_image(raw.boxes)[[0, 2]], [[80, 90, 120, 110], [450, 290, 550, 350]])


def test_end2end_rows_are_thresholded_and_sorted() -> None:
    rows = [
        (100, 100, 150, 180, 0.4, 1),
        (0, 0, 0, 0, 0.0, 0),  # padding row of an NMS-free export
        (10, 20, 50, 60, 0.95, 3),
        (5, 5, 6, 6, 0.2, 2),
    ]
    raw = decode_end2end(np.array([rows], np.float32), score_threshold=0.3)
    np.testing.assert_allclose(raw.boxes, [[10, 20, 50, 60], [100, 100, 150, 180]])
    np.testing.assert_allclose(raw.scores, [0.95, 0.4], rtol=1e-6)
    assert raw.classes.tolist() == [3, 1]


def test_rtdetr_normalised_centres_scale_to_input_then_stretch_back() -> None:
    queries = [
        (0.5, 0.5, 0.25, 0.5, 0.1, 0.8),  # class 1: centre (320, 320), 160 x 320 -> (240, 160, 400, 480)
        (0.1, 0.1, 0.05, 0.05, 0.2, 0.1),  # best score 0.2 < 0.5
    ]
    raw = decode_rtdetr(np.array([queries], np.float32), score_threshold=0.5, input_size=(640, 640))
    np.testing.assert_allclose(raw.boxes, [[240, 160, 400, 480]])
    assert raw.classes.tolist() == [1]
    # a 1280x960 image stretched to 640x640: x scale 0.5, y scale 2/3
    _, transform = prepare(np.zeros((960, 1280, 3), np.uint8), (640, 640), "stretch")
    np.testing.assert_allclose(transform.to_image(raw.boxes), [[480, 240, 800, 720]])


@pytest.mark.parametrize(
    ("layout", "shape", "message"),
    [
        ("yolo-raw", (1, 4, 10), "4 \\+ nc"),
        ("yolo-end2end", (1, 10, 7), "\\[1, N, 6\\]"),
        ("rtdetr", (2, 10, 6), "rank 3"),
        ("ssd", (1, 10, 6), "unknown detector output format 'ssd'"),
    ],
)
def test_wrong_layouts_are_named(layout: str, shape: tuple[int, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        decode(layout, np.zeros(shape, np.float32), 0.5, (640, 640))


def test_letterbox_pads_with_grey_and_scales_down() -> None:
    image = np.full((100, 400, 3), 200, np.uint8)  # 4:1 -> into 200x200: scale 0.5, 200x50, 75 px pad top
    tensor, transform = prepare(image, (200, 200), "letterbox")
    assert (transform.scale_x, transform.scale_y, transform.pad_x, transform.pad_y) == (0.5, 0.5, 0.0, 75.0)
    assert np.allclose(tensor[0, :, :75], PAD_VALUE / 255) and np.allclose(tensor[0, :, 125:], PAD_VALUE / 255)
    assert np.allclose(tensor[0, :, 75:125], 200 / 255)
    np.testing.assert_allclose(transform.to_image(np.array([[10.0, 80.0, 60.0, 100.0]])), [[20, 10, 120, 50]])


def test_prepare_rejects_non_rgb_input() -> None:
    with pytest.raises(ValueError, match="HxWx3 uint8"):
        prepare(np.zeros((10, 10), np.uint8), (10, 10))
    with pytest.raises(ValueError, match="resize mode"):
        prepare(np.zeros((10, 10, 3), np.uint8), (20, 20), "crop")


def test_nms_hand_case() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [20, 20, 30, 30], [0, 0, 10, 10]], float)
    scores = np.array([0.9, 0.8, 0.7, 0.6])
    # box 1 overlaps box 0 by 90/110 = 0.82; box 3 is identical to box 0
    assert nms(boxes, scores, 0.5).tolist() == [0, 2]
    assert batched_nms(boxes, scores, np.array([0, 0, 0, 1]), 0.5).tolist() == [0, 2, 3]


def test_end2end_nms_is_opt_in_and_class_wise() -> None:
    rows = np.array(
        [
            [
                [0, 0, 10, 40, 0.9, 0],  # a tall box
                [0, 4, 10, 44, 0.8, 0],  # same class, shifted 4 px: overlap 10 x 36 = 360, union 440 -> IoU 0.82
                [0, 4, 10, 44, 0.7, 3],  # same place, other class: never suppressed by class 0
                [0, 20, 10, 60, 0.6, 0],  # overlap with the first 10 x 20 = 200, union 600 -> IoU 0.33: kept
            ]
        ],
        np.float32,
    )
    plain = decode("yolo-end2end", rows, 0.5, (64, 64), iou_threshold=0.5)
    assert plain.scores.tolist() == pytest.approx([0.9, 0.8, 0.7, 0.6])
    kept = decode("yolo-end2end", rows, 0.5, (64, 64), iou_threshold=0.5, nms=True)
    assert kept.scores.tolist() == pytest.approx([0.9, 0.7, 0.6])
    assert kept.classes.tolist() == [0, 3, 0]
    # at a gate below 0.33 the third class-0 box goes too
    assert decode("yolo-end2end", rows, 0.5, (64, 64), iou_threshold=0.3, nms=True).classes.tolist() == [0, 3]
