"""Image -> network input, and the inverse map for boxes.

Letterboxing (aspect-preserving resize + symmetric padding, Ultralytics' grey 114) is what YOLO-family
exports were trained with; stretching fits models trained on a fixed aspect ratio (RT-DETR exports,
our SynthRoom detector at its native size, where both are the identity).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

PAD_VALUE = 114
RESIZE_MODES = ("letterbox", "stretch")


@dataclass(frozen=True)
class BoxTransform:
    """image pixels -> input pixels is ``x * scale + pad``; :meth:`to_image` undoes it."""

    scale_x: float
    scale_y: float
    pad_x: float
    pad_y: float
    width: int
    height: int

    def to_image(self, boxes: np.ndarray) -> np.ndarray:
        """[K, 4] x1y1x2y2 in network-input pixels -> image pixels, clipped to the image."""
        out = np.empty_like(boxes, dtype=np.float64)
        out[:, [0, 2]] = (boxes[:, [0, 2]] - self.pad_x) / self.scale_x
        out[:, [1, 3]] = (boxes[:, [1, 3]] - self.pad_y) / self.scale_y
        out[:, [0, 2]] = out[:, [0, 2]].clip(0, self.width)
        out[:, [1, 3]] = out[:, [1, 3]].clip(0, self.height)
        return out


def prepare(image: np.ndarray, size: tuple[int, int], mode: str = "letterbox") -> tuple[np.ndarray, BoxTransform]:
    """HxWx3 uint8 RGB -> float32 [1, 3, h, w] in [0, 1] at ``size`` = (w, h), and the box transform."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"detector input must be HxWx3 uint8 RGB, got shape {image.shape} dtype {image.dtype}")
    if mode not in RESIZE_MODES:
        raise ValueError(f"resize mode must be one of {RESIZE_MODES}, got {mode!r}")
    height, width = image.shape[:2]
    out_w, out_h = size
    if (width, height) == (out_w, out_h):
        canvas = image
        transform = BoxTransform(1.0, 1.0, 0.0, 0.0, width, height)
    elif mode == "stretch":
        canvas = cv2.resize(image, (out_w, out_h), interpolation=cv2.INTER_LINEAR)
        transform = BoxTransform(out_w / width, out_h / height, 0.0, 0.0, width, height)
    else:
        scale = min(out_w / width, out_h / height)
        new_w, new_h = round(width * scale), round(height * scale)
        pad_x, pad_y = (out_w - new_w) / 2, (out_h - new_h) / 2
        left, top = round(pad_x - 0.1), round(pad_y - 0.1)
        canvas = np.full((out_h, out_w, 3), PAD_VALUE, np.uint8)
        canvas[top : top + new_h, left : left + new_w] = cv2.resize(
            image, (new_w, new_h), interpolation=cv2.INTER_LINEAR
        )
        transform = BoxTransform(new_w / width, new_h / height, float(left), float(top), width, height)
    tensor = np.ascontiguousarray(canvas.transpose(2, 0, 1)[None], dtype=np.float32)
    tensor *= 1.0 / 255.0
    return tensor, transform
