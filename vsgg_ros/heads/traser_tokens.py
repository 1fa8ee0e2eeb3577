"""TraSeR trajectory-aligned token arrangement (paper 003, section 4.1), pure numpy.

A ViT token covers ``g`` frames x ``mP`` x ``mP`` pixels. An object's coverage of a token is the
average of its binary mask over that pixel footprint, maximised over the ``g`` frames (eq. 1); the token
belongs to the object when coverage >= ``tau_eff`` (eq. 2, boundary included). Each object's tokens are
sorted by time and the per-object streams are concatenated, each opened by a ``[TRJ]`` separator, so the
language model sees identity-preserving token trajectories instead of the raster order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

#: Stream entry standing for the ``[TRJ]`` separator (real entries are flat token indices >= 0).
TRJ = -1
DEFAULT_TAU_EFF = 0.5


def token_coverage(masks: np.ndarray, g: int, footprint: int) -> np.ndarray:
    """Coverage ``C[t_g, h_m, w_m]`` of one object's masks ``(T, H, W)`` (eq. 1).

    ``T`` must be a multiple of ``g`` and ``H``, ``W`` multiples of ``footprint`` (= m * P), as the ViT
    itself requires; anything else would leave tokens with a partial pixel support.
    """
    masks = np.asarray(masks)
    if masks.ndim != 3:
        raise ValueError(f"masks must have shape (T, H, W), got {masks.shape}")
    if g < 1 or footprint < 1:
        raise ValueError(f"g and footprint must be >= 1, got g={g}, footprint={footprint}")
    t, h, w = masks.shape
    if t % g or h % footprint or w % footprint:
        raise ValueError(
            f"masks shape {masks.shape} not divisible into tokens of g={g} frames x {footprint}x{footprint} pixels"
        )
    m = masks.astype(np.float64)
    pooled = m.reshape(t, h // footprint, footprint, w // footprint, footprint).mean(axis=(2, 4))
    return pooled.reshape(t // g, g, h // footprint, w // footprint).max(axis=1)


@dataclass(frozen=True)
class TokenArrangement:
    """Token trajectories for a set of objects over a token grid of shape ``grid`` = (T/g, H/mP, W/mP).

    ``tokens[o]`` holds flat indices into the grid (``t_g * Hm * Wm + h_m * Wm + w_m``), sorted by time
    then raster order; ``stream`` concatenates ``[TRJ]`` + tokens for each object in ``object_ids`` order.
    """

    grid: tuple[int, int, int]
    object_ids: tuple[int, ...]
    tokens: dict[int, np.ndarray]
    stream: np.ndarray

    def token_times(self, object_id: int) -> np.ndarray:
        """Temporal token index ``t_g`` of each of the object's tokens."""
        _, hm, wm = self.grid
        return self.tokens[object_id] // (hm * wm)


def arrange_tokens(
    masks: Mapping[int, np.ndarray],
    g: int,
    footprint: int,
    tau_eff: float = DEFAULT_TAU_EFF,
    keep_small: bool = False,
) -> TokenArrangement:
    """Assign tokens to each object (``C >= tau_eff``) and lay out the ``[TRJ]``-separated stream.

    ``masks`` maps object id -> binary masks ``(T, H, W)``; all objects share one shape. Objects keep the
    mapping's order. An object covering no token still gets its ``[TRJ]`` (an empty trajectory).
    ``keep_small`` (not in the paper) gives an object that is visible in a temporal step but reaches
    ``tau_eff`` nowhere its best-covered token of that step, so objects smaller than a token keep a
    trajectory at low resolution.
    """
    if not 0.0 <= tau_eff <= 1.0:
        raise ValueError(f"tau_eff must be in [0, 1], got {tau_eff}")
    grid: tuple[int, int, int] | None = None
    shape: tuple[int, ...] | None = None
    tokens: dict[int, np.ndarray] = {}
    for oid, mask in masks.items():
        mask = np.asarray(mask)
        if shape is None:
            shape = mask.shape
        elif mask.shape != shape:
            raise ValueError(f"object {oid}: masks shape {mask.shape} differs from {shape}")
        cov = token_coverage(mask, g, footprint)
        grid = (int(cov.shape[0]), int(cov.shape[1]), int(cov.shape[2]))
        # Flat raster indices are already ordered by t_g first, so flatnonzero is time-sorted.
        steps = cov.reshape(cov.shape[0], -1)
        chosen = steps >= tau_eff
        if keep_small:
            for t in np.flatnonzero(~chosen.any(axis=1) & (steps.max(axis=1) > 0)):
                chosen[t, int(np.argmax(steps[t]))] = True
        tokens[int(oid)] = np.flatnonzero(chosen.reshape(-1)).astype(np.int64)
    if grid is None:
        raise ValueError("arrange_tokens needs at least one object")
    ids = tuple(tokens)
    parts = [np.concatenate([[TRJ], tokens[o]]) for o in ids]
    return TokenArrangement(grid, ids, tokens, np.concatenate(parts).astype(np.int64))


@dataclass(frozen=True)
class PackedTokens:
    """Padded per-object token batches, the dual resampler's inputs."""

    tokens: np.ndarray  # (O, N, D) float32, zero where padded
    valid: np.ndarray  # (O, N) float32, 1 for a real token
    time: np.ndarray  # (O, N) float32, token timestamp in seconds
    window: np.ndarray  # (O, N) int64, index of the temporal window holding the token
    window_time: np.ndarray  # (W,) float32, start time of each window in seconds


def pack_tokens(
    features: np.ndarray, arrangement: TokenArrangement, token_seconds: float, window_seconds: float
) -> PackedTokens:
    """Gather ViT features ``(T/g, Hm, Wm, D)`` along each object's trajectory, padded to the longest one.

    ``token_seconds`` is the duration of one temporal token (g frames); windows are disjoint spans of
    ``window_seconds`` starting at 0 and cover the whole clip.
    """
    features = np.asarray(features, dtype=np.float32)
    if features.ndim != 4 or features.shape[:3] != arrangement.grid:
        raise ValueError(f"features shape {features.shape} does not match token grid {arrangement.grid} + (D,)")
    if token_seconds <= 0 or window_seconds <= 0:
        raise ValueError(f"token_seconds and window_seconds must be > 0, got {token_seconds}, {window_seconds}")
    flat = features.reshape(-1, features.shape[3])
    ids = arrangement.object_ids
    n = max(1, max(len(arrangement.tokens[o]) for o in ids))
    tokens = np.zeros((len(ids), n, flat.shape[1]), np.float32)
    valid = np.zeros((len(ids), n), np.float32)
    time = np.zeros((len(ids), n), np.float32)
    window = np.zeros((len(ids), n), np.int64)
    for i, oid in enumerate(ids):
        idx = arrangement.tokens[oid]
        k = len(idx)
        t = arrangement.token_times(oid) * token_seconds
        tokens[i, :k] = flat[idx]
        valid[i, :k] = 1.0
        time[i, :k] = t
        window[i, :k] = np.floor(t / window_seconds + 1e-9).astype(np.int64)
    clip_seconds = arrangement.grid[0] * token_seconds
    num_windows = max(1, int(np.ceil(clip_seconds / window_seconds - 1e-9)))
    window_time = (np.arange(num_windows) * window_seconds).astype(np.float32)
    return PackedTokens(tokens, valid, time, window, window_time)
