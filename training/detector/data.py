"""SynthRoom frames and boxes as training arrays, and CenterNet targets for them.

Frames are rendered once into memory (uint8) because rendering costs about as much as a training step;
boxes carry the Action Genome class index so the detector speaks the head's vocabulary directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vsgg_ros.synth import VideoSpec, iter_steps


@dataclass
class BoxSet:
    """``images`` [N, H, W, 3] uint8; ``boxes[i]`` [M, 5] float32 rows ``(x1, y1, x2, y2, class_id)``."""

    images: np.ndarray
    boxes: list[np.ndarray]


def render(specs: Sequence[VideoSpec], every: int = 1) -> BoxSet:
    """Every ``every``-th frame of each video with its visible objects' boxes."""
    if every < 1:
        raise ValueError(f"every must be >= 1, got {every}")
    images: list[np.ndarray] = []
    boxes: list[np.ndarray] = []
    for spec in specs:
        for step in iter_steps(spec):
            if step.frame.index % every:
                continue
            images.append(step.frame.image)
            rows = [(*o.box, o.class_id) for o in step.graph.objects if o.class_id >= 0]
            boxes.append(np.asarray(rows, dtype=np.float32).reshape(-1, 5))
    return BoxSet(np.stack(images), boxes)


def save_boxset(path: Path, data: BoxSet, key: str) -> None:
    """One .npz: images, all boxes concatenated with per-frame counts, and ``key`` naming the selection."""
    counts = np.array([len(b) for b in data.boxes], dtype=np.int64)
    rows = np.concatenate(data.boxes) if data.boxes else np.zeros((0, 5), np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        np.savez(f, images=data.images, rows=rows, counts=counts, key=np.array(key))


def load_boxset(path: Path) -> tuple[BoxSet, str]:
    with np.load(path) as z:
        boxes = np.split(z["rows"], np.cumsum(z["counts"])[:-1])
        return BoxSet(z["images"], list(boxes)), str(z["key"])


def centernet_targets(
    boxes: np.ndarray,
    num_classes: int,
    height: int,
    width: int,
    stride: int,
    radius: int = 1,
    region: float = 0.0,
    balance: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Heat-map [C, h, w], log-size [2, h, w], offset [2, h, w] and regression weights [h, w] for one image.

    Each object paints an elliptical Gaussian (sigma = box side / 6, TTFNet-style) at its centre cell,
    so thin objects get thin blobs. Size and offset (centre minus cell, in cells) are supervised with
    weight 1 on the cells within ``radius`` of the centre (3x3 for 1), not just the centre: a peak found
    one cell off still carries a trained box (``radius=0`` is plain CenterNet).

    ``region`` > 0 widens that to the cells within ``region`` x half the box side of the centre, weighted
    by the Gaussian there. A tall object's heat-map is a plateau along its long side, so its peak may
    land several cells from the centre; trained there, the offset still points back at the true centre.
    Larger objects are painted first, so where regions overlap the smaller object wins.

    ``balance`` rescales each object's weights to sum to log(1 + area in cells) (TTFNet): otherwise a
    person's region holds dozens of cells and outweighs a phone's nine, although both count once in AP.
    """
    h, w = height // stride, width // stride
    heat = np.zeros((num_classes, h, w), np.float32)
    log_size = np.zeros((2, h, w), np.float32)
    offset = np.zeros((2, h, w), np.float32)
    mask = np.zeros((h, w), np.float32)
    owner = np.full((h, w), -1, np.int64)
    totals: list[float] = []
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    order = np.argsort(-(boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))
    for k, (x1, y1, x2, y2, cls) in enumerate(boxes[order]):
        bw, bh = max(x2 - x1, 1.0) / stride, max(y2 - y1, 1.0) / stride
        cx, cy = (x1 + x2) / 2 / stride, (y1 + y2) / 2 / stride
        ix, iy = min(int(cx), w - 1), min(int(cy), h - 1)
        sx, sy = max(bw / 6, 0.5), max(bh / 6, 0.5)
        blob = np.exp(-((xs - ix) ** 2) / (2 * sx * sx) - ((ys - iy) ** 2) / (2 * sy * sy))
        np.maximum(heat[int(cls)], blob, out=heat[int(cls)])
        heat[int(cls), iy, ix] = 1.0
        rx, ry = max(radius, int(region * bw / 2)), max(radius, int(region * bh / 2))
        y0, y1c = max(iy - ry, 0), min(iy + ry + 1, h)
        x0, x1c = max(ix - rx, 0), min(ix + rx + 1, w)
        log_size[0, y0:y1c, x0:x1c] = np.log(bw)
        log_size[1, y0:y1c, x0:x1c] = np.log(bh)
        offset[0, y0:y1c, x0:x1c] = cx - xs[y0:y1c, x0:x1c]
        offset[1, y0:y1c, x0:x1c] = cy - ys[y0:y1c, x0:x1c]
        near = (np.abs(xs[y0:y1c, x0:x1c] - ix) <= radius) & (np.abs(ys[y0:y1c, x0:x1c] - iy) <= radius)
        mask[y0:y1c, x0:x1c] = np.where(near, 1.0, blob[y0:y1c, x0:x1c])
        owner[y0:y1c, x0:x1c] = k
        totals.append(float(np.log1p(bw * bh)))
    if balance:
        for k, total in enumerate(totals):
            cells = owner == k
            weight = mask[cells].sum()
            if weight > 0:
                mask[cells] *= total / weight
    return heat, log_size, offset, mask
