"""Overlap measures shared by the protocols: box IoU (two conventions), trajectory vIoU, mask IoU and
temporal IoU.

Two box conventions exist in the reference evaluators and they disagree near the 0.5 threshold:

- ``"continuous"``: a box covers ``[x1, x2) x [y1, y2)``; area ``(x2 - x1) * (y2 - y1)``. OED's
  ``box_iou``, SceneGraphVLM's evaluators, and this project's own box convention (graph.py).
- ``"pixel"``: integer pixel indices, both ends included, so widths and heights gain ``+1`` in the
  intersection and in both areas. STTran's Cython ``bbox_overlaps`` and VidVRD-helper's ``iou``/``viou``.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

import numpy as np
from pycocotools import mask as coco_mask

from vsgg_ros.graph import Mask

IouConvention = Literal["continuous", "pixel"]
IOU_CONVENTIONS: tuple[IouConvention, ...] = ("continuous", "pixel")


def _offset(convention: str) -> float:
    if convention == "continuous":
        return 0.0
    if convention == "pixel":
        return 1.0
    raise ValueError(f"IoU convention must be one of {IOU_CONVENTIONS}, got {convention!r}")


def as_boxes(boxes: object, what: str = "boxes") -> np.ndarray:
    """An (N, 4) float64 array of xyxy boxes; a clear error naming ``what`` otherwise."""
    arr = np.asarray(boxes, dtype=np.float64)
    if arr.size == 0:
        return np.zeros((0, 4), dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise ValueError(f"{what} must have shape (N, 4) as x1,y1,x2,y2; got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{what} contain NaN or infinite coordinates")
    return arr


def box_iou(a: object, b: object, convention: IouConvention = "continuous") -> np.ndarray:
    """(N, M) IoU matrix between two sets of xyxy boxes. Degenerate unions give 0."""
    off = _offset(convention)
    x = as_boxes(a, "first boxes")
    y = as_boxes(b, "second boxes")
    if len(x) == 0 or len(y) == 0:
        return np.zeros((len(x), len(y)), dtype=np.float64)
    area_x = np.clip(x[:, 2] - x[:, 0] + off, 0, None) * np.clip(x[:, 3] - x[:, 1] + off, 0, None)
    area_y = np.clip(y[:, 2] - y[:, 0] + off, 0, None) * np.clip(y[:, 3] - y[:, 1] + off, 0, None)
    w = np.minimum(x[:, None, 2], y[None, :, 2]) - np.maximum(x[:, None, 0], y[None, :, 0]) + off
    h = np.minimum(x[:, None, 3], y[None, :, 3]) - np.maximum(x[:, None, 1], y[None, :, 1]) + off
    inter = np.clip(w, 0, None) * np.clip(h, 0, None)
    union = area_x[:, None] + area_y[None, :] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
    return iou


def trajectory_viou(
    traj_a: object,
    span_a: tuple[int, int],
    traj_b: object,
    span_b: tuple[int, int],
    convention: IouConvention = "pixel",
) -> float:
    """Voluminal IoU of two box trajectories (VidVRD-helper ``viou``).

    ``span`` is ``[begin, end)`` in frames and ``traj`` holds one box per frame of the span. The
    intersection sums per-frame box overlaps over the common frames; each volume sums box areas over the
    trajectory's *whole* span. Disjoint spans give 0.
    """
    off = _offset(convention)
    a = as_boxes(traj_a, "trajectory")
    b = as_boxes(traj_b, "trajectory")
    for traj, span in ((a, span_a), (b, span_b)):
        if len(traj) != span[1] - span[0]:
            raise ValueError(f"trajectory has {len(traj)} boxes but its span {span} covers {span[1] - span[0]} frames")
    start, stop = max(span_a[0], span_b[0]), min(span_a[1], span_b[1])
    if start >= stop:
        return 0.0
    ca = a[start - span_a[0] : stop - span_a[0]]
    cb = b[start - span_b[0] : stop - span_b[0]]
    w = np.clip(np.minimum(ca[:, 2], cb[:, 2]) - np.maximum(ca[:, 0], cb[:, 0]) + off, 0, None)
    h = np.clip(np.minimum(ca[:, 3], cb[:, 3]) - np.maximum(ca[:, 1], cb[:, 1]) + off, 0, None)
    inter = float(np.sum(w * h))
    vol_a = float(np.sum((a[:, 2] - a[:, 0] + off) * (a[:, 3] - a[:, 1] + off)))
    vol_b = float(np.sum((b[:, 2] - b[:, 0] + off) * (b[:, 3] - b[:, 1] + off)))
    union = vol_a + vol_b - inter
    return inter / union if union > 0 else 0.0


def _rle(mask: Mask) -> dict[str, object]:
    return {"size": [mask.height, mask.width], "counts": mask.counts.encode("ascii")}


def mask_iou(a: Mask | None, b: Mask | None) -> float:
    """IoU of two RLE masks (pycocotools, no decoding); 0 when either is missing or both are empty.

    Masks of different sizes cannot be compared and raise ValueError.
    """
    if a is None or b is None:
        return 0.0
    if (a.height, a.width) != (b.height, b.width):
        raise ValueError(f"mask sizes differ: {a.height}x{a.width} vs {b.height}x{b.width}")
    return float(np.asarray(coco_mask.iou([_rle(a)], [_rle(b)], [0]))[0, 0])


def mask_area(mask: Mask | None) -> int:
    return 0 if mask is None else int(coco_mask.area(_rle(mask)))


def temporal_iou(a: Collection[int], b: Collection[int]) -> float:
    """IoU of two sets of frame indices (a relation's span as the frames where it holds); 0 if both empty."""
    sa, sb = set(a), set(b)
    union = len(sa | sb)
    return len(sa & sb) / union if union else 0.0
