"""Pinhole camera of the room and its per-frame shake and pan.

World axes: x to the right, y up from the floor, z away from the camera (metres). The camera sits at
``(0, CAMERA_HEIGHT, 0)`` looking along +z with a shifted principal point (like a lens shift), so
the floor fills the lower part of the picture. Shake and pan are whole-pixel shifts of the
principal point: the background is pre-rendered with a margin and cropped, and every entity is
projected with the same shift, so pixels and ground truth stay in register.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CAMERA_HEIGHT = 1.3
FOCAL_FRACTION = 0.9  # focal length in pixels = FOCAL_FRACTION * image height
PRINCIPAL_Y = 0.4  # principal point height as a fraction of the image height


@dataclass(frozen=True)
class Camera:
    """Projection for one frame; ``cx``/``cy`` already include that frame's shift."""

    f: float
    cx: float
    cy: float
    height: float = CAMERA_HEIGHT

    @classmethod
    def for_size(cls, width: int, height: int, dx: int = 0, dy: int = 0) -> Camera:
        return cls(f=FOCAL_FRACTION * height, cx=width / 2.0 + dx, cy=PRINCIPAL_Y * height + dy)

    def project(self, x: float, y: float, z: float) -> tuple[float, float]:
        """Image (u, v) of a world point; z must be positive."""
        s = self.f / z
        return self.cx + s * x, self.cy + s * (self.height - y)

    def project_many(self, points: np.ndarray) -> np.ndarray:
        """(N, 3) world points -> (N, 2) image points."""
        s = self.f / points[:, 2]
        return np.stack((self.cx + s * points[:, 0], self.cy + s * (self.height - points[:, 1])), axis=1)

    def scale(self, z: float) -> float:
        """Pixels per metre at depth z."""
        return self.f / z

    def shifted(self, dx: int, dy: int) -> Camera:
        return Camera(self.f, self.cx + dx, self.cy + dy, self.height)


def camera_path(rng: np.random.Generator, frames: int, jitter_px: float, pan_px: float) -> np.ndarray:
    """(frames, 2) integer principal-point shifts: a slow sinusoidal pan plus a damped random shake."""
    t = np.arange(frames, dtype=np.float64)
    period = rng.uniform(60.0, 160.0)
    phase = rng.uniform(0.0, 2.0 * np.pi)
    pan_x = pan_px * np.sin(2.0 * np.pi * t / period + phase)
    pan_y = 0.15 * pan_px * np.sin(2.0 * np.pi * t / (1.7 * period) + phase)
    shake = np.zeros((frames, 2))
    state = np.zeros(2)
    kicks = rng.normal(0.0, jitter_px, size=(frames, 2))
    for i in range(frames):
        state = 0.6 * state + kicks[i]
        shake[i] = state
    path = np.stack((pan_x, pan_y), axis=1) + shake
    return np.rint(path).astype(np.int32)
