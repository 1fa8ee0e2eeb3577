"""Instance masks, boxes and areas of every id in a label map, in one pass.

Comparing the map against each id (one full-frame pass per instance) costs milliseconds per frame;
instead the map is flattened once in column-major order (COCO's order), cut into runs of equal
labels, and each id's runs become uncompressed COCO counts that pycocotools compresses. The result
is byte-identical to ``Mask.from_array(label_map == id)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pycocotools import mask as coco_mask

from vsgg_ros.graph import Box, Mask


@dataclass(frozen=True)
class Instance:
    """One id's visible pixels: mask, tight box (x1, y1, x2, y2) and pixel count."""

    mask: Mask
    box: Box
    area: int


def instances(label_map: np.ndarray) -> dict[int, Instance]:
    """Every non-zero id of an (H, W) uint8 label map."""
    if label_map.ndim != 2:
        raise ValueError(f"label map must be 2-D, got shape {label_map.shape}")
    height, width = label_map.shape
    flat = np.ascontiguousarray(label_map.T).reshape(-1)
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    starts = np.concatenate(([0], change))
    ends = np.concatenate((change, [flat.size]))
    labels = flat[starts]
    keep = labels != 0
    starts, ends, labels = starts[keep], ends[keep], labels[keep]
    if labels.size == 0:
        return {}
    order = np.argsort(labels, kind="stable")
    labels, starts, ends = labels[order], starts[order], ends[order]
    # Per id, COCO counts alternate background and foreground runs: the gap since the id's previous
    # run (or since pixel 0), the run itself, and finally the tail after its last run.
    first = np.empty(labels.size, dtype=bool)
    first[0] = True
    first[1:] = labels[1:] != labels[:-1]
    prev_end = np.empty_like(ends)
    prev_end[0] = 0
    prev_end[1:] = ends[:-1]
    prev_end[first] = 0
    inter = np.empty(2 * labels.size, dtype=np.int64)
    inter[0::2] = starts - prev_end
    inter[1::2] = ends - starts
    pairs = inter.tolist()
    group_start = np.flatnonzero(first)
    group_end = np.append(group_start[1:], labels.size)
    tails = (flat.size - ends[group_end - 1]).tolist()
    ids = labels[group_start]
    objs = [  # COCO never ends with an empty run: no tail when the last run reaches the last pixel
        {"size": [height, width], "counts": pairs[2 * a : 2 * b] + ([tail] if tail else [])}
        for a, b, tail in zip(group_start.tolist(), group_end.tolist(), tails, strict=True)
    ]
    rles = coco_mask.frPyObjects(objs, height, width)
    boxes = coco_mask.toBbox(rles)
    areas = coco_mask.area(rles)
    out: dict[int, Instance] = {}
    for i, oid in enumerate(ids.tolist()):
        x, y, w, h = (float(v) for v in boxes[i])
        mask = Mask(height=height, width=width, counts=rles[i]["counts"].decode("ascii"))
        out[int(oid)] = Instance(mask=mask, box=(x, y, x + w, y + h), area=int(areas[i]))
    return out
