"""SynthRoom frames and boxes as training arrays, and CenterNet targets for them.

Frames are rendered once into memory (uint8) because rendering costs about as much as a training step;
boxes carry the Action Genome class index so the detector speaks the head's vocabulary directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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


def centernet_targets(
    boxes: np.ndarray, num_classes: int, height: int, width: int, stride: int, radius: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Heat-map [C, h, w], log-size [2, h, w], offset [2, h, w] and regression mask [h, w] for one image.

    Each object paints an elliptical Gaussian (sigma = box side / 6, TTFNet-style) at its centre cell,
    so thin objects get thin blobs. Size and offset (centre minus cell, in cells) are supervised on the
    cells within ``radius`` of the centre (3x3 for 1), not just the centre: a peak found one cell off
    still carries a trained box (``radius=0`` is plain CenterNet). Larger objects are painted first,
    so where neighbourhoods overlap the smaller object wins.
    """
    h, w = height // stride, width // stride
    heat = np.zeros((num_classes, h, w), np.float32)
    log_size = np.zeros((2, h, w), np.float32)
    offset = np.zeros((2, h, w), np.float32)
    mask = np.zeros((h, w), np.float32)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    order = np.argsort(-(boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))
    for x1, y1, x2, y2, cls in boxes[order]:
        bw, bh = max(x2 - x1, 1.0) / stride, max(y2 - y1, 1.0) / stride
        cx, cy = (x1 + x2) / 2 / stride, (y1 + y2) / 2 / stride
        ix, iy = min(int(cx), w - 1), min(int(cy), h - 1)
        sx, sy = max(bw / 6, 0.5), max(bh / 6, 0.5)
        blob = np.exp(-((xs - ix) ** 2) / (2 * sx * sx) - ((ys - iy) ** 2) / (2 * sy * sy))
        np.maximum(heat[int(cls)], blob, out=heat[int(cls)])
        heat[int(cls), iy, ix] = 1.0
        y0, y1c = max(iy - radius, 0), min(iy + radius + 1, h)
        x0, x1c = max(ix - radius, 0), min(ix + radius + 1, w)
        log_size[0, y0:y1c, x0:x1c] = np.log(bw)
        log_size[1, y0:y1c, x0:x1c] = np.log(bh)
        offset[0, y0:y1c, x0:x1c] = cx - xs[y0:y1c, x0:x1c]
        offset[1, y0:y1c, x0:x1c] = cy - ys[y0:y1c, x0:x1c]
        mask[y0:y1c, x0:x1c] = 1.0
    return heat, log_size, offset, mask
