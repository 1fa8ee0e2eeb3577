"""One TraSeR window as resampler inputs: sampled frames + per-object masks -> packed trajectory tokens.

Shared by training (training/traser/data.py) and the streaming head (vsgg_ros/heads/traser.py), so a
model sees at run time exactly the tokens it was trained on. The ViT is a stand-in: a frozen patch
encoder (each ``g`` frames x ``footprint``² pixel token average-pooled to ``pool``² RGB cells, then a
fixed random projection with tanh, seeded) — the CPU-sized substitute for Qwen2.5-VL's frozen vision
tower, with the same token geometry (g = 2 frames, 28 px footprint).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import cv2
import numpy as np

from vsgg_ros.heads.traser_tokens import PackedTokens, arrange_tokens, pack_tokens


@dataclass(frozen=True)
class ClipConfig:
    size: tuple[int, int] = (336, 252)  # working (width, height), multiples of footprint
    g: int = 2
    footprint: int = 28
    tau_eff: float = 0.5
    keep_small: bool = True
    sample_fps: float = 1.0
    window_seconds: float = 2.0
    pool: int = 4
    feature_dim: int = 128
    encoder_seed: int = 0
    max_objects: int = 12

    def __post_init__(self) -> None:
        w, h = self.size
        if w % self.footprint or h % self.footprint or w <= 0 or h <= 0:
            raise ValueError(f"ClipConfig.size {self.size} must be positive multiples of footprint {self.footprint}")
        if self.footprint % self.pool:
            raise ValueError(f"ClipConfig.footprint {self.footprint} must be a multiple of pool {self.pool}")
        if self.sample_fps <= 0 or self.window_seconds <= 0 or self.g < 1 or self.max_objects < 1:
            raise ValueError(f"ClipConfig needs sample_fps, window_seconds > 0 and g, max_objects >= 1: {self}")

    @property
    def token_seconds(self) -> float:
        return self.g / self.sample_fps

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClipConfig:
        from vsgg_ros.config import from_dict

        return from_dict(cls, dict(data), "clip")


class FrozenPatchEncoder:
    """The ViT stand-in: deterministic features ``(T/g, Hm, Wm, feature_dim)`` for frames ``(T, H, W, 3)``."""

    def __init__(self, cfg: ClipConfig) -> None:
        self.cfg = cfg
        raw = cfg.g * cfg.pool * cfg.pool * 3
        rng = np.random.default_rng(cfg.encoder_seed)
        self.weight = (rng.normal(0.0, 1.0, (raw, cfg.feature_dim)) / np.sqrt(raw)).astype(np.float32)

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        cfg = self.cfg
        t, h, w, _ = frames.shape
        cell = cfg.footprint // cfg.pool
        x = frames.astype(np.float32) / 127.5 - 1.0
        pooled = x.reshape(t, h // cell, cell, w // cell, cell, 3).mean(axis=(2, 4))
        hm, wm = h // cfg.footprint, w // cfg.footprint
        tokens = pooled.reshape(t // cfg.g, cfg.g, hm, cfg.pool, wm, cfg.pool, 3).transpose(0, 2, 4, 1, 3, 5, 6)
        return np.tanh(3.0 * tokens.reshape(t // cfg.g, hm, wm, -1) @ self.weight)


@dataclass(frozen=True)
class ClipInputs:
    """Packed tokens of the objects in ``object_ids`` (their order in the prompt) over ``frames`` frames."""

    packed: PackedTokens
    object_ids: tuple[int, ...]
    frames: int


def resize_frames(images: Sequence[np.ndarray], size: tuple[int, int]) -> np.ndarray:
    """RGB frames at the working size ``(width, height)``, stacked ``(T, H, W, 3)`` uint8."""
    out = []
    for i, img in enumerate(images):
        if img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(f"frame {i}: expected HxWx3 RGB, got shape {img.shape}")
        out.append(img if img.shape[1::-1] == size else cv2.resize(img, size, interpolation=cv2.INTER_AREA))
    return np.stack(out)


def box_mask(box: tuple[float, float, float, float], height: int, width: int) -> np.ndarray:
    """A box filled as a binary mask (box-only trajectories: the paper's weaker supervision)."""
    mask = np.zeros((height, width), bool)
    x1, y1, x2, y2 = (max(round(v), 0) for v in box)
    mask[y1:y2, x1:x2] = True
    return mask


def resize_mask(mask: np.ndarray | None, size: tuple[int, int]) -> np.ndarray:
    """A binary mask at the working size (nearest neighbour); all-zero for None (object not visible)."""
    if mask is None:
        return np.zeros(size[::-1], bool)
    mask = np.asarray(mask).astype(np.uint8)
    if mask.shape[::-1] != size:
        mask = cv2.resize(mask, size, interpolation=cv2.INTER_NEAREST)
    return mask > 0


def select_objects(counts: dict[int, int], persons: set[int] | frozenset[int], limit: int) -> list[int]:
    """Ids (persons first, then most frames visible, then lower id) up to ``limit``,
    returned sorted ascending."""
    ranked = sorted(counts, key=lambda t: (t not in persons, -counts[t], t))
    return sorted(ranked[:limit])


def build_clip(
    images: Sequence[np.ndarray],
    masks: Mapping[int, Sequence[np.ndarray | None]],
    cfg: ClipConfig,
    encoder: FrozenPatchEncoder,
) -> ClipInputs:
    """Encode the window's sampled frames and pack each object's trajectory tokens.

    ``masks[oid][k]`` is the object's mask on sampled frame ``k`` (None when not visible). An odd frame
    count is padded by repeating the last frame (the ViT needs whole groups of ``g``); masks are padded
    with empty ones. Objects past ``max_objects`` (in ``masks`` order) are left out.
    """
    t = len(images)
    if t == 0:
        raise ValueError("build_clip needs at least one frame")
    for oid, seq in masks.items():
        if len(seq) != t:
            raise ValueError(f"object {oid}: {len(seq)} masks for {t} frames")
    ids = tuple(int(o) for o in masks)[: cfg.max_objects]
    if not ids:
        raise ValueError("build_clip needs at least one object")
    pad = (-t) % cfg.g
    frames = resize_frames(list(images) + [images[-1]] * pad, cfg.size)
    stacks = {
        oid: np.stack([resize_mask(m, cfg.size) for m in masks[oid]] + [np.zeros(cfg.size[::-1], bool)] * pad)
        for oid in ids
    }
    arrangement = arrange_tokens(stacks, cfg.g, cfg.footprint, cfg.tau_eff, keep_small=cfg.keep_small)
    packed = pack_tokens(encoder(frames), arrangement, cfg.token_seconds, cfg.window_seconds)
    return ClipInputs(packed, ids, t)
