"""Replays a recorded stream at the pace of its timestamps (``--realtime``)."""

from __future__ import annotations

import time
from collections.abc import Iterator

from vsgg_ros.graph import Frame


def paced(frames: Iterator[Frame], speed: float = 1.0) -> Iterator[Frame]:
    """Yield each frame no earlier than its stamp offset (scaled by ``speed``) from the first frame.

    Falling behind is not corrected by bursting: the engine's newest-frame-wins queue absorbs it.
    """
    if speed <= 0:
        raise ValueError(f"speed must be > 0, got {speed}")
    start_wall: float | None = None
    start_stamp = 0
    for frame in frames:
        if start_wall is None:
            start_wall = time.perf_counter()
            start_stamp = frame.stamp_ns
        due = start_wall + (frame.stamp_ns - start_stamp) / 1e9 / speed
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        yield frame
