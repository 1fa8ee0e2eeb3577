"""Draws every primitive twice, into the RGB frame and into an instance-id map.

Both buffers are filled by the same OpenCV call with the same integer geometry and no
anti-aliasing, so an instance mask is exactly the set of pixels that show that instance in the frame
(before noise and blur). Texture strokes (stripes, eyes, buttons) go through the same calls, so even
a stroke that strays past its shape stays consistent with the mask. Bounds of what each id drew are
kept to count pixels cheaply later.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

Color = tuple[int, int, int]


class Painter:
    """RGB image + uint8 id map (0 = background) of one frame."""

    def __init__(self, image: np.ndarray, ids: np.ndarray) -> None:
        self.image = image
        self.ids = ids
        self.height, self.width = ids.shape
        self.bounds: dict[int, list[int]] = {}

    def _grow(self, oid: int, x0: float, y0: float, x1: float, y1: float) -> None:
        b = self.bounds.get(oid)
        if b is None:
            self.bounds[oid] = [int(x0), int(y0), int(x1) + 1, int(y1) + 1]
            return
        b[0] = min(b[0], int(x0))
        b[1] = min(b[1], int(y0))
        b[2] = max(b[2], int(x1) + 1)
        b[3] = max(b[3], int(y1) + 1)

    def poly(self, points: np.ndarray | Sequence[Sequence[float]], color: Color, oid: int) -> None:
        """Filled polygon (any shape) from (N, 2) float points."""
        pts = np.rint(np.asarray(points, dtype=np.float64)).astype(np.int32)
        cv2.fillPoly(self.image, [pts], color)
        cv2.fillPoly(self.ids, [pts], oid)
        self._grow(oid, pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max())

    def rect(self, x0: float, y0: float, x1: float, y1: float, color: Color, oid: int) -> None:
        """Filled axis-aligned rectangle with continuous corners."""
        p0 = (round(min(x0, x1)), round(min(y0, y1)))
        p1 = (round(max(x0, x1)), round(max(y0, y1)))
        cv2.rectangle(self.image, p0, p1, color, -1)
        cv2.rectangle(self.ids, p0, p1, oid, -1)
        self._grow(oid, p0[0], p0[1], p1[0], p1[1])

    def circle(self, x: float, y: float, r: float, color: Color, oid: int) -> None:
        c, rad = (round(x), round(y)), max(1, round(r))
        cv2.circle(self.image, c, rad, color, -1)
        cv2.circle(self.ids, c, rad, oid, -1)
        self._grow(oid, c[0] - rad, c[1] - rad, c[0] + rad, c[1] + rad)

    def ellipse(self, x: float, y: float, rx: float, ry: float, color: Color, oid: int) -> None:
        c, axes = (round(x), round(y)), (max(1, round(rx)), max(1, round(ry)))
        cv2.ellipse(self.image, c, axes, 0, 0, 360, color, -1)
        cv2.ellipse(self.ids, c, axes, 0, 0, 360, oid, -1)
        self._grow(oid, c[0] - axes[0], c[1] - axes[1], c[0] + axes[0], c[1] + axes[1])

    def line(self, p: Sequence[float], q: Sequence[float], width: float, color: Color, oid: int) -> None:
        a, b, t = (round(p[0]), round(p[1])), (round(q[0]), round(q[1])), max(1, round(width))
        cv2.line(self.image, a, b, color, t)
        cv2.line(self.ids, a, b, oid, t)
        h = t // 2 + 1
        self._grow(oid, min(a[0], b[0]) - h, min(a[1], b[1]) - h, max(a[0], b[0]) + h, max(a[1], b[1]) + h)

    def count(self, oid: int) -> int:
        """Pixels currently owned by ``oid`` (searched only within what it drew)."""
        b = self.bounds.get(oid)
        if b is None:
            return 0
        x0, y0 = max(0, b[0]), max(0, b[1])
        x1, y1 = min(self.width, b[2]), min(self.height, b[3])
        if x1 <= x0 or y1 <= y0:
            return 0
        return int(np.count_nonzero(self.ids[y0:y1, x0:x1] == oid))
