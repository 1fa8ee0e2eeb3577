"""Greedy class-wise non-maximum suppression in numpy (for raw YOLO heads exported without NMS)."""

from __future__ import annotations

import numpy as np

from vsgg_ros.tracking.boxes import iou_matrix


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Indices kept, highest score first: a box is dropped if it overlaps a kept one by > ``iou_threshold``."""
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    iou = iou_matrix(boxes[order], boxes[order])
    suppressed = np.zeros(len(order), dtype=bool)
    for i in range(len(order)):
        if suppressed[i]:
            continue
        keep.append(int(order[i]))
        suppressed |= iou[i] > iou_threshold
    return np.asarray(keep, dtype=np.int64)


def batched_nms(
    boxes: np.ndarray, scores: np.ndarray, classes: np.ndarray, iou_threshold: float, max_det: int = 300
) -> np.ndarray:
    """Class-wise NMS: boxes of different classes never suppress each other. Returns kept indices by score."""
    keep = [
        idx[nms(boxes[idx], scores[idx], iou_threshold)]
        for idx in (np.flatnonzero(classes == c) for c in np.unique(classes))
    ]
    if not keep:
        return np.zeros(0, dtype=np.int64)
    kept = np.concatenate(keep)
    return kept[np.argsort(-scores[kept], kind="stable")][:max_det]
