"""Prompts for SAM2 tracks (box, points, mask in frame pixels) and their conversion to model inputs.

The conversion repeats sam2's ``add_new_points_or_box`` / ``add_new_mask`` arithmetic step for step
(normalise by the frame size, scale to the model's ``image_size``; box = two points labelled 2 and 3;
masks resized with antialiased bilinear and re-binarised), so a prompt means the same to our streaming
tracker as to sam2's offline predictor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from vsgg_ros.graph import Box

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class Prompt:
    """A box and/or clicked points (labels 1 = object, 0 = background), or a binary mask; frame pixels."""

    box: Box | None = None
    points: tuple[tuple[float, float], ...] = ()
    point_labels: tuple[int, ...] = ()
    mask: np.ndarray | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "points", tuple((float(x), float(y)) for x, y in self.points))
        object.__setattr__(self, "point_labels", tuple(int(v) for v in self.point_labels))
        if len(self.points) != len(self.point_labels):
            raise ValueError(f"prompt has {len(self.points)} points but {len(self.point_labels)} point labels")
        if any(v not in (0, 1) for v in self.point_labels):
            raise ValueError(f"point labels must be 1 (object) or 0 (background), got {self.point_labels}")
        if self.box is not None:
            x1, y1, x2, y2 = (float(v) for v in self.box)
            if not (np.isfinite([x1, y1, x2, y2]).all() and x2 > x1 and y2 > y1):
                raise ValueError(f"prompt box {self.box} must be finite with x2 > x1 and y2 > y1")
            object.__setattr__(self, "box", (x1, y1, x2, y2))
        if self.mask is not None:
            if self.box is not None or self.points:
                raise ValueError("a mask prompt cannot be combined with a box or points")
            if self.mask.ndim != 2 or not self.mask.any():
                raise ValueError(f"prompt mask must be a non-empty 2-D array, got shape {self.mask.shape}")
            object.__setattr__(self, "mask", np.asarray(self.mask, dtype=bool))
        elif self.box is None and not self.points:
            raise ValueError("a prompt needs a box, points or a mask")

    def check_frame(self, height: int, width: int) -> None:
        if self.mask is not None and self.mask.shape != (height, width):
            raise ValueError(f"prompt mask shape {self.mask.shape} does not match the frame {height}x{width}")


def point_inputs(prompt: Prompt, height: int, width: int, image_size: int, device: torch.device) -> dict[str, Any]:
    """``{"point_coords": [1, P, 2], "point_labels": [1, P]}`` in model pixels, box corners first."""
    import torch

    coords = torch.tensor(prompt.points, dtype=torch.float32).reshape(1, -1, 2)
    labels = torch.tensor(prompt.point_labels, dtype=torch.int32).reshape(1, -1)
    if prompt.box is not None:
        box = torch.tensor(prompt.box, dtype=torch.float32).reshape(1, 2, 2)
        coords = torch.cat([box, coords], dim=1)
        labels = torch.cat([torch.tensor([[2, 3]], dtype=torch.int32), labels], dim=1)
    coords = coords / torch.tensor([width, height]) * image_size
    return {"point_coords": coords.to(device), "point_labels": labels.to(device)}


def mask_inputs(prompt: Prompt, image_size: int, device: torch.device) -> torch.Tensor:
    """A [1, 1, S, S] float 0/1 mask at the model's input size."""
    import torch
    import torch.nn.functional as F

    assert prompt.mask is not None
    mask = torch.from_numpy(prompt.mask)[None, None].float().to(device)
    if mask.shape[-2:] != (image_size, image_size):
        mask = F.interpolate(mask, size=(image_size, image_size), mode="bilinear", align_corners=False, antialias=True)
        mask = (mask >= 0.5).float()
    return mask
