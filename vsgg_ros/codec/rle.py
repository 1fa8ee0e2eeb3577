"""Binary masks <-> COCO run-length encoding (pycocotools' compressed string form)."""

from __future__ import annotations

import numpy as np
from pycocotools import mask as coco_mask

from vsgg_ros.graph import Mask


def encode_mask(mask: np.ndarray) -> Mask:
    """Encode an HxW boolean/0-1 array."""
    if mask.ndim != 2:
        raise ValueError(f"mask must be 2-D (H, W), got shape {mask.shape}")
    rle = coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))
    return Mask(height=int(rle["size"][0]), width=int(rle["size"][1]), counts=rle["counts"].decode("ascii"))


def decode_mask(mask: Mask) -> np.ndarray:
    """Decode to an HxW bool array."""
    rle = {"size": [mask.height, mask.width], "counts": mask.counts.encode("ascii")}
    return coco_mask.decode(rle).astype(bool)


def mask_area(mask: Mask) -> int:
    return int(coco_mask.area({"size": [mask.height, mask.width], "counts": mask.counts.encode("ascii")}))


def mask_box(mask: Mask) -> tuple[float, float, float, float]:
    """Tight (x1, y1, x2, y2) box around the mask's pixels; all zeros for an empty mask."""
    x, y, w, h = coco_mask.toBbox({"size": [mask.height, mask.width], "counts": mask.counts.encode("ascii")})
    return (float(x), float(y), float(x + w), float(y + h))


def uncompressed_counts(mask: Mask) -> list[int]:
    """Plain column-major run lengths starting with a zero run: easy to decode in any language."""
    flat = decode_mask(mask).flatten(order="F").astype(np.uint8)
    if flat.size == 0:
        return []
    change = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate(([0], change, [flat.size]))
    runs = np.diff(bounds).tolist()
    return [0, *runs] if flat[0] else runs


def from_uncompressed(height: int, width: int, counts: list[int]) -> Mask:
    """Inverse of :func:`uncompressed_counts` (for clients that send plain runs)."""
    if sum(counts) != height * width:
        raise ValueError(f"RLE runs sum to {sum(counts)}, expected {height}x{width}={height * width}")
    rle = coco_mask.frPyObjects({"size": [height, width], "counts": list(counts)}, height, width)
    return Mask(height=height, width=width, counts=rle["counts"].decode("ascii"))
