"""Configuration of the streaming SAM2 tracker, buildable from a plain dict (YAML / ROS parameters).

```yaml
model: {size: t, image_size: 512, device: cuda, dtype: bfloat16, checkpoint: /models/sam2.1_hiera_tiny.pt,
        vos_optimized: true}          # or {micro: true, image_size: 128} for CPU tests
max_objects: 16
max_lost_sec: 2.0
discovery: {tau_detection: 0.1, tau_match: 0.5, min_uncovered: 0.5, min_area: 16}
```
Unknown keys and mistyped values are errors that name the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vsgg_ros.config import from_dict
from vsgg_ros.tracking.discovery import DiscoveryConfig
from vsgg_ros.tracking.sam2_model import MICRO_OVERRIDES, Sam2ModelConfig


@dataclass(frozen=True)
class Sam2TrackerConfig:
    """How tracks are kept, discovered and dropped.

    ``max_cond_frames``: prompted frames kept per track (the first plus the most recent re-anchors).
    ``max_lost_sec`` / ``max_lost_frames``: a track invisible for longer is removed (either limit; None = off).
    ``max_mask_fraction``: a mask covering more of the image is a blow-up (drift): the track counts as not
    visible on that frame and the frame is kept out of its memory.
    ``history``: masks kept per track for trajectory-level heads. ``batch_objects``: run tracks whose memory
    covers the same frames as one batch. ``detection_gate``: breakpoint threshold for detector boxes
    (0 = evaluate every frame with detections; the paper's τ_detection is meant for dense proposals).
    ``reprompt_iou``: a matched detection re-anchors its track when the boxes' IoU falls below this (and
    always when the track is lost), at most every ``reprompt_gap`` frames.
    ``grid_interval``: run sam2's automatic mask generator for candidates every N frames (0 = off).
    """

    model: Sam2ModelConfig = field(default_factory=Sam2ModelConfig)
    discovery: DiscoveryConfig = field(default_factory=DiscoveryConfig)
    max_objects: int = 32
    max_cond_frames: int = 3
    max_lost_sec: float | None = 2.0
    max_lost_frames: int | None = None
    max_mask_fraction: float = 0.8
    history: int = 8
    batch_objects: bool = True
    detection_gate: float = 0.0
    reprompt_iou: float = 0.3
    reprompt_gap: int = 5
    grid_interval: int = 0
    grid_points_per_side: int = 8
    warmup_frames: int = 0

    def __post_init__(self) -> None:
        checks = {
            "max_objects": self.max_objects >= 1,
            "max_cond_frames": self.max_cond_frames >= 1,
            "max_lost_sec": self.max_lost_sec is None or self.max_lost_sec >= 0,
            "max_lost_frames": self.max_lost_frames is None or self.max_lost_frames >= 0,
            "max_mask_fraction": 0.0 < self.max_mask_fraction <= 1.0,
            "history": self.history >= 0,
            "detection_gate": 0.0 <= self.detection_gate <= 1.0,
            "reprompt_iou": 0.0 <= self.reprompt_iou <= 1.0,
            "reprompt_gap": self.reprompt_gap >= 0,
            "grid_interval": self.grid_interval >= 0,
            "grid_points_per_side": self.grid_points_per_side >= 1,
            "warmup_frames": self.warmup_frames >= 0,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"sam2 tracker: invalid {', '.join(f'{n}={getattr(self, n)!r}' for n in bad)}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Sam2TrackerConfig:
        """Through the project's config loader (unknown keys and mistyped values named as ``sam2.…``);
        ``model.micro: true`` is shorthand for the tiny CPU test model."""
        data = dict(data or {})
        model = dict(data.pop("model", None) or {})
        if model.pop("micro", False):
            model.setdefault("size", "t")
            model["overrides"] = [*MICRO_OVERRIDES, *model.get("overrides", ())]
        return from_dict(cls, {**data, "model": model}, "sam2")
