"""New-object discovery rules of the SVG2 online tracker (paper 003, appendix A.1.2), on boolean masks.

Per frame t: tracked coverage C_t is the union of the tracked masks and U_t = ¬C_t the untracked region;
D_t is the union of the candidate masks (detector boxes or automatic-mask proposals). The frame is a
*breakpoint* when area(U_t ∧ D_t) / area(U_t) ≥ τ_detection (0.1 in the paper). At a breakpoint each
candidate m_new is matched to the tracked mask with the largest asymmetric overlap
r_j = area(m_new ∧ m_j) / area(m_new) if r_max ≥ τ_match, else it becomes a new object.

Two deliberate additions, both configurable: a candidate only becomes a new object when at least
``min_uncovered`` of it lies outside every tracked mask (the paper says new masks must "exhibit high overlap
with U_t"; a candidate split between two tracks has a low r_max yet is not new), and candidates accepted
earlier in the same frame join the tracked set, so duplicate detections of one new object yield one id.
The paper does not state τ_match; 0.5 is our default. Pure numpy: no model, cheap, testable on constructed masks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from vsgg_ros.graph import Box


@dataclass(frozen=True)
class DiscoveryConfig:
    """Thresholds of the discovery rules (paper values where the paper gives one)."""

    tau_detection: float = 0.1
    tau_match: float = 0.5
    min_uncovered: float = 0.5
    min_area: int = 16

    def __post_init__(self) -> None:
        for name in ("tau_detection", "tau_match", "min_uncovered"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"discovery {name} must be in [0, 1], got {value}")
        if self.min_area < 1:
            raise ValueError(f"discovery min_area must be >= 1 pixel, got {self.min_area}")


@dataclass(frozen=True, slots=True)
class Decision:
    """What discovery decided for one candidate.

    ``kind``: ``match`` (continues ``track_id``), ``new`` (gets a fresh id), ``duplicate`` (same object as
    the earlier new candidate ``duplicate_of``), ``skip`` (too small, or covered by tracks without a match).
    """

    candidate: int
    kind: Literal["match", "new", "duplicate", "skip"]
    overlap: float
    uncovered: float
    track_id: int | None = None
    duplicate_of: int | None = None


def untracked_region(tracked: Sequence[np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    """U_t = ¬(∨ tracked masks)."""
    return ~union(tracked, shape)


def union(masks: Sequence[np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    """Pixel-wise OR of masks of one shape (all False when there are none)."""
    out = np.zeros(shape, dtype=bool)
    for mask in masks:
        if mask.shape != shape:
            raise ValueError(f"mask shape {mask.shape} does not match the frame shape {shape}")
        out |= mask
    return out


def breakpoint_ratio(untracked: np.ndarray, candidates: np.ndarray) -> float:
    """area(U_t ∧ D_t) / area(U_t); 0 when nothing is untracked (nothing left to discover)."""
    area_u = int(np.count_nonzero(untracked))
    if area_u == 0:
        return 0.0
    return float(np.count_nonzero(untracked & candidates)) / area_u


def asymmetric_overlap(new: np.ndarray, tracked: np.ndarray) -> float:
    """r = area(new ∧ tracked) / area(new): how much of the new mask an existing one covers."""
    area_new = int(np.count_nonzero(new))
    if area_new == 0:
        return 0.0
    return float(np.count_nonzero(new & tracked)) / area_new


def box_mask(box: Box, shape: tuple[int, int]) -> np.ndarray:
    """Rasterise a continuous (x1, y1, x2, y2) box: the pixels whose centres lie inside it."""
    height, width = shape
    x1, y1, x2, y2 = box
    if not (x2 >= x1 and y2 >= y1):
        raise ValueError(f"box {box} must have x2 >= x1 and y2 >= y1")
    c0, c1 = int(np.clip(np.ceil(x1 - 0.5), 0, width)), int(np.clip(np.ceil(x2 - 0.5), 0, width))
    r0, r1 = int(np.clip(np.ceil(y1 - 0.5), 0, height)), int(np.clip(np.ceil(y2 - 0.5), 0, height))
    out = np.zeros(shape, dtype=bool)
    out[r0:r1, c0:c1] = True
    return out


def match_candidates(
    candidates: Sequence[np.ndarray], tracked: Mapping[int, np.ndarray], config: DiscoveryConfig
) -> list[Decision]:
    """Decide, in the given order (best candidate first), which candidates continue a track or are new."""
    if any(track_id < 0 for track_id in tracked):
        raise ValueError(f"track ids must be >= 0, got {sorted(tracked)}")
    regions: list[tuple[int, np.ndarray]] = list(tracked.items())
    covered = union([m for _, m in regions], candidates[0].shape) if candidates else None
    decisions: list[Decision] = []
    for i, cand in enumerate(candidates):
        assert covered is not None
        if cand.shape != covered.shape:
            raise ValueError(f"candidate {i} has shape {cand.shape}, expected {covered.shape}")
        area = int(np.count_nonzero(cand))
        uncovered = 1.0 - asymmetric_overlap(cand, covered)
        if area < config.min_area:
            decisions.append(Decision(i, "skip", 0.0, uncovered))
            continue
        best_key, best_r = None, 0.0
        for key, region in regions:
            r = asymmetric_overlap(cand, region)
            if r > best_r:
                best_key, best_r = key, r
        if best_key is not None and best_r >= config.tau_match:
            if best_key >= 0:
                decisions.append(Decision(i, "match", best_r, uncovered, track_id=best_key))
            else:
                decisions.append(Decision(i, "duplicate", best_r, uncovered, duplicate_of=-best_key - 1))
            continue
        if uncovered >= config.min_uncovered:
            decisions.append(Decision(i, "new", best_r, uncovered))
            regions.append((-i - 1, cand))
            covered |= cand
        else:
            decisions.append(Decision(i, "skip", best_r, uncovered))
    return decisions
