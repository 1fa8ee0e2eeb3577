"""Decoders for the detector output layouts we accept, each producing boxes in network-input pixels.

Layouts (batch 1; ``nc`` classes; ``N`` candidates):

- ``yolo-raw`` — Ultralytics YOLOv8/YOLO11 default export: ``[1, 4 + nc, N]``; rows 0-3 are box
  centre x, centre y, width, height in input pixels, rows 4.. are per-class scores (already sigmoid).
  Needs score thresholding and class-wise NMS.
- ``yolo-end2end`` — NMS-free exports (YOLOv10, ``end2end``/``nms=True`` exports, our SynthRoom
  detector): ``[1, N, 6]`` rows ``x1, y1, x2, y2, score, class`` in input pixels.
- ``rtdetr`` — Ultralytics RT-DETR export: ``[1, N, 4 + nc]``; columns 0-3 are centre x, centre y, width,
  height normalised to [0, 1] of the input size, columns 4.. per-class scores. Set-based, so no NMS.

``yolo-raw`` always gets class-wise NMS. The other two are NMS-free by design, but a detector may still
ask for it (``nms=True``): our CenterNet-style model picks peaks in-graph with a 3x3 max-pool, which
cannot suppress a second peak a few cells along a tall object's flat heat-map.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vsgg_ros.detection.nms import batched_nms

FORMATS = ("yolo-raw", "yolo-end2end", "rtdetr")
MAX_NMS_CANDIDATES = 3000


@dataclass(frozen=True)
class RawDetections:
    """Decoded boxes [K, 4] (x1y1x2y2, input pixels), scores [K] and class indices [K], best first."""

    boxes: np.ndarray
    scores: np.ndarray
    classes: np.ndarray

    def __len__(self) -> int:
        return len(self.scores)


def _cxcywh_to_xyxy(b: np.ndarray) -> np.ndarray:
    half = b[:, 2:4] / 2
    return np.concatenate([b[:, 0:2] - half, b[:, 0:2] + half], axis=1)


def _sorted(boxes: np.ndarray, scores: np.ndarray, classes: np.ndarray, max_det: int) -> RawDetections:
    order = np.argsort(-scores, kind="stable")[:max_det]
    return RawDetections(
        boxes[order].astype(np.float64), scores[order].astype(np.float64), classes[order].astype(np.int64)
    )


def _single(output: np.ndarray, layout: str, rank: int = 3) -> np.ndarray:
    if output.ndim != rank or output.shape[0] != 1:
        raise ValueError(f"{layout}: expected an output of shape [1, ...] with rank {rank}, got {output.shape}")
    return output[0]


def decode_yolo_raw(
    output: np.ndarray, score_threshold: float, iou_threshold: float = 0.7, max_det: int = 300
) -> RawDetections:
    rows = _single(output, "yolo-raw")
    if rows.shape[0] < 5:
        raise ValueError(f"yolo-raw: expected [1, 4 + nc, N] with nc >= 1, got {output.shape}")
    preds = rows.T
    class_scores = preds[:, 4:]
    classes = class_scores.argmax(axis=1)
    scores = class_scores[np.arange(len(preds)), classes]
    keep = scores >= score_threshold
    boxes, scores, classes = _cxcywh_to_xyxy(preds[keep, :4]), scores[keep], classes[keep]
    if len(scores) > MAX_NMS_CANDIDATES:
        top = np.argsort(-scores, kind="stable")[:MAX_NMS_CANDIDATES]
        boxes, scores, classes = boxes[top], scores[top], classes[top]
    kept = batched_nms(boxes, scores, classes, iou_threshold, max_det)
    return _sorted(boxes[kept], scores[kept], classes[kept], max_det)


def decode_end2end(output: np.ndarray, score_threshold: float, max_det: int = 300) -> RawDetections:
    rows = _single(output, "yolo-end2end")
    if rows.shape[1] != 6:
        raise ValueError(f"yolo-end2end: expected [1, N, 6], got {output.shape}")
    keep = rows[:, 4] >= score_threshold
    rows = rows[keep]
    return _sorted(rows[:, :4], rows[:, 4], np.rint(rows[:, 5]), max_det)


def decode_rtdetr(
    output: np.ndarray, score_threshold: float, input_size: tuple[int, int], max_det: int = 300
) -> RawDetections:
    rows = _single(output, "rtdetr")
    if rows.shape[1] < 5:
        raise ValueError(f"rtdetr: expected [1, N, 4 + nc] with nc >= 1, got {output.shape}")
    class_scores = rows[:, 4:]
    classes = class_scores.argmax(axis=1)
    scores = class_scores[np.arange(len(rows)), classes]
    keep = scores >= score_threshold
    width, height = input_size
    boxes = _cxcywh_to_xyxy(rows[keep, :4]) * np.array([width, height, width, height], dtype=np.float64)
    return _sorted(boxes, scores[keep], classes[keep], max_det)


def decode(
    layout: str,
    output: np.ndarray,
    score_threshold: float,
    input_size: tuple[int, int],
    iou_threshold: float = 0.7,
    max_det: int = 300,
    nms: bool = False,
) -> RawDetections:
    """Dispatch on ``layout`` (one of :data:`FORMATS`); ``nms`` adds class-wise NMS to the NMS-free layouts."""
    if layout == "yolo-raw":
        return decode_yolo_raw(output, score_threshold, iou_threshold, max_det)
    if layout == "yolo-end2end":
        raw = decode_end2end(output, score_threshold, max_det)
    elif layout == "rtdetr":
        raw = decode_rtdetr(output, score_threshold, input_size, max_det)
    else:
        raise ValueError(f"unknown detector output format {layout!r}; supported: {FORMATS}")
    return suppress(raw, iou_threshold) if nms else raw


def suppress(raw: RawDetections, iou_threshold: float) -> RawDetections:
    """Class-wise NMS over already decoded detections; keeps the best-first order."""
    kept = batched_nms(raw.boxes, raw.scores, raw.classes, iou_threshold, len(raw))
    return RawDetections(raw.boxes[kept], raw.scores[kept], raw.classes[kept])
