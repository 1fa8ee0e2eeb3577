"""Shared behaviour of sources: bad input is counted, logged once per reason, and skipped."""

from __future__ import annotations

import logging
from collections import Counter

log = logging.getLogger("vsgg_ros.io")


class BadFrame(ValueError):
    """One input item could not be turned into a frame; ``reason`` is a short stable counter key."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class SkippingSource:
    """Mixin: ``skip`` records a bad item so the stream can go on.

    The first few occurrences of each reason are logged with the input's name; after that only the
    count grows, so a stream of garbage cannot flood the log.
    """

    name: str = "source"
    _LOG_FIRST = 5

    def __init__(self) -> None:
        self.skipped: Counter[str] = Counter()

    def skip(self, error: BadFrame, where: str) -> None:
        self.skipped[error.reason] += 1
        n = self.skipped[error.reason]
        if n <= self._LOG_FIRST:
            log.warning("%s: skipped %s (%s)%s", self.name, where, error, " [further ones counted]" * (n == 5))

    def close(self) -> None:
        """Sources without resources have nothing to release."""
