"""Per-frame relation sets folded into time spans, as the video-level formats store them."""

from __future__ import annotations

from collections.abc import Iterable

from vsgg_ros.eval.video import runs

RelKey = tuple[int, int, str]


class Timeline:
    """Collects which (subject, object, predicate) holds in which frame of one video."""

    def __init__(self) -> None:
        self.frames: dict[RelKey, list[int]] = {}

    def add(self, frame: int, keys: Iterable[RelKey]) -> None:
        for key in keys:
            self.frames.setdefault(key, []).append(frame)

    def spans(self) -> list[tuple[RelKey, list[tuple[int, int]]]]:
        """Every relation with its half-open spans, sorted by (subject, object, predicate)."""
        return [(key, runs(self.frames[key])) for key in sorted(self.frames)]
