"""Class-label smoothing for a track: the majority label over its last few detections.

Detectors flicker between similar classes (cup vs bottle) frame to frame; a relation head keyed on the
label would flicker with them. A fixed-length history keeps this O(1) per track.
"""

from __future__ import annotations

from collections import Counter, deque


class LabelVote:
    """Majority vote over the last ``history`` (label, class_id) observations; ties go to the latest."""

    __slots__ = ("_seen", "_winner")

    def __init__(self, history: int) -> None:
        if history < 1:
            raise ValueError(f"label history must be >= 1, got {history}")
        self._seen: deque[tuple[str, int]] = deque(maxlen=history)
        self._winner: tuple[str, int] | None = None

    def add(self, label: str, class_id: int) -> None:
        self._seen.append((label, class_id))
        self._winner = None

    def __len__(self) -> int:
        return len(self._seen)

    def winner(self) -> tuple[str, int]:
        if self._winner is None:
            self._winner = self._vote()
        return self._winner

    def _vote(self) -> tuple[str, int]:
        if not self._seen:
            return "", -1
        counts = Counter(self._seen)
        best = max(counts.values())
        return next(item for item in reversed(self._seen) if counts[item] == best)
